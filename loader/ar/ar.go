// Package ar parses Adresseregisteret communication parties in grunndata's
// JSON-lines format (docs/formats.md): organisations, services and persons,
// parents before children.
package ar

import (
	"bytes"
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
	// Fields holds every top-level field as given (compact), for
	// re-encoding by AppendJSON.
	Fields map[string]json.RawMessage
	// Electronic and Physical are the party's own addresses.
	Electronic, Physical []Address
	// Missing names a required field that is absent; Err a shape error
	// (not JSON, not UTF-8, a field of the wrong type).
	Missing string
	Err     error
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
	var buf bytes.Buffer
	return jsonl.Lines(r, func(line int, b []byte) error {
		rec := Record{Line: line}
		// Compacted once here, so that every raw value kept in Fields is
		// compact and valid UTF-8.
		buf.Reset()
		if err := jsonl.Compact(&buf, b); err != nil {
			rec.Err = err
			return fn(&rec)
		}
		b = buf.Bytes()
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

// Parent is what a service or person is served with of its parent
// organisation: a summary, and the addresses it inherits.
type Parent struct {
	HerID int64
	// Known says the parent is a party of the dataset; otherwise the
	// summary is the HER-id alone and nothing is inherited.
	Known                bool
	Name, Orgnr          string
	Electronic, Physical []Address
}

// AppendJSON appends the party's response JSON to dst and returns it: the
// one encoder of a communication party (docs/api.md). An organisation
// (parent nil) is its fields as given. A service or person has, besides its
// own fields, "parent" (the parent's herId, name and organizationNumber)
// and its own addresses marked "inherited": false followed by the parent's
// addresses of the types it lacks, marked "inherited": true, resolved here
// once so the server writes stored bytes. Members are in key order, as
// json.Marshal writes a map (jsonl.AppendObject). The record's values are
// compact (Read compacts each line), so the result is valid JSON.
func (rec *Record) AppendJSON(dst []byte, parent *Parent) []byte {
	ms := jsonl.MembersOf(rec.Fields)
	if parent == nil {
		return jsonl.AppendObject(dst, ms)
	}
	var pe, pp []Address
	if parent.Known {
		pe, pp = parent.Electronic, parent.Physical
	}
	// The members added last win over the fields as given.
	start := len(dst)
	dst = appendInherited(dst, rec.Electronic, pe)
	el := len(dst)
	dst = appendInherited(dst, rec.Physical, pp)
	ph := len(dst)
	dst = append(dst, `{"herId":`...)
	dst = jsonl.AppendInt(dst, parent.HerID)
	if parent.Known {
		dst = append(dst, `,"name":`...)
		dst = jsonl.AppendString(dst, parent.Name)
		dst = append(dst, `,"organizationNumber":`...)
		dst = jsonl.AppendString(dst, parent.Orgnr)
	}
	dst = append(dst, '}')
	// The three values sit in dst after start; the object is written
	// after them, then moved to start.
	vals := append([]byte(nil), dst[start:]...)
	dst = dst[:start]
	ms = append(ms,
		jsonl.Member{Key: "electronicAddresses", Value: vals[:el-start]},
		jsonl.Member{Key: "physicalAddresses", Value: vals[el-start : ph-start]},
		jsonl.Member{Key: "parent", Value: vals[ph-start:]})
	return jsonl.AppendObject(dst, ms)
}

// appendInherited appends own addresses, then those of parent whose type
// own lacks, each object with an "inherited" member.
func appendInherited(dst []byte, own, parent []Address) []byte {
	dst = append(dst, '[')
	n := 0
	add := func(a Address, inherited string) {
		if n > 0 {
			dst = append(dst, ',')
		}
		n++
		ms := jsonl.MembersOf(a.Fields)
		ms = append(ms, jsonl.Member{Key: "inherited", Value: []byte(inherited)})
		dst = jsonl.AppendObject(dst, ms)
	}
	for _, a := range own {
		add(a, "false")
	}
next:
	for _, a := range parent {
		for _, o := range own {
			if o.Code == a.Code {
				continue next
			}
		}
		add(a, "true")
	}
	return append(dst, ']')
}
