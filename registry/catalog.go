package registry

import (
	"encoding/binary"
	"encoding/json"
)

// The catalog is an in-memory search index over the small registers —
// Adresseregisteret (~100 k parties) and Fastlegeregisteret (~5 k contracts)
// — built from a generation the first time it is searched, and rebuilt when
// another generation becomes active. Searching it costs no store reads but
// the records of the page returned.

// ContractEntry is what the GP contract list filters on.
type ContractEntry struct {
	ID           uint64
	Orgnr        string
	Municipality string
}

// Catalog is the search catalog of a generation (Seq).
type Catalog struct {
	Seq       uint64
	Parties   []PartyEntry
	Contracts []ContractEntry
}

// BuildCatalog reads the parties and the GP contracts of v.
func BuildCatalog(v View) (*Catalog, error) {
	c := &Catalog{Seq: v.Seq()}
	err := v.Scan([]byte{byte(RegParty)}, nil, func(k, val []byte) bool {
		_, full, _, err := DecodeValue(val)
		if err != nil {
			return true
		}
		var p struct {
			Name         string `json:"name"`
			Type         string `json:"type"`
			Orgnr        string `json:"organizationNumber"`
			Active       bool   `json:"active"`
			Municipality *struct {
				Code string `json:"code"`
			} `json:"municipality"`
			BusinessType *struct {
				Code string `json:"code"`
			} `json:"businessType"`
			Service *struct {
				Code struct {
					Code string `json:"code"`
				} `json:"code"`
			} `json:"service"`
			Parent *struct {
				Orgnr string `json:"organizationNumber"`
			} `json:"parent"`
		}
		if json.Unmarshal(full, &p) != nil {
			return true
		}
		cp := PartyEntry{HerID: binary.BigEndian.Uint32(k[1:]), Name: p.Name, Words: NameTokens(p.Name), Type: p.Type,
			Orgnr: p.Orgnr, Active: p.Active}
		if cp.Orgnr == "" && p.Parent != nil {
			cp.Orgnr = p.Parent.Orgnr
		}
		if p.Municipality != nil {
			cp.Municipality = p.Municipality.Code
		}
		if p.BusinessType != nil {
			cp.BusinessType = p.BusinessType.Code
		}
		if p.Service != nil {
			cp.ServiceCode = p.Service.Code.Code
		}
		c.Parties = append(c.Parties, cp)
		return true
	})
	if err != nil {
		return nil, err
	}
	// Children inherit the municipality and business type of their
	// organisation for filtering.
	byHer := make(map[uint32]*PartyEntry, len(c.Parties))
	for i := range c.Parties {
		byHer[c.Parties[i].HerID] = &c.Parties[i]
	}
	v.Scan([]byte{byte(IdxPartyChildren)}, nil, func(k, _ []byte) bool {
		parent, child := byHer[binary.BigEndian.Uint32(k[1:])], byHer[binary.BigEndian.Uint32(k[5:])]
		if parent != nil && child != nil {
			if child.Municipality == "" {
				child.Municipality = parent.Municipality
			}
			if child.BusinessType == "" {
				child.BusinessType = parent.BusinessType
			}
		}
		return true
	})
	err = v.Scan([]byte{byte(RegGPContract)}, nil, func(k, val []byte) bool {
		_, full, _, err := DecodeValue(val)
		if err != nil {
			return true
		}
		var g struct {
			Orgnr        string `json:"gpOfficeOrganizationNumber"`
			Municipality *struct {
				Code string `json:"code"`
			} `json:"municipality"`
		}
		if json.Unmarshal(full, &g) != nil {
			return true
		}
		cc := ContractEntry{ID: binary.BigEndian.Uint64(k[1:]), Orgnr: g.Orgnr}
		if g.Municipality != nil {
			cc.Municipality = g.Municipality.Code
		}
		c.Contracts = append(c.Contracts, cc)
		return true
	})
	return c, err
}
