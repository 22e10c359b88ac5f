package loader

import (
	"errors"
	"fmt"
	"time"

	"github.com/grunndata/grunndata/loader/brreg"
	"github.com/grunndata/grunndata/registry"
)

var (
	errMissingField = errors.New("missing required field")
	ruleRequired    = registry.Rule("required-field")
	ruleShape       = registry.Rule("malformed-record")
	ruleReference   = registry.Rule("dangling-reference")
	ruleDuplicate   = registry.Rule("duplicate")
)

func pos(kind string, n int) string { return fmt.Sprintf("%s %d", kind, n) }

// loadBrreg loads enheter, then underenheter (whose overordnetEnhet must be
// an enhet), then checks enheter's own overordnetEnhet references.
func (r *run) loadBrreg() error {
	type parentRef struct {
		child, parent registry.Orgnr
		index         int
	}
	var enhetParents []parentRef
	load := func(name, reg string, sub bool) error {
		if !r.exists(name) {
			return nil
		}
		s, err := r.open(name)
		if err != nil {
			return err
		}
		st := r.stats[reg]
		st.Files++
		start := time.Now()
		defer func() { st.Duration += time.Since(start) }()
		var val []byte
		err = brreg.Read(s.r, func(rec *brreg.Record) error {
			p := pos("index", rec.Index)
			if rec.Err != nil {
				r.reject(reg, name, p, "", ruleShape, rec.Err.Error())
				return nil
			}
			o, err := registry.ParseOrgnr([]byte(rec.Orgnr))
			if err != nil {
				r.reject(reg, name, p, rec.Orgnr, err.(*registry.IDError).Rule, "organisasjonsnummer")
				return nil
			}
			if rec.Navn == "" {
				r.reject(reg, name, p, rec.Orgnr, ruleRequired, "navn")
				return nil
			}
			if rec.Form == "" {
				r.reject(reg, name, p, rec.Orgnr, ruleRequired, "organisasjonsform")
				return nil
			}
			var parent registry.Orgnr
			if rec.Parent != "" {
				if parent, err = registry.ParseOrgnr([]byte(rec.Parent)); err != nil {
					r.reject(reg, name, p, rec.Orgnr, err.(*registry.IDError).Rule, "overordnetEnhet")
					return nil
				}
			}
			if sub {
				if rec.Parent == "" && !rec.Deleted {
					r.reject(reg, name, p, rec.Orgnr, ruleRequired, "overordnetEnhet")
					return nil
				}
				if rec.Parent != "" {
					pk := registry.OrgKey(parent)
					ok, err := r.b.Has(pk.Bytes())
					if err != nil {
						return err
					}
					if !ok {
						r.reject(reg, name, p, rec.Orgnr, ruleReference, "overordnetEnhet "+rec.Parent+" is not an enhet")
						return nil
					}
					ik := registry.PairKey(registry.IdxSubunits, parent[:], o[:])
					if err := r.b.Add(ik.Bytes(), nil); err != nil {
						return err
					}
				}
			} else if rec.Parent != "" {
				enhetParents = append(enhetParents, parentRef{o, parent, rec.Index})
			}
			k := registry.OrgKey(o)
			val = registry.AppendValue(val[:0], 0, rec.JSON, nil)
			if err := r.b.Add(k.Bytes(), val); err != nil {
				return err
			}
			st.Records++
			return nil
		})
		if err != nil {
			return parseErr(name, err)
		}
		st.Bytes += s.size
		if err := r.finish(s, nil); err != nil {
			return err
		}
		return r.checkRatio(reg)
	}
	if err := load("enheter_alle.json.gz", RegEnheter, false); err != nil {
		return err
	}
	if err := r.b.Flush(); err != nil {
		return err
	}
	// Enheter point at other enheter (ORGL → STAT …), in any order.
	for _, ref := range enhetParents {
		pk := registry.OrgKey(ref.parent)
		ok, err := r.b.Has(pk.Bytes())
		if err != nil {
			return err
		}
		if !ok {
			ck := registry.OrgKey(ref.child)
			if err := r.b.Apply(func(_ func(k, v []byte) error, del func(k []byte) error) error { return del(ck.Bytes()) }); err != nil {
				return err
			}
			r.stats[RegEnheter].Records--
			r.reject(RegEnheter, "enheter_alle.json.gz", pos("index", ref.index), ref.child.String(), ruleReference,
				"overordnetEnhet "+ref.parent.String()+" is not an enhet")
			continue
		}
		ik := registry.PairKey(registry.IdxSubunits, ref.parent[:], ref.child[:])
		if err := r.b.Add(ik.Bytes(), nil); err != nil {
			return err
		}
	}
	if err := r.checkRatio(RegEnheter); err != nil {
		return err
	}
	return load("underenheter_alle.json.gz", RegUnderenheter, true)
}
