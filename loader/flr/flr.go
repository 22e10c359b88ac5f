// Package flr parses Fastlegeregisteret GP contracts and patient list
// entries in grunndata's JSON-lines formats (docs/formats.md).
package flr

import (
	"bytes"
	json "github.com/goccy/go-json"
	"io"
	"time"

	"github.com/grunndata/grunndata/loader/jsonl"
)

// Period is a validity period; a zero To is open-ended.
type Period struct {
	From string  `json:"from"`
	To   *string `json:"to"`
}

// Contains reports whether day (yyyy-MM-dd) lies inside p.
func (p Period) Contains(day string) bool {
	if p.From != "" && day < p.From {
		return false
	}
	return p.To == nil || *p.To == "" || day <= *p.To
}

// AppendJSON appends p as {"from":…,"to":…} (to null when open-ended), the
// one encoding of a period in GP answers.
func (p Period) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"from":`...)
	dst = jsonl.AppendString(dst, p.From)
	dst = append(dst, `,"to":`...)
	if p.To == nil {
		return append(dst, "null}"...)
	}
	dst = jsonl.AppendString(dst, *p.To)
	return append(dst, '}')
}

// Doctor is a GP on a contract (GPOnContractAssociation).
type Doctor struct {
	HPRNumber    int64 `json:"hprNumber"`
	Relationship struct {
		Code string `json:"code"`
	} `json:"relationship"`
	Valid Period `json:"valid"`
}

// Contract is one GP contract.
type Contract struct {
	Line         int
	ID           int64
	OfficeOrgnr  string
	OfficeHerID  int64
	Municipality string
	MaxPatients  int64
	Status       string // 7751 code; "FAAA" is open for new patients
	Doctors      []Doctor
	// JSON is the record compacted, as given; valid only during the
	// callback.
	JSON []byte
	// Missing names a required field that is absent; Err a shape error
	// (not JSON, not UTF-8, a field of the wrong type).
	Missing string
	Err     error
}

type contractFields struct {
	ID           *int64  `json:"id"`
	OfficeOrgnr  *string `json:"gpOfficeOrganizationNumber"`
	OfficeHerID  int64   `json:"gpOfficeHerId"`
	Municipality *struct {
		Code string `json:"code"`
	} `json:"municipality"`
	MaxPatients *int64 `json:"maxPatients"`
	Status      *struct {
		Code string `json:"code"`
	} `json:"status"`
	Doctors *[]Doctor `json:"doctors"`
}

// ReadContracts calls fn for each contract line of r.
func ReadContracts(r io.Reader, fn func(c *Contract) error) error {
	var buf bytes.Buffer
	return jsonl.Lines(r, func(line int, b []byte) error {
		c := Contract{Line: line}
		buf.Reset()
		if err := jsonl.Compact(&buf, b); err != nil {
			c.Err = err
			return fn(&c)
		}
		b = buf.Bytes()
		var f contractFields
		if err := json.Unmarshal(b, &f); err != nil {
			c.Err = err
			return fn(&c)
		}
		switch {
		case f.ID == nil:
			c.Missing = "id"
		case f.OfficeOrgnr == nil:
			c.Missing = "gpOfficeOrganizationNumber"
		case f.Municipality == nil:
			c.Missing = "municipality"
		case f.MaxPatients == nil:
			c.Missing = "maxPatients"
		case f.Doctors == nil:
			c.Missing = "doctors"
		}
		if c.Missing != "" {
			return fn(&c)
		}
		c.ID, c.OfficeOrgnr, c.OfficeHerID = *f.ID, *f.OfficeOrgnr, f.OfficeHerID
		c.Municipality, c.MaxPatients, c.Doctors = f.Municipality.Code, *f.MaxPatients, *f.Doctors
		if f.Status != nil {
			c.Status = f.Status.Code
		}
		c.JSON = b
		return fn(&c)
	})
}

// Patient is one patient-to-contract association.
type Patient struct {
	Line       int
	NIN        string
	ContractID int64
	Period     Period
	Missing    string
	Err        error
}

// ReadPatients calls fn for each patient line of r.
func ReadPatients(r io.Reader, fn func(p *Patient) error) error {
	return jsonl.Lines(r, func(line int, b []byte) error {
		p := Patient{Line: line}
		var f struct {
			NIN        *string `json:"patientNin"`
			ContractID *int64  `json:"gpContractId"`
			Period     *Period `json:"period"`
		}
		if err := json.Unmarshal(b, &f); err != nil {
			p.Err = err
			return fn(&p)
		}
		switch {
		case f.NIN == nil:
			p.Missing = "patientNin"
		case f.ContractID == nil:
			p.Missing = "gpContractId"
		case f.Period == nil:
			p.Missing = "period"
		}
		if p.Missing == "" {
			p.NIN, p.ContractID, p.Period = *f.NIN, *f.ContractID, *f.Period
		}
		return fn(&p)
	})
}

// Today returns the date used for "current" in yyyy-MM-dd.
func Today(now time.Time) string { return now.UTC().Format("2006-01-02") }
