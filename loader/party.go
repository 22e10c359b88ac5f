package loader

import (
	"encoding/binary"
	json "github.com/goccy/go-json"

	"github.com/grunndata/grunndata/loader/ar"
	"github.com/grunndata/grunndata/registry"
)

// partyInfo is what children need of an AR party: the parent summary and the
// addresses they inherit. AR has ~100 k parties, so this map stays small.
type partyInfo struct {
	typ        string
	name       string
	orgnr      string
	electronic []ar.Address
	physical   []ar.Address
}

// inherit returns own plus the parent's addresses of types the party does
// not have itself, the inherited ones marked "inherited": true.
func inherit(own, parent []ar.Address) []map[string]json.RawMessage {
	out := make([]map[string]json.RawMessage, 0, len(own)+len(parent))
	have := map[string]bool{}
	for _, a := range own {
		have[a.Code] = true
		m := make(map[string]json.RawMessage, len(a.Fields)+1)
		for k, v := range a.Fields {
			m[k] = v
		}
		m["inherited"] = json.RawMessage("false")
		out = append(out, m)
	}
	for _, a := range parent {
		if have[a.Code] {
			continue
		}
		m := make(map[string]json.RawMessage, len(a.Fields)+1)
		for k, v := range a.Fields {
			m[k] = v
		}
		m["inherited"] = json.RawMessage("true")
		out = append(out, m)
	}
	return out
}

// loadAR loads communication parties. Organisations name an enhet;
// services and persons a parent organisation earlier in the file; persons an
// HPR person. Children's responses carry the parent summary and the
// organisation's addresses they inherit (docs/api.md). An enhet or a parent
// the dataset lacks is a warning (ruleAbsent): the party is loaded as given
// (a child of an absent parent inherits nothing); a parent that is not an
// organisation, or a person's HPR number not in HPR, is a reject.
func (r *run) loadAR() error {
	const name, reg = "ar.jsonl.gz", RegParties
	parties := map[int64]*partyInfo{}
	return r.loadFile(name, reg, func(s *source) error {
		var val []byte
		return ar.Read(s.r, func(rec *ar.Record) error {
			p := pos("line", rec.Line)
			if r.rejectShape(reg, name, p, itoa(rec.HerID), rec.Missing, rec.Err) {
				return nil
			}
			her, rule, ok := serial(registry.IDHerID, rec.HerID)
			if !ok {
				r.reject(reg, name, p, itoa(rec.HerID), rule, "herId")
				return nil
			}
			if _, dup := parties[rec.HerID]; dup {
				r.reject(reg, name, p, itoa(rec.HerID), ruleDuplicate, "herId seen before")
				return nil
			}
			info := &partyInfo{typ: rec.Type, name: rec.Name, electronic: rec.Electronic, physical: rec.Physical}
			fields := rec.Fields
			var parent *partyInfo
			switch rec.Type {
			case ar.TypeOrganization:
				o, err := registry.ParseOrgnr([]byte(rec.Orgnr))
				if err != nil {
					r.reject(reg, name, p, itoa(rec.HerID), err.(*registry.IDError).Rule, "organizationNumber")
					return nil
				}
				ok, err := r.has(registry.OrgKey(o))
				if err != nil {
					return err
				}
				if !ok {
					r.warn(reg, name, p, itoa(rec.HerID), ruleAbsent, "organizationNumber "+rec.Orgnr+" is not in the dataset's Enhetsregisteret (loaded as given)")
				}
				info.orgnr = rec.Orgnr
				ik := registry.PairKey(registry.IdxPartyByOrgnr, o[:], u32(her))
				if err := r.b.Add(ik.Bytes(), nil); err != nil {
					return err
				}
			case ar.TypeService, ar.TypePerson:
				if _, rule, ok := serial(registry.IDHerID, rec.ParentHerID); !ok {
					r.reject(reg, name, p, itoa(rec.HerID), rule, "parentHerId")
					return nil
				}
				parent = parties[rec.ParentHerID]
				switch {
				case parent == nil:
					// A parent outside the file: served as given, with
					// no inherited addresses and a parent summary of
					// the HER-id alone.
					r.warn(reg, name, p, itoa(rec.HerID), ruleAbsent, "parentHerId "+itoa(rec.ParentHerID)+" is not a party earlier in the file (loaded as given)")
					parent = &partyInfo{}
				case parent.typ != ar.TypeOrganization:
					r.reject(reg, name, p, itoa(rec.HerID), ruleReference, "parentHerId "+itoa(rec.ParentHerID)+" is a "+parent.typ+", not an Organization")
					return nil
				}
				info.orgnr = parent.orgnr
				if rec.Type == ar.TypePerson {
					hpr, rule, ok := serial(registry.IDHPR, rec.HPRNumber)
					if !ok {
						r.reject(reg, name, p, itoa(rec.HerID), rule, "person.hprNumber")
						return nil
					}
					ok, err := r.has(registry.SerialKey(registry.RegPersonnel, hpr))
					if err != nil {
						return err
					}
					if !ok {
						r.reject(reg, name, p, itoa(rec.HerID), ruleReference, "person.hprNumber "+itoa(rec.HPRNumber)+" is not in HPR")
						return nil
					}
					ik := registry.SerialKey(registry.IdxPartyByHPR, hpr)
					var hv [4]byte
					binary.BigEndian.PutUint32(hv[:], uint32(her))
					if err := r.b.Add(ik.Bytes(), hv[:]); err != nil {
						return err
					}
				}
				ck := registry.PairKey(registry.IdxPartyChildren, u32(uint64(rec.ParentHerID)), u32(her))
				if err := r.b.Add(ck.Bytes(), nil); err != nil {
					return err
				}
				// Resolve inheritance once, here, so the server writes bytes.
				out := make(map[string]json.RawMessage, len(fields)+2)
				for k, v := range fields {
					out[k] = v
				}
				el, _ := json.Marshal(inherit(rec.Electronic, parent.electronic))
				ph, _ := json.Marshal(inherit(rec.Physical, parent.physical))
				out["electronicAddresses"], out["physicalAddresses"] = el, ph
				ps := map[string]any{"herId": rec.ParentHerID}
				if parent.typ != "" {
					ps["name"], ps["organizationNumber"] = parent.name, parent.orgnr
				}
				summary, _ := json.Marshal(ps)
				out["parent"] = summary
				fields = out
			default:
				r.reject(reg, name, p, itoa(rec.HerID), ruleShape, "type "+rec.Type+" is not Organization, Service or Person")
				return nil
			}
			parties[rec.HerID] = info
			body, err := json.Marshal(fields)
			if err != nil {
				return err
			}
			k := registry.SerialKey(registry.RegParty, her)
			val = registry.AppendValue(val[:0], 0, body, nil)
			if err := r.b.Add(k.Bytes(), val); err != nil {
				return err
			}
			r.stats[reg].Records++
			return nil
		})
	})
}

func u32(v uint64) []byte {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(v))
	return b[:]
}
