package query

import (
	"encoding/binary"
	"encoding/json"
	"strconv"

	"github.com/grunndata/grunndata/registry"
)

// Lists, trees and bulk lookups: the cold answers. They allocate (they
// build arrays of stored views); the point lookups stay allocation-free.

// children answers a page of the values a one-to-many index (prefix →
// child key suffix) points at, after the key cursor after (nil: the
// first page). childKey turns an index key suffix into the child's primary
// key; parent, when set, must exist (else its error).
func (e *Engine) children(v registry.View, prefix []byte, childKey func(suffix []byte) registry.Key, parent *registry.Key,
	after []byte, limit int) ([]byte, error) {
	if parent != nil {
		if _, err := e.cache.Get(v, parent); err != nil {
			return nil, err
		}
	}
	var from []byte
	if after != nil {
		from = append(append([]byte(nil), after...), 0) // strictly after
	}
	var suffixes [][]byte
	var next []byte
	err := v.Scan(prefix, from, func(k, _ []byte) bool {
		if len(suffixes) == limit {
			next = suffixes[len(suffixes)-1]
			return false
		}
		suffixes = append(suffixes, append([]byte(nil), k[len(prefix):]...))
		return true
	})
	if err != nil {
		return nil, err
	}
	out := append(make([]byte, 0, 4096), `{"items":[`...)
	n := 0
	for _, sfx := range suffixes {
		ck := childKey(sfx)
		val, err := e.cache.Get(v, &ck)
		if err != nil {
			continue // an index entry without its record: skip, never fail the page
		}
		_, _, restricted, err := registry.DecodeValue(val)
		if err != nil {
			continue
		}
		if n > 0 {
			out = append(out, ',')
		}
		out = append(out, restricted...)
		n++
	}
	out = append(out, ']')
	return append(appendKeyCursor(out, next), '}'), nil
}

// PartyChildren answers a page of the communication parties under her.
func (e *Engine) PartyChildren(v registry.View, her uint64, after []byte, limit int) ([]byte, error) {
	p := registry.U32(uint32(her))
	prefix := append([]byte{byte(registry.IdxPartyChildren)}, p[:]...)
	parent := registry.SerialKey(registry.RegParty, her)
	return e.children(v, prefix, func(sfx []byte) registry.Key {
		return registry.SerialKey(registry.RegParty, uint64(binary.BigEndian.Uint32(sfx)))
	}, &parent, after, limit)
}

// Subunits answers a page of the subunits of organisation o.
func (e *Engine) Subunits(v registry.View, o registry.Orgnr, after []byte, limit int) ([]byte, error) {
	prefix := append([]byte{byte(registry.IdxSubunits)}, o[:]...)
	parent := registry.OrgKey(o)
	return e.children(v, prefix, func(sfx []byte) registry.Key {
		var c registry.Orgnr
		copy(c[:], sfx)
		return registry.OrgKey(c)
	}, &parent, after, limit)
}

// Bulk answers a bulk lookup of persons (gp false) or of their GPs: one
// item per number, in order; a bad or unknown number is an item with a
// code, never a failed batch. It returns the persons answered (current
// numbers) and the numbers asked that are not current, for the audit log.
func (e *Engine) Bulk(v registry.View, nins []json.RawMessage, gp, seeProtected bool) (out []byte, subjects, asked [][]byte) {
	notFound := `"code":"not_found"`
	if gp {
		notFound = `"code":"no_gp"`
	}
	out = append(make([]byte, 0, 1024*len(nins)+32), `{"items":[`...)
	var gpBuf []byte
	for i, raw := range nins {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, `{"index":`...)
		out = strconv.AppendInt(out, int64(i), 10)
		var s1 string
		if json.Unmarshal(raw, &s1) != nil {
			out = append(out, `,"status":400,"code":"invalid_identifier","rule":"non-digit","detail":"not a string"}`...)
			continue
		}
		n, _, err := registry.ParseNIN([]byte(s1))
		if err != nil {
			out = append(out, `,"status":400,"code":"invalid_identifier","rule":"`...)
			out = append(out, err.(*registry.IDError).Rule...)
			out = append(out, `"}`...)
			continue
		}
		// The person answered (current number) is the subject; any of their
		// numbers finds them, and their GP, as the single lookups do.
		cur, person := n, e.full(v, registry.PersonKey(n))
		if c, ok := registry.CurrentNIN(person); ok {
			cur = c
		}
		subjects = append(subjects, append([]byte(nil), cur[:]...))
		if cur != n {
			asked = append(asked, append([]byte(nil), n[:]...))
		}
		out = append(out, `,"nin":"`...)
		out = append(out, n[:]...)
		out = append(out, '"')
		var val []byte
		if !gp {
			k := registry.PersonKey(n)
			val, err = e.cache.Get(v, &k)
		} else {
			k := registry.GPPatientKey(n)
			val, err = e.cache.Get(v, &k)
			if err == registry.ErrNotFound && person != nil {
				registry.EachPersonNumber(person, func(o registry.NIN) bool {
					if o == n {
						return true
					}
					k := registry.GPPatientKey(o)
					val, err = e.cache.Get(v, &k)
					return err == registry.ErrNotFound
				})
			}
		}
		if err != nil {
			if err == registry.ErrNotFound {
				out = append(out, `,"status":404,`...)
				out = append(out, notFound...)
				out = append(out, '}')
			} else {
				out = append(out, `,"status":500,"code":"internal"}`...)
			}
			continue
		}
		flags, full, restricted, err := registry.DecodeValue(val)
		if err != nil {
			out = append(out, `,"status":500,"code":"internal"}`...)
			continue
		}
		body := restricted
		if seeProtected {
			body = full
		}
		if gp {
			var zk registry.Key
			body = e.gpView(v, n[:], flags, full, restricted, seeProtected, &zk, &gpBuf)
			out = append(out, `,"status":200,"gp":`...)
		} else {
			out = append(out, `,"status":200,"person":`...)
		}
		out = append(out, body...)
		out = append(out, '}')
	}
	return append(out, "]}"...), subjects, asked
}
