// Package resh parses RESH units in grunndata's JSON-lines format
// (docs/formats.md): one unit per line, parents before children.
package resh

import (
	"bytes"
	json "github.com/goccy/go-json"
	"io"

	"github.com/grunndata/grunndata/loader/jsonl"
	"github.com/grunndata/grunndata/registry"
)

// Record is one RESH unit.
type Record struct {
	Line   int
	ReshID int64
	Parent int64 // 0 for a root
	Name   string
	Orgnr  string
	Active bool
	// Services is the length of the unit's optional "services" array.
	Services int
	// JSON is the record compacted: the stored view, as given. It is
	// valid only during the callback.
	JSON []byte
	// Missing names a required field that is absent; Err a shape error
	// (not JSON, not UTF-8, a field of the wrong type).
	Missing string
	Err     error
}

type fields struct {
	ReshID       *int64            `json:"reshId"`
	ParentReshID *int64            `json:"parentReshId"`
	Name         *string           `json:"name"`
	Orgnr        string            `json:"organizationNumber"`
	Level        json.RawMessage   `json:"level"`
	Active       *bool             `json:"active"`
	Services     []json.RawMessage `json:"services"`
	// Valid is typed so that a period of the wrong shape is a reject at
	// load, never a stored unit ?atTime cannot read (registry.ReshAt).
	Valid *registry.Period `json:"valid"`
}

// Read calls fn for each line of r.
func Read(r io.Reader, fn func(rec *Record) error) error {
	var buf bytes.Buffer
	return jsonl.Lines(r, func(line int, b []byte) error {
		rec := Record{Line: line}
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
		switch {
		case f.ReshID == nil:
			rec.Missing = "reshId"
		case f.Name == nil:
			rec.Missing = "name"
		case len(f.Level) == 0 || string(f.Level) == "null":
			rec.Missing = "level"
		}
		if rec.Missing != "" {
			return fn(&rec)
		}
		rec.ReshID, rec.Name, rec.Orgnr = *f.ReshID, *f.Name, f.Orgnr
		if f.ParentReshID != nil {
			rec.Parent = *f.ParentReshID
		}
		rec.Active = f.Active == nil || *f.Active
		rec.Services = len(f.Services)
		rec.JSON = b
		return fn(&rec)
	})
}
