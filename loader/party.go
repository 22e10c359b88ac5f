package loader

import (
	"encoding/binary"

	"github.com/grunndata/grunndata/loader/ar"
	"github.com/grunndata/grunndata/registry"
)

// partyInfo is what children need of an AR party: its type, and the
// parent summary and addresses they are served with. AR has ~100 k parties,
// so this map stays small.
type partyInfo struct {
	typ string
	ar.Parent
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
		var body, val []byte
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
			info := &partyInfo{typ: rec.Type, Parent: ar.Parent{HerID: rec.HerID, Known: true, Name: rec.Name,
				Electronic: rec.Electronic, Physical: rec.Physical}}
			var parent *ar.Parent // nil: an organisation
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
				info.Orgnr = rec.Orgnr
				ik := registry.PairKey(registry.IdxPartyByOrgnr, o[:], u32(her))
				if err := r.b.Add(ik.Bytes(), nil); err != nil {
					return err
				}
			case ar.TypeService, ar.TypePerson:
				if _, rule, ok := serial(registry.IDHerID, rec.ParentHerID); !ok {
					r.reject(reg, name, p, itoa(rec.HerID), rule, "parentHerId")
					return nil
				}
				pi := parties[rec.ParentHerID]
				switch {
				case pi == nil:
					// A parent outside the file: served as given, with
					// no inherited addresses and a parent summary of
					// the HER-id alone.
					r.warn(reg, name, p, itoa(rec.HerID), ruleAbsent, "parentHerId "+itoa(rec.ParentHerID)+" is not a party earlier in the file (loaded as given)")
					parent = &ar.Parent{HerID: rec.ParentHerID}
				case pi.typ != ar.TypeOrganization:
					r.reject(reg, name, p, itoa(rec.HerID), ruleReference, "parentHerId "+itoa(rec.ParentHerID)+" is a "+pi.typ+", not an Organization")
					return nil
				default:
					parent = &pi.Parent
				}
				info.Orgnr = parent.Orgnr
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
			default:
				r.reject(reg, name, p, itoa(rec.HerID), ruleShape, "type "+rec.Type+" is not Organization, Service or Person")
				return nil
			}
			parties[rec.HerID] = info
			body = rec.AppendJSON(body[:0], parent)
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
