package server

import (
	"bytes"
	"encoding/json"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/valyala/fasthttp"

	"github.com/grunndata/grunndata/registry"
	"github.com/grunndata/grunndata/registry/audit"
)

// ainRequest is what an EPJ knows of an unidentified patient.
type ainRequest struct {
	GivenName  string `json:"givenName"`
	FamilyName string `json:"familyName"`
	BirthDate  string `json:"birthDate"`
	BirthYear  int    `json:"birthYear"`
	Gender     string `json:"gender"`
	Notes      string `json:"notes"`
}

func (r *ainRequest) validate() string {
	for _, f := range []struct {
		name, v string
		max     int
	}{{"givenName", r.GivenName, 200}, {"familyName", r.FamilyName, 200}, {"notes", r.Notes, 1000}} {
		if !utf8.ValidString(f.v) || utf8.RuneCountInString(f.v) > f.max {
			return f.name + " must be valid text of at most " + itoa(f.max) + " characters"
		}
		for _, r := range f.v {
			// Control characters are never part of a name; notes may have
			// line breaks and tabs.
			if unicode.IsControl(r) && (f.name != "notes" || r != '\n' && r != '\t' && r != '\r') {
				return f.name + " must not contain control characters"
			}
		}
	}
	if r.BirthDate != "" {
		t, err := time.Parse("2006-01-02", r.BirthDate)
		if err != nil {
			return "birthDate must be yyyy-mm-dd"
		}
		if r.BirthYear != 0 && r.BirthYear != t.Year() {
			return "birthYear contradicts birthDate"
		}
		r.BirthYear = t.Year()
	}
	if r.BirthYear != 0 && (r.BirthYear < 1850 || r.BirthYear > time.Now().Year()+1) {
		return "birthYear out of range"
	}
	switch r.Gender {
	case "", "kvinne", "mann", "ukjent":
	default:
		return `gender must be "kvinne", "mann" or "ukjent"`
	}
	return ""
}

var bodyNoAIN = problemBody(503, CodeUnavailable, "AIN allocation unavailable", "this server has no AIN store", "", "")

// allocateAIN answers POST /v1/ain: it allocates a new felles hjelpenummer,
// durably, and answers 201 with the person as lookups will serve it.
func (s *Server) allocateAIN(ctx *fasthttp.RequestCtx, c call) int {
	p, start := c.p, c.start
	if st := checkJSONPost(ctx); st != 0 {
		return st
	}
	var req ainRequest
	body := ctx.PostBody()
	if len(bytes.TrimSpace(body)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil || dec.More() {
			return writeInvalidBody(ctx, "body must be a JSON object with givenName, familyName, birthDate, birthYear, gender, notes (all optional)")
		}
	}
	if msg := req.validate(); msg != "" {
		return writeInvalidBody(ctx, msg)
	}
	if s.cfg.AIN == nil {
		writeProblem(ctx, 503, bodyNoAIN)
		return 503
	}
	now := time.Now().UTC()
	build := func(n registry.NIN) []byte {
		person := map[string]any{
			"nin":               string(n[:]),
			"identifierType":    "ain",
			"identifiers":       []map[string]string{{"nin": string(n[:]), "type": "ain", "status": "iBruk"}},
			"status":            "aktiv",
			"addressProtection": "ugradert",
			"citizenships":      []string{},
			"family":            []string{},
			"allocatedAt":       now.Format(time.RFC3339),
			"allocatedBy":       p.ClientID,
		}
		if req.GivenName != "" || req.FamilyName != "" {
			person["name"] = map[string]string{"given": req.GivenName, "family": req.FamilyName}
		}
		if req.BirthDate != "" {
			person["birthDate"] = req.BirthDate
		}
		if req.BirthYear != 0 {
			person["birthYear"] = req.BirthYear
		}
		if req.Gender != "" {
			person["gender"] = req.Gender
		}
		if req.Notes != "" {
			person["notes"] = req.Notes
		}
		b, _ := json.Marshal(person)
		return b
	}
	taken := func(n registry.NIN) bool {
		v, err := s.store.Acquire()
		if err != nil {
			return false
		}
		defer v.Release()
		k := registry.PersonKey(n)
		_, err = v.Get(nil, &k)
		return err == nil
	}
	n, val, err := s.cfg.AIN.Allocate(build, taken)
	if err != nil {
		s.log.Error("AIN allocation failed", "err", err)
		return writeError(ctx, err)
	}
	_, full, _, _ := registry.DecodeValue(val)
	ctx.SetStatusCode(201)
	ctx.Response.Header.SetContentTypeBytes(ctJSON)
	ctx.SetBody(full)
	if s.cfg.Audit != nil {
		e := audit.Entry{Caller: caller(p), Route: c.r.name, Subject: n[:], Status: 201, Duration: time.Since(start)}
		if err := s.cfg.Audit.Record(&e); err != nil {
			ctx.Response.Reset()
			writeProblem(ctx, 503, bodyAuditDown)
			return 503
		}
	}
	return 201
}

// ainLookup serves an AIN from the AIN store (lookups of numbers the active
// generation does not hold).
func (s *Server) ainLookup(ctx *fasthttp.RequestCtx, key *registry.Key) int {
	if s.cfg.AIN == nil {
		return writeError(ctx, registry.ErrNotFound)
	}
	val, err := s.cfg.AIN.Get(nil, key)
	if err != nil {
		return writeError(ctx, err)
	}
	_, full, _, err := registry.DecodeValue(val)
	if err != nil {
		return writeError(ctx, err)
	}
	return writeJSON(ctx, full)
}
