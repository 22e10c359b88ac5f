package brreg

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// FuzzAppendString checks the hand-written JSON string encoder against
// encoding/json: valid JSON that decodes to the input (invalid UTF-8 as
// U+FFFD, as encoding/json does).
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "Bryggen 3\nInngang B", `A "B" \ C`, "\x00\x1f\u2028\u2029æøå", "\xff\xfe<>&"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := appendString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%q → %s: %v", s, b, err)
		}
		want := s
		if !utf8.ValidString(s) {
			// what encoding/json makes of it: each invalid byte → U+FFFD
			m, _ := json.Marshal(s)
			json.Unmarshal(m, &want)
		}
		if got != want {
			t.Fatalf("%q → %s decodes to %q", s, b, got)
		}
	})
}
