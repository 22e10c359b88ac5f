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
