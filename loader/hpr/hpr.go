// Package hpr parses Helsepersonellregisteret persons in grunndata's
// JSON-lines format (docs/formats.md): one person with approvals per line.
package hpr

import (
	"bytes"
	json "github.com/goccy/go-json"
	"io"

	"github.com/grunndata/grunndata/loader/jsonl"
	"github.com/grunndata/grunndata/registry"
)

// Record is one HPR person.
type Record struct {
	Line      int
	HPRNumber int64
	NIN       string // "" when the person has no Norwegian number
	Given     string
	Family    string
	// Professions are the 9060 codes of the person's approvals.
	Professions []string
	// Specialities are the 7426 codes of the approvals' specialities.
	Specialities []string
	// JSON is the record compacted: the stored view, as given. It is
	// valid only during the callback.
	JSON []byte
	// Missing names a required field that is absent; Err a shape error
	// (not JSON, not UTF-8, a field of the wrong type).
	Missing string
	Err     error
}

// item is a speciality, requisition right or additional competence: its
// type and the period fields the point-in-time rules and the history read
// (registry.PersonnelAt, registry.PersonnelHistory), typed so that a record
// whose periods or codes have the wrong shape is a reject at load, never a
// stored record those rules cannot read.
type item struct {
	Type struct {
		Code string `json:"code"`
	} `json:"type"`
	Valid       registry.Period   `json:"valid"`
	Suspensions []registry.Period `json:"suspensions"`
}

type fields struct {
	HPRNumber  *int64  `json:"hprNumber"`
	NIN        *string `json:"nin"`
	GivenName  *string `json:"givenName"`
	FamilyName *string `json:"familyName"`
	Approvals  *[]struct {
		Profession struct {
			Code string `json:"code"`
		} `json:"profession"`
		Authorization struct {
			Code string `json:"code"`
		} `json:"authorization"`
		Valid                 registry.Period   `json:"valid"`
		Ended                 bool              `json:"ended"`
		Suspensions           []registry.Period `json:"suspensions"`
		Specialities          []item            `json:"specialities"`
		RequisitionRights     []item            `json:"requisitionRights"`
		AdditionalCompetences []item            `json:"additionalCompetences"`
	} `json:"approvals"`
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
		if f.HPRNumber != nil {
			rec.HPRNumber = *f.HPRNumber
		}
		switch {
		case f.HPRNumber == nil:
			rec.Missing = "hprNumber"
		case f.FamilyName == nil:
			rec.Missing = "familyName"
		case f.GivenName == nil:
			rec.Missing = "givenName"
		case f.Approvals == nil:
			rec.Missing = "approvals"
		}
		if rec.Missing != "" {
			return fn(&rec)
		}
		rec.HPRNumber, rec.Given, rec.Family = *f.HPRNumber, *f.GivenName, *f.FamilyName
		if f.NIN != nil {
			rec.NIN = *f.NIN
		}
		for _, a := range *f.Approvals {
			rec.Professions = append(rec.Professions, a.Profession.Code)
			for _, sp := range a.Specialities {
				rec.Specialities = append(rec.Specialities, sp.Type.Code)
			}
		}
		rec.JSON = b
		return fn(&rec)
	})
}
