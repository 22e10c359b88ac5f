package registry

import (
	"slices"
	"strings"
)

// The search rules of the registers, as pure functions: what a query
// matches and how hits rank. The server parses requests, calls these and
// writes answers; the rules are tested on their own (rules_test.go).

// MatchWords reports whether every query word is a prefix of a distinct
// name word (words in any order).
func MatchWords(name, query []string) bool {
	used := uint64(0) // bitmask of used name words (names have few words)
	for _, q := range query {
		found := false
		for i, t := range name {
			if i < 64 && used&(1<<i) == 0 && strings.HasPrefix(t, q) {
				used |= 1 << i
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// SameWords reports whether name and query are the same words in any order
// (an exact name match ranks first).
func SameWords(name, query []string) bool {
	if len(name) != len(query) {
		return false
	}
	a, b := slices.Clone(name), slices.Clone(query)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// NameHit is what name searches rank by.
type NameHit struct {
	Exact         bool   // the name filters match the name exactly
	Family, Given string // folded
}

// RankBefore orders name-search hits: exact name matches first, then by
// folded family name, then given name. tie means the two rank equal and the
// caller breaks the tie by id.
func RankBefore(a, b NameHit) (before, tie bool) {
	switch {
	case a.Exact != b.Exact:
		return a.Exact, false
	case a.Family != b.Family:
		return a.Family < b.Family, false
	case a.Given != b.Given:
		return a.Given < b.Given, false
	}
	return false, true
}

// PersonQuery is a person search: folded name words, a birth date prefix
// (yyyy, yyyy-mm or yyyy-mm-dd), a gender ('k', 'm' or 0) and location
// filters (postal code, municipality number).
type PersonQuery struct {
	Family, Given []string
	BirthDate     string
	Gender        byte
	PostalCode    string
	Municipality  string
}

// HasLocation reports whether q filters on where a person lives.
func (q *PersonQuery) HasLocation() bool { return q.PostalCode != "" || q.Municipality != "" }

// LocationVisible is the protected-location rule: a location filter never
// matches a person whose addresses the caller may not see (seeProtected:
// the caller holds grunndata:person.read-protected), so a search cannot
// tell where a protected person lives. Without a location filter every
// person is visible (found by name, in their restricted view).
func LocationVisible(hasLocation, protected, seeProtected bool) bool {
	return !hasLocation || !protected || seeProtected
}

// Match reports whether s matches q for a caller who may (seeProtected) or
// may not see protected addresses, and whether the name matches exactly.
func (q *PersonQuery) Match(s *PersonSummary, seeProtected bool) (match, exact bool) {
	fw, gw := strings.Fields(s.Family), strings.Fields(s.Given)
	if len(q.Family) > 0 && !MatchWords(fw, q.Family) || len(q.Given) > 0 && !MatchWords(gw, q.Given) ||
		q.BirthDate != "" && !strings.HasPrefix(s.BirthDate, q.BirthDate) ||
		q.Gender != 0 && s.Gender != q.Gender {
		return false, false
	}
	if !LocationVisible(q.HasLocation(), s.Protected, seeProtected) {
		return false, false
	}
	if q.PostalCode != "" && s.Postnummer != q.PostalCode || q.Municipality != "" && s.Kommunenummer != q.Municipality {
		return false, false
	}
	return true, (len(q.Family) == 0 || SameWords(fw, q.Family)) && (len(q.Given) == 0 || SameWords(gw, q.Given))
}

// PersonnelQuery is an HPR search: folded name words (Name against given and
// family names together), a profession category (9060) and a speciality
// (7426).
type PersonnelQuery struct {
	Name, Given, Family  []string
	Category, Speciality string
}

// Match reports whether s matches q, and whether the name matches exactly.
func (q *PersonnelQuery) Match(s *PersonnelSummary) (match, exact bool) {
	gw, fw := strings.Fields(s.Given), strings.Fields(s.Family)
	if len(q.Family) > 0 && !MatchWords(fw, q.Family) || len(q.Given) > 0 && !MatchWords(gw, q.Given) ||
		len(q.Name) > 0 && !MatchWords(append(slices.Clone(gw), fw...), q.Name) ||
		q.Category != "" && !slices.Contains(s.Categories, q.Category) ||
		q.Speciality != "" && !slices.Contains(s.Specialities, q.Speciality) {
		return false, false
	}
	return true, (len(q.Family) == 0 || SameWords(fw, q.Family)) && (len(q.Given) == 0 || SameWords(gw, q.Given))
}

// PartyEntry is what the AR search filters on: a communication party with
// the municipality and business type it inherits from its organisation.
type PartyEntry struct {
	HerID        uint32
	Name         string   // as given
	Words        []string // NameTokens(Name)
	Type         string
	Orgnr        string // its own, or its parent organisation's
	Municipality string
	BusinessType string
	ServiceCode  string
	Active       bool
}

// PartyQuery is an AR search; empty fields do not filter. Active is "",
// "true" or "false".
type PartyQuery struct {
	Name                                                         []string // folded words
	Orgnr, Type, ServiceCode, Municipality, BusinessType, Active string
}

// Match reports whether p matches q (the type case-insensitively), and
// whether the name matches exactly.
func (q *PartyQuery) Match(p *PartyEntry) (match, exact bool) {
	if q.Orgnr != "" && p.Orgnr != q.Orgnr || q.Type != "" && !strings.EqualFold(p.Type, q.Type) ||
		q.ServiceCode != "" && p.ServiceCode != q.ServiceCode || q.Municipality != "" && p.Municipality != q.Municipality ||
		q.BusinessType != "" && p.BusinessType != q.BusinessType ||
		q.Active != "" && (q.Active == "true") != p.Active {
		return false, false
	}
	if !MatchWords(p.Words, q.Name) {
		return false, false
	}
	return true, len(q.Name) > 0 && SameWords(p.Words, q.Name)
}

// PartyBefore orders AR search hits: exact name matches first, then by name
// as given, then by HER-id.
func PartyBefore(a, b *PartyEntry, aExact, bExact bool) bool {
	switch {
	case aExact != bExact:
		return aExact
	case a.Name != b.Name:
		return a.Name < b.Name
	}
	return a.HerID < b.HerID
}
