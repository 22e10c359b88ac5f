package server

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/grunndata/grunndata/registry"
	"github.com/grunndata/grunndata/registry/audit"
	"github.com/grunndata/grunndata/registry/auth"
)

// Lists, trees, bulk lookups and code lists: the cold routes. They allocate
// (they build arrays of stored views); the point lookups stay allocation-free.

const (
	defaultLimit = 100
	maxLimit     = 1000
	maxBulk      = 1000
)

var (
	bodyBadLimit  = problemBody(400, "invalid_parameter", "Invalid limit", "limit must be an integer from 1 to 1000", "", "limit")
	bodyBadCursor = problemBody(400, "invalid_parameter", "Invalid cursor", "cursor must be a value of nextCursor from an earlier page", "", "cursor")
	bodyTooMany   = problemBody(400, "too_many_items", "Too many items", "at most 1000 items per request", "", "")
)

// page reads limit and cursor (an opaque base64url of the last key's suffix).
func page(ctx *fasthttp.RequestCtx) (limit int, after []byte, status int) {
	limit = defaultLimit
	if b := ctx.QueryArgs().Peek("limit"); len(b) > 0 {
		n, err := strconv.Atoi(string(b))
		if err != nil || n < 1 || n > maxLimit {
			writeProblem(ctx, 400, bodyBadLimit)
			return 0, nil, 400
		}
		limit = n
	}
	if b := ctx.QueryArgs().Peek("cursor"); len(b) > 0 {
		c, err := base64.RawURLEncoding.DecodeString(string(b))
		if err != nil || len(c) == 0 || len(c) > registry.MaxKeyLen {
			writeProblem(ctx, 400, bodyBadCursor)
			return 0, nil, 400
		}
		after = c
	}
	return limit, after, 0
}

// listChildren answers a paged list of the values that a one-to-many index
// (prefix → child key suffix) points at. childKey turns the index key suffix
// into the child's primary key.
func (s *Server) listChildren(ctx *fasthttp.RequestCtx, prefix []byte, childKey func(suffix []byte) registry.Key, parent *registry.Key) int {
	limit, after, st := page(ctx)
	if st != 0 {
		return st
	}
	v, err := s.store.Acquire()
	if err != nil {
		return writeError(ctx, err)
	}
	defer v.Release()
	if parent != nil {
		if _, err := s.cache.Get(v, parent); err != nil {
			return writeError(ctx, err)
		}
	}
	var from []byte
	if after != nil {
		from = append(append([]byte(nil), after...), 0) // strictly after
	}
	var suffixes [][]byte
	var next []byte
	err = v.Scan(prefix, from, func(k, _ []byte) bool {
		if len(suffixes) == limit {
			next = suffixes[len(suffixes)-1]
			return false
		}
		suffixes = append(suffixes, append([]byte(nil), k[len(prefix):]...))
		return true
	})
	if err != nil {
		return writeError(ctx, err)
	}
	out := append(make([]byte, 0, 4096), `{"items":[`...)
	n := 0
	for _, sfx := range suffixes {
		ck := childKey(sfx)
		val, err := s.cache.Get(v, &ck)
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
	out = append(out, `],"nextCursor":`...)
	if next != nil {
		out = append(out, '"')
		out = base64.RawURLEncoding.AppendEncode(out, next)
		out = append(out, '"')
	} else {
		out = append(out, "null"...)
	}
	out = append(out, '}')
	return writeJSON(ctx, out)
}

func writeJSON(ctx *fasthttp.RequestCtx, body []byte) int {
	ctx.SetStatusCode(200)
	ctx.Response.Header.SetContentTypeBytes(ctJSON)
	ctx.SetBody(body)
	return 200
}

// partyChildren answers GET /v1/communication-parties/{herId}/children.
func (s *Server) partyChildren(ctx *fasthttp.RequestCtx, idb []byte) int {
	her, err := registry.ParseSerial(registry.IDHerID, idb)
	if err != nil {
		return writeError(ctx, err)
	}
	p := registry.U32(uint32(her))
	prefix := append([]byte{byte(registry.IdxPartyChildren)}, p[:]...)
	parent := registry.SerialKey(registry.RegParty, her)
	return s.listChildren(ctx, prefix, func(sfx []byte) registry.Key {
		return registry.SerialKey(registry.RegParty, uint64(binary.BigEndian.Uint32(sfx)))
	}, &parent)
}

// subunits answers GET /v1/organisations/{orgnr}/subunits.
func (s *Server) subunits(ctx *fasthttp.RequestCtx, idb []byte) int {
	o, err := registry.ParseOrgnr(idb)
	if err != nil {
		return writeError(ctx, err)
	}
	prefix := append([]byte{byte(registry.IdxSubunits)}, o[:]...)
	parent := registry.OrgKey(o)
	return s.listChildren(ctx, prefix, func(sfx []byte) registry.Key {
		var c registry.Orgnr
		copy(c[:], sfx)
		return registry.OrgKey(c)
	}, &parent)
}

// reshTree answers GET /v1/resh/{id}?children=true&ancestors=true: the unit,
// its path to the root (root first) and its direct children. RESH-ids are
// permanent, so closed units are served too (marked by their own fields).
func (s *Server) reshTree(ctx *fasthttp.RequestCtx, id uint64, children, ancestors bool) int {
	v, err := s.store.Acquire()
	if err != nil {
		return writeError(ctx, err)
	}
	defer v.Release()
	get := func(id uint64) ([]byte, error) {
		k := registry.SerialKey(registry.RegResh, id)
		val, err := s.cache.Get(v, &k)
		if err != nil {
			return nil, err
		}
		_, full, _, err := registry.DecodeValue(val)
		return full, err
	}
	unit, err := get(id)
	if err != nil {
		return writeError(ctx, err)
	}
	out := append(make([]byte, 0, 4096), `{"unit":`...)
	out = append(out, unit...)
	if ancestors {
		var path [][]byte
		cur := unit
		for depth := 0; depth < 64; depth++ {
			var p struct {
				Parent *uint64 `json:"parentReshId"`
			}
			if json.Unmarshal(cur, &p) != nil || p.Parent == nil || *p.Parent == 0 {
				break
			}
			pu, err := get(*p.Parent)
			if err != nil {
				break
			}
			path = append(path, pu)
			cur = pu
		}
		out = append(out, `,"ancestors":[`...)
		for i := len(path) - 1; i >= 0; i-- {
			out = append(out, path[i]...)
			if i > 0 {
				out = append(out, ',')
			}
		}
		out = append(out, ']')
	}
	if children {
		p := registry.U32(uint32(id))
		prefix := append([]byte{byte(registry.IdxReshChildren)}, p[:]...)
		out = append(out, `,"children":[`...)
		n := 0
		err := v.Scan(prefix, nil, func(k, _ []byte) bool {
			cu, err := get(uint64(binary.BigEndian.Uint32(k[len(prefix):])))
			if err == nil {
				if n > 0 {
					out = append(out, ',')
				}
				out = append(out, cu...)
				n++
			}
			return n < 10000
		})
		if err != nil {
			return writeError(ctx, err)
		}
		out = append(out, ']')
	}
	out = append(out, '}')
	return writeJSON(ctx, out)
}

// bulk answers POST /v1/persons/bulk and /v1/gp/bulk {"nins":[…]}: one item
// per number, in order; a bad or unknown number is an item with a code, never
// a failed batch.
func (s *Server) bulk(ctx *fasthttp.RequestCtx, c call, gp bool) int {
	p, start := c.p, c.start
	if st := checkJSONPost(ctx); st != 0 {
		return st
	}
	var req struct {
		NINs []json.RawMessage `json:"nins"`
	}
	dec := json.NewDecoder(bytes.NewReader(ctx.PostBody()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || dec.More() {
		return writeInvalidBody(ctx, `body must be {"nins":["<11 digits>", …]}`)
	}
	if req.NINs == nil {
		return writeInvalidBody(ctx, `missing field "nins"`)
	}
	if len(req.NINs) > maxBulk {
		writeProblem(ctx, 400, bodyTooMany)
		return 400
	}
	v, err := s.store.Acquire()
	if err != nil {
		return writeError(ctx, err)
	}
	defer v.Release()
	seeProtected := p.Scopes&auth.ScopePersonReadProtected != 0
	notFound := `"code":"not_found"`
	if gp {
		notFound = `"code":"no_gp"`
	}
	out := append(make([]byte, 0, 1024*len(req.NINs)+32), `{"items":[`...)
	var subjects, asked [][]byte
	var gpBuf []byte
	for i, raw := range req.NINs {
		if i > 0 {
			out = append(out, ',')
		}
		var s1 string
		if json.Unmarshal(raw, &s1) != nil {
			out = append(out, `{"index":`...)
			out = strconv.AppendInt(out, int64(i), 10)
			out = append(out, `,"status":400,"code":"invalid_identifier","rule":"non-digit","detail":"not a string"}`...)
			continue
		}
		n, _, err := registry.ParseNIN([]byte(s1))
		if err != nil {
			ie := err.(*registry.IDError)
			out = append(out, `{"index":`...)
			out = strconv.AppendInt(out, int64(i), 10)
			out = append(out, `,"status":400,"code":"invalid_identifier","rule":"`...)
			out = append(out, ie.Rule...)
			out = append(out, `"}`...)
			continue
		}
		// The person answered (current number) is the subject; any of their
		// numbers finds them, and their GP, as the single lookups do.
		cur, person := n, []byte(nil)
		pk := registry.PersonKey(n)
		if pv, err := s.cache.Get(v, &pk); err == nil {
			if _, full, _, err := registry.DecodeValue(pv); err == nil {
				person = full
				if c, ok := registry.CurrentNIN(full); ok {
					cur = c
				}
			}
		}
		subjects = append(subjects, append([]byte(nil), cur[:]...))
		if cur != n {
			asked = append(asked, append([]byte(nil), n[:]...))
		}
		out = append(out, `{"index":`...)
		out = strconv.AppendInt(out, int64(i), 10)
		out = append(out, `,"nin":"`...)
		out = append(out, n[:]...)
		out = append(out, '"')
		var val []byte
		if !gp {
			val, err = s.cache.Get(v, &pk)
		} else {
			k := registry.GPPatientKey(n)
			val, err = s.cache.Get(v, &k)
			if err == registry.ErrNotFound && person != nil {
				registry.EachPersonNumber(person, func(o registry.NIN) bool {
					if o == n {
						return true
					}
					k := registry.GPPatientKey(o)
					val, err = s.cache.Get(v, &k)
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
			body = s.gpBody(v, n[:], flags, full, restricted, seeProtected, &zk, &gpBuf)
		}
		if !gp {
			out = append(out, `,"status":200,"person":`...)
		} else {
			out = append(out, `,"status":200,"gp":`...)
		}
		out = append(out, body...)
		out = append(out, '}')
	}
	out = append(out, "]}"...)
	writeJSON(ctx, out)
	if len(subjects) == 0 {
		return 200
	}
	return s.audit(ctx, &audit.Entry{Caller: caller(p), Route: c.r.name, Subjects: subjects, AskedAll: asked, Status: 200,
		Duration: time.Since(start), Generation: v.ID()}, 200)
}

// codes answers GET /v1/codes and GET /v1/codes/{oid}.
func (s *Server) codes(ctx *fasthttp.RequestCtx, idb []byte) int {
	if len(idb) == 0 {
		b, _ := json.Marshal(map[string]any{"oids": registry.CodeLists()})
		return writeJSON(ctx, b)
	}
	oid, err := strconv.Atoi(string(idb))
	if err != nil || oid <= 0 {
		writeProblem(ctx, 400, problemBody(400, CodeInvalidIdentifier, "Invalid OID", "a code list OID is a positive integer, e.g. 9060", "non-digit", "oid"))
		return 400
	}
	b, ok := registry.CodeListJSON(oid)
	if !ok {
		return writeError(ctx, registry.ErrNotFound)
	}
	return writeJSON(ctx, b)
}
