package server

import "testing"

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
		if got := matchTokens(tokens(c.name), tokens(c.query)); got != c.want {
			t.Errorf("%q ~ %q = %v, want %v", c.name, c.query, got, c.want)
		}
	}
}

func TestRankBefore(t *testing.T) {
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
		before, tie := rankBefore(c.aExact, c.bExact, c.aFam, c.bFam, c.aGiv, c.bGiv)
		if before != c.before || tie != c.tie {
			t.Errorf("case %d: before=%v tie=%v, want %v %v", i, before, tie, c.before, c.tie)
		}
	}
}
