package query

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/grunndata/grunndata/registry"
)

// AINRequest is what an EPJ knows of an unidentified patient (the body of
// POST /v1/ain; every field optional).
type AINRequest struct {
	GivenName  string `json:"givenName"`
	FamilyName string `json:"familyName"`
	BirthDate  string `json:"birthDate"`
	BirthYear  int    `json:"birthYear"`
	Gender     string `json:"gender"`
	Notes      string `json:"notes"`
}

// Validate returns what is wrong with r ("" when nothing is) at the instant
// now; it fills BirthYear from BirthDate.
func (r *AINRequest) Validate(now time.Time) string {
	for _, f := range []struct {
		name, v string
		max     int
	}{{"givenName", r.GivenName, 200}, {"familyName", r.FamilyName, 200}, {"notes", r.Notes, 1000}} {
		if !utf8.ValidString(f.v) || utf8.RuneCountInString(f.v) > f.max {
			return f.name + " must be valid text of at most " + strconv.Itoa(f.max) + " characters"
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
	if r.BirthYear != 0 && (r.BirthYear < 1850 || r.BirthYear > now.Year()+1) {
		return "birthYear out of range"
	}
	switch r.Gender {
	case "", "kvinne", "mann", "ukjent":
	default:
		return `gender must be "kvinne", "mann" or "ukjent"`
	}
	return ""
}

// ainPerson is the person record of an allocated AIN, its fields in the
// order the API has always written them.
type ainPerson struct {
	AddressProtection string          `json:"addressProtection"`
	AllocatedAt       string          `json:"allocatedAt"`
	AllocatedBy       string          `json:"allocatedBy"`
	BirthDate         string          `json:"birthDate,omitempty"`
	BirthYear         int             `json:"birthYear,omitempty"`
	Citizenships      []string        `json:"citizenships"`
	Family            []string        `json:"family"`
	Gender            string          `json:"gender,omitempty"`
	IdentifierType    string          `json:"identifierType"`
	Identifiers       []ainIdentifier `json:"identifiers"`
	Name              *ainName        `json:"name,omitempty"`
	NIN               string          `json:"nin"`
	Notes             string          `json:"notes,omitempty"`
	Status            string          `json:"status"`
}

type ainIdentifier struct {
	NIN    string `json:"nin"`
	Status string `json:"status"`
	Type   string `json:"type"`
}

type ainName struct {
	Family string `json:"family"`
	Given  string `json:"given"`
}

// AINPerson is the record of AIN n allocated at now by client by for r: the
// person as lookups serve it.
func AINPerson(n registry.NIN, r *AINRequest, now time.Time, by string) ([]byte, error) {
	p := ainPerson{AddressProtection: "ugradert", AllocatedAt: now.UTC().Format(time.RFC3339), AllocatedBy: by,
		BirthDate: r.BirthDate, BirthYear: r.BirthYear, Citizenships: []string{}, Family: []string{}, Gender: r.Gender,
		IdentifierType: "ain", Identifiers: []ainIdentifier{{NIN: string(n[:]), Status: "iBruk", Type: "ain"}},
		NIN: string(n[:]), Notes: r.Notes, Status: "aktiv"}
	if r.GivenName != "" || r.FamilyName != "" {
		p.Name = &ainName{Family: r.FamilyName, Given: r.GivenName}
	}
	return json.Marshal(&p)
}

// AllocateAIN allocates a new AIN for r in the AIN store, durably, never a
// number the active generation of store holds; it returns the number and
// the person as lookups will serve it.
func (e *Engine) AllocateAIN(store registry.Store, r *AINRequest, now time.Time, by string) (registry.NIN, []byte, error) {
	var berr error
	build := func(n registry.NIN) []byte {
		b, err := AINPerson(n, r, now, by)
		if err != nil {
			berr = err
		}
		return b
	}
	taken := func(n registry.NIN) bool {
		v, err := store.Acquire()
		if err != nil {
			return false
		}
		defer v.Release()
		k := registry.PersonKey(n)
		_, err = v.Get(nil, &k)
		return err == nil
	}
	n, val, err := e.ain.Allocate(build, taken)
	if err == nil {
		err = berr
	}
	if err != nil {
		return n, nil, err
	}
	_, full, _, err := registry.DecodeValue(val)
	return n, full, err
}
