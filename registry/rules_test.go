package registry

import (
	"sort"
	"testing"
)

func TestMatchWords(t *testing.T) {
	for _, c := range []struct {
		name, query []string
		want, exact bool
	}{
		{[]string{"ola", "nordmann"}, []string{"nord"}, true, false},
		{[]string{"ola", "nordmann"}, []string{"nordmann", "ola"}, true, true},
		{[]string{"ola", "nordmann"}, []string{"ola", "ola"}, false, false}, // a name word matches one query word
		{[]string{"ola", "ola"}, []string{"ola", "ola"}, true, true},
		{[]string{"ola"}, []string{"ol", "x"}, false, false},
		{[]string{"kari"}, nil, true, false},
		{nil, []string{"kari"}, false, false},
		{[]string{"kari", "nordmann"}, []string{"kari"}, true, false},
	} {
		if got := MatchWords(c.name, c.query); got != c.want {
			t.Errorf("MatchWords(%q, %q) = %v, want %v", c.name, c.query, got, c.want)
		}
		if got := SameWords(c.name, c.query); got != c.exact {
			t.Errorf("SameWords(%q, %q) = %v, want %v", c.name, c.query, got, c.exact)
		}
	}
}

func TestRankBefore(t *testing.T) {
	hits := []NameHit{
		{Exact: false, Family: "aas", Given: "ola"},
		{Exact: true, Family: "nordmann", Given: "kari"},
		{Exact: false, Family: "aas", Given: "kari"},
		{Exact: true, Family: "berg", Given: "per"},
	}
	sort.SliceStable(hits, func(i, j int) bool { b, _ := RankBefore(hits[i], hits[j]); return b })
	want := []string{"berg per", "nordmann kari", "aas kari", "aas ola"}
	for i, h := range hits {
		if got := h.Family + " " + h.Given; got != want[i] {
			t.Fatalf("rank %d: %s, want %s (%v)", i, got, want[i], hits)
		}
	}
	if _, tie := RankBefore(hits[0], hits[0]); !tie {
		t.Fatal("equal hits do not tie")
	}
}

// TestProtectedLocationRule: a location filter never matches a protected
// person for a caller without grunndata:person.read-protected; the same
// person is found by name, and by location for a caller who may see them.
func TestProtectedLocationRule(t *testing.T) {
	protected := PersonSummary{Protected: true, Gender: 'k', BirthDate: "1980-01-02", Postnummer: "0150",
		Kommunenummer: "0301", Given: "kari", Family: "nordmann"}
	open := protected
	open.Protected = false
	for _, c := range []struct {
		name         string
		q            PersonQuery
		s            *PersonSummary
		seeProtected bool
		want, exact  bool
	}{
		{"name finds protected", PersonQuery{Family: []string{"nordmann"}}, &protected, false, true, true},
		{"postal code hides protected", PersonQuery{Family: []string{"nord"}, PostalCode: "0150"}, &protected, false, false, false},
		{"municipality hides protected", PersonQuery{Family: []string{"nord"}, Municipality: "0301"}, &protected, false, false, false},
		{"wrong municipality hides protected too", PersonQuery{Family: []string{"nord"}, Municipality: "4601"}, &protected, false, false, false},
		{"read-protected sees location", PersonQuery{Family: []string{"nord"}, PostalCode: "0150"}, &protected, true, true, false},
		{"read-protected wrong location", PersonQuery{Family: []string{"nord"}, PostalCode: "5003"}, &protected, true, false, false},
		{"unprotected by location", PersonQuery{Family: []string{"nordmann"}, Given: []string{"kari"}, Municipality: "0301"}, &open, false, true, true},
		{"unprotected wrong location", PersonQuery{Family: []string{"nordmann"}, PostalCode: "5003"}, &open, false, false, false},
		{"birth year", PersonQuery{BirthDate: "1980"}, &open, false, true, true},
		{"birth month mismatch", PersonQuery{BirthDate: "1980-02"}, &open, false, false, false},
		{"gender", PersonQuery{Given: []string{"ka"}, Gender: 'm'}, &open, false, false, false},
		{"gender match", PersonQuery{Given: []string{"ka"}, Gender: 'k'}, &open, false, true, false},
	} {
		ok, exact := c.q.Match(c.s, c.seeProtected)
		if ok != c.want || exact != c.exact {
			t.Errorf("%s: match %v exact %v, want %v %v", c.name, ok, exact, c.want, c.exact)
		}
	}
	for _, c := range []struct{ loc, prot, see, want bool }{
		{false, false, false, true}, {false, true, false, true}, {true, false, false, true},
		{true, true, false, false}, {true, true, true, true},
	} {
		if got := LocationVisible(c.loc, c.prot, c.see); got != c.want {
			t.Errorf("LocationVisible(%v, %v, %v) = %v", c.loc, c.prot, c.see, got)
		}
	}
}

func TestPersonnelQueryMatch(t *testing.T) {
	s := PersonnelSummary{Given: "kari anne", Family: "nordmann", Categories: []string{"LE", "SP"}, Specialities: []string{"1001"}}
	for _, c := range []struct {
		name        string
		q           PersonnelQuery
		want, exact bool
	}{
		{"free name over given and family", PersonnelQuery{Name: []string{"anne", "nord"}}, true, true},
		{"family exact", PersonnelQuery{Family: []string{"nordmann"}}, true, true},
		{"given partial", PersonnelQuery{Given: []string{"kari"}}, true, false},
		{"given word not in family", PersonnelQuery{Family: []string{"kari"}}, false, false},
		{"category", PersonnelQuery{Category: "SP"}, true, true},
		{"category missing", PersonnelQuery{Category: "LE2"}, false, false},
		{"speciality", PersonnelQuery{Family: []string{"no"}, Speciality: "1001"}, true, false},
		{"speciality missing", PersonnelQuery{Speciality: "1002"}, false, false},
	} {
		ok, exact := c.q.Match(&s)
		if ok != c.want || exact != c.exact {
			t.Errorf("%s: match %v exact %v, want %v %v", c.name, ok, exact, c.want, c.exact)
		}
	}
}

// TestPartySearchRanking: AR search filters (type case-insensitively,
// inherited municipality, active) and ranking (exact names first, then by
// name, then HER-id).
func TestPartySearchRanking(t *testing.T) {
	parties := []PartyEntry{
		{HerID: 5, Name: "Byen legesenter avd. Sentrum", Type: "Service", Municipality: "0301", Active: true},
		{HerID: 3, Name: "Legesenter Byen", Type: "Organization", Orgnr: "923609016", Municipality: "0301", Active: true},
		{HerID: 4, Name: "Byen legesenter", Type: "Organization", Municipality: "4601", Active: false},
		{HerID: 2, Name: "Byen legesenter", Type: "Organization", Municipality: "0301", Active: true},
		{HerID: 1, Name: "Fjellet sykehus", Type: "Organization", Municipality: "0301", Active: true},
	}
	for i := range parties {
		parties[i].Words = NameTokens(parties[i].Name)
	}
	search := func(q PartyQuery) []uint32 {
		type hit struct {
			p     *PartyEntry
			exact bool
		}
		var hits []hit
		for i := range parties {
			if ok, exact := q.Match(&parties[i]); ok {
				hits = append(hits, hit{&parties[i], exact})
			}
		}
		sort.SliceStable(hits, func(i, j int) bool { return PartyBefore(hits[i].p, hits[j].p, hits[i].exact, hits[j].exact) })
		var out []uint32
		for _, h := range hits {
			out = append(out, h.p.HerID)
		}
		return out
	}
	for _, c := range []struct {
		name string
		q    PartyQuery
		want []uint32
	}{
		// "Legesenter Byen" is the same words in another order: exact too.
		{"exact first", PartyQuery{Name: NameTokens("byen legesenter")}, []uint32{2, 4, 3, 5}},
		{"prefix, then name, then HER-id", PartyQuery{Name: NameTokens("lege")}, []uint32{2, 4, 5, 3}},
		{"municipality and active", PartyQuery{Name: NameTokens("lege"), Municipality: "0301", Active: "true"}, []uint32{2, 5, 3}},
		{"inactive", PartyQuery{Active: "false", Type: "organization"}, []uint32{4}},
		{"type case-insensitive", PartyQuery{Type: "SERVICE"}, []uint32{5}},
		{"orgnr", PartyQuery{Orgnr: "923609016"}, []uint32{3}},
		{"no match", PartyQuery{Name: NameTokens("tannlege")}, nil},
	} {
		got := search(c.q)
		if len(got) != len(c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: %v, want %v", c.name, got, c.want)
				break
			}
		}
	}
}

func TestFoldAndMatch(t *testing.T) {
	cases := []struct {
		name, query string
		want        bool
	}{
		{"Tromsø legesenter", "tromso", true},
		{"Tromsø legesenter", "TROMSOE lege", true},
		{"Tromsø legesenter", "legesenter tromsø", true}, // word order
		{"Ålesund sjukehus", "aalesund", true},
		{"Ålesund sjukehus", "alesund sju", true},
		{"Bærum sykehus", "baerum", true},
		{"Bærum sykehus", "barum", true},
		{"Bergen legesenter", "oslo", false},
		{"Bergen legesenter", "legesenter legesenter", false}, // each word once
		{"Dr. Ødegård", "odegard", true},
	}
	for _, c := range cases {
		if got := MatchWords(NameTokens(c.name), NameTokens(c.query)); got != c.want {
			t.Errorf("%q ~ %q = %v, want %v", c.name, c.query, got, c.want)
		}
	}
}

func TestRankBeforeOrder(t *testing.T) {
	cases := []struct {
		aExact, bExact         bool
		aFam, bFam, aGiv, bGiv string
		before, tie            bool
	}{
		{true, false, "b", "a", "x", "x", true, false},   // exact first, whatever the name
		{false, true, "a", "b", "x", "x", false, false},  // and the other way round
		{false, false, "a", "b", "z", "a", true, false},  // then family name
		{false, false, "a", "a", "b", "a", false, false}, // then given name
		{true, true, "a", "a", "a", "a", false, true},    // equal: caller breaks the tie
	}
	for i, c := range cases {
		before, tie := RankBefore(NameHit{c.aExact, c.aFam, c.aGiv}, NameHit{c.bExact, c.bFam, c.bGiv})
		if before != c.before || tie != c.tie {
			t.Errorf("case %d: before=%v tie=%v, want %v %v", i, before, tie, c.before, c.tie)
		}
	}
}
