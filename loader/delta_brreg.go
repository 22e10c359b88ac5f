package loader

import (
	"bytes"
	"fmt"
	json "github.com/goccy/go-json"
	"time"

	"github.com/grunndata/grunndata/loader/brreg"
	"github.com/grunndata/grunndata/loader/jsonl"
	"github.com/grunndata/grunndata/registry"
)

// storedOrg returns the stored view of an organisation and its flags.
func (dr *deltaRun) storedOrg(o registry.Orgnr) (view []byte, flags byte, ok bool, err error) {
	v, ok, err := dr.ov.get(registry.OrgKey(o))
	if err != nil || !ok {
		return nil, 0, false, err
	}
	flags, full, _, err := registry.DecodeValue(v)
	if err != nil {
		return nil, 0, false, err
	}
	return full, flags, true, nil
}

func overordnet(view []byte) (registry.Orgnr, bool) {
	var f struct {
		OverordnetEnhet string `json:"overordnetEnhet"`
	}
	if json.Unmarshal(view, &f) != nil || f.OverordnetEnhet == "" {
		return registry.Orgnr{}, false
	}
	p, err := registry.ParseOrgnr([]byte(f.OverordnetEnhet))
	return p, err == nil
}

// apply applies one Brreg feed to the overlay: Ny and Endring store the
// changed entity's body, Sletting stores Brreg's deleted body or marks the
// stored record with slettedato, Fjernet replaces it by the GoneEnhet body
// (410). The subunit index follows overordnetEnhet.
func (f *orderedBrreg) apply(dr *deltaRun) (FeedStats, error) {
	kind := f.kind
	fs := FeedStats{Feed: f.feed, From: f.from, To: f.to, HadPosition: f.hadPosition, Pages: f.pages,
		Items: int64(len(f.updates)), Types: map[string]int64{}}
	reg, sub := RegEnheter, kind == brreg.Underenheter
	if sub {
		reg = RegUnderenheter
	}
	st := dr.stats[reg]
	st.Files++
	start := time.Now()
	defer func() { st.Duration += time.Since(start) }()
	bodies := dr.d.bodies[kind]
	// The last change of each entity in this delta: a Ny/Endring whose body
	// is missing is fine when a later item deletes or removes the entity.
	lastType := map[string]int{}
	for i, u := range f.updates {
		lastType[u.Orgnr] = i
	}
	removedLater := func(i int, orgnr string) bool {
		for j := lastType[orgnr]; j > i; j-- {
			if t := f.updates[j].Type; f.updates[j].Orgnr == orgnr && (t == brreg.Sletting || t == brreg.Fjernet) {
				return true
			}
		}
		return false
	}
	// parentKnown: an enhet in the generation or created by this delta.
	parentKnown := func(p registry.Orgnr) (bool, error) {
		if _, _, ok, err := dr.storedOrg(p); err != nil || ok {
			return ok, err
		}
		_, ok := dr.d.bodies[brreg.Enheter][p.String()]
		return ok, nil
	}
	var val []byte
	for i, u := range f.updates {
		fs.Types[u.Type]++
		file, p := f.files[i], fmt.Sprintf("oppdateringsid %d", u.ID)
		reject := func(rule registry.Rule, detail string) {
			dr.reject(reg, file, p, u.Orgnr, rule, detail)
			fs.Rejects++
		}
		if u.Err != nil {
			reject(ruleShape, u.Err.Error())
			continue
		}
		if u.Type == brreg.Ukjent {
			fs.Ukjent++
			dr.log.Info("change of unknown type reported, not applied", "feed", f.feed, "oppdateringsid", u.ID, "organisasjonsnummer", u.Orgnr)
			continue
		}
		o, err := registry.ParseOrgnr([]byte(u.Orgnr))
		if err != nil {
			reject(err.(*registry.IDError).Rule, "organisasjonsnummer ("+u.Type+")")
			continue
		}
		key := registry.OrgKey(o)
		old, oldFlags, existed, err := dr.storedOrg(o)
		if err != nil {
			return fs, err
		}
		live := existed && oldFlags&registry.FlagGone == 0
		body := bodies[u.Orgnr]
		if u.Type == brreg.Sletting && body != nil && !body.rec.Deleted {
			body = nil // a body fetched before the deletion: mark the stored record instead
		}
		switch {
		case u.Type == brreg.Ny || u.Type == brreg.Endring || (u.Type == brreg.Sletting && body != nil):
			if body == nil {
				if removedLater(i, u.Orgnr) {
					fs.Superseded++
					continue
				}
				return fs, fmt.Errorf("%w: %s: %s %s (oppdateringsid %d) has no body in %s.json",
					ErrIncompleteDelta, f.feed, u.Type, u.Orgnr, u.ID, kind)
			}
			_, parent, hasParent, rule, detail := orgCheck(&body.rec, sub)
			if rule != "" {
				reject(rule, detail+" (in "+body.file+" "+body.pos+")")
				continue
			}
			if hasParent {
				ok, err := parentKnown(parent)
				if err != nil {
					return fs, err
				}
				if !ok {
					dr.warn(reg, file, p, u.Orgnr, ruleAbsent, "overordnetEnhet "+parent.String()+" is not an enhet of the generation (loaded as given)")
				}
			}
			if live {
				if op, ok := overordnet(old); ok && (!hasParent || op != parent) {
					dr.ov.del(registry.PairKey(registry.IdxSubunits, op[:], o[:]))
				}
			}
			if hasParent {
				dr.ov.put(registry.PairKey(registry.IdxSubunits, parent[:], o[:]), nil)
			}
			val = registry.AppendValue(val[:0], 0, body.rec.JSON, nil)
			dr.ov.put(key, val)
			if !live {
				st.Records++
			}
		case u.Type == brreg.Sletting:
			if !live {
				reject(ruleNotInCopy, "Sletting of an organisation the generation does not have")
				continue
			}
			if !hasField(old, "slettedato") {
				view := appendJSONField(append([]byte(nil), old...), "slettedato", dateOf(u.Dato, dr.today))
				val = registry.AppendValue(val[:0], 0, view, nil)
				dr.ov.put(key, val)
			}
		case u.Type == brreg.Fjernet:
			if live {
				if op, ok := overordnet(old); ok {
					dr.ov.del(registry.PairKey(registry.IdxSubunits, op[:], o[:]))
				}
				st.Records--
			}
			// GoneEnhet: what Brreg answers with 410.
			gone := []byte(`{"organisasjonsnummer":"` + o.String() + `","slettedato":"` + dateOf(u.Dato, dr.today) + `"}`)
			val = registry.AppendValue(val[:0], registry.FlagGone, gone, nil)
			dr.ov.put(key, val)
		}
		fs.Applied++
	}
	if err := dr.checkRatio(reg); err != nil {
		return fs, err
	}
	return fs, nil
}

// hasField reports whether the JSON object view has a top-level key name
// with a non-empty value.
func hasField(view []byte, name string) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(view, &m) != nil {
		return false
	}
	v, ok := m[name]
	return ok && string(v) != `""` && string(v) != "null"
}

// appendJSONField adds "name":"value" at the end of the JSON object obj.
func appendJSONField(obj []byte, name, value string) []byte {
	obj = bytes.TrimRight(obj, " \n\r\t")
	if len(obj) == 0 || obj[len(obj)-1] != '}' {
		panic("BUG: stored view is not a JSON object")
	}
	obj = obj[:len(obj)-1]
	if len(bytes.TrimSpace(obj)) > 1 {
		obj = append(obj, ',')
	}
	obj = jsonl.AppendString(obj, name)
	obj = append(obj, ':')
	obj = jsonl.AppendString(obj, value)
	return append(obj, '}')
}

// dateOf returns the date part of a feed timestamp, or today.
func dateOf(ts, today string) string {
	if len(ts) >= 10 && ts[4] == '-' && ts[7] == '-' {
		return ts[:10]
	}
	return today
}
