// Package ar parses Adresseregisteret communication parties in grunndata's
// JSON-lines format (docs/formats.md): organisations, services and persons,
// parents before children.
package ar

import (
	json "github.com/goccy/go-json"
	"io"

	"github.com/grunndata/grunndata/loader/jsonl"
)

// Party types.
const (
	TypeOrganization = "Organization"
	TypeService      = "Service"
	TypePerson       = "Person"
)

// Record is one communication party.
type Record struct {
	Line        int
	HerID       int64
	Type        string
	Name        string
	Active      bool
	ParentHerID int64  // 0 for organisations
	Orgnr       string // organisations
	HPRNumber   int64  // persons
	// Fields holds every top-level field as given, for re-encoding.
	Fields map[string]json.RawMessage
	// Electronic and Physical are the party's own addresses.
	Electronic, Physical []Address
	Missing              string
	Err                  error
}

// Address is an electronic or physical address with its type code.
type Address struct {
	Code   string
	Fields map[string]json.RawMessage
}

type fields struct {
	HerID       *int64  `json:"herId"`
	Type        *string `json:"type"`
	Name        *string `json:"name"`
	Active      *bool   `json:"active"`
	ParentHerID *int64  `json:"parentHerId"`
	Orgnr       string  `json:"organizationNumber"`
	Person      *struct {
		HPRNumber *int64 `json:"hprNumber"`
	} `json:"person"`
}

func decodeAddresses(raw json.RawMessage) ([]Address, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var items []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, err
	}
	out := make([]Address, 0, len(items))
	for _, it := range items {
		var t struct {
			Code string `json:"code"`
		}
		if tr, ok := it["type"]; ok {
			if err := json.Unmarshal(tr, &t); err != nil {
				return nil, err
			}
		}
		out = append(out, Address{Code: t.Code, Fields: it})
	}
	return out, nil
}

// Read calls fn for each line of r.
func Read(r io.Reader, fn func(rec *Record) error) error {
	return jsonl.Lines(r, func(line int, b []byte) error {
		rec := Record{Line: line}
		var f fields
		if err := json.Unmarshal(b, &f); err != nil {
			rec.Err = err
			return fn(&rec)
		}
		if err := json.Unmarshal(b, &rec.Fields); err != nil {
			rec.Err = err
			return fn(&rec)
		}
		switch {
		case f.HerID == nil:
			rec.Missing = "herId"
		case f.Type == nil:
			rec.Missing = "type"
		case f.Name == nil:
			rec.Missing = "name"
		case f.Active == nil:
			rec.Missing = "active"
		}
		if rec.Missing != "" {
			return fn(&rec)
		}
		rec.HerID, rec.Type, rec.Name, rec.Active, rec.Orgnr = *f.HerID, *f.Type, *f.Name, *f.Active, f.Orgnr
		if f.ParentHerID != nil {
			rec.ParentHerID = *f.ParentHerID
		}
		if f.Person != nil && f.Person.HPRNumber != nil {
			rec.HPRNumber = *f.Person.HPRNumber
		}
		var err error
		if rec.Electronic, err = decodeAddresses(rec.Fields["electronicAddresses"]); err != nil {
			rec.Err = err
		} else if rec.Physical, err = decodeAddresses(rec.Fields["physicalAddresses"]); err != nil {
			rec.Err = err
		}
		return fn(&rec)
	})
}
