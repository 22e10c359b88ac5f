package server

import (
	"strings"
	"testing"
)

func FuzzParseNINBody(f *testing.F) {
	for _, s := range []string{`{"nin":"01810050019"}`, ` {"nin" : "1"} `, `{"nin":"\u0030"}`, `{}`, `[]`, `{"nin":1}`, `{"nin":"1","x":2}`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		nin, err := parseNINBody(b)
		if err == nil && nin == nil {
			t.Fatal("no nin and no error")
		}
		if err != nil {
			if _, ok := err.(*errBody); !ok {
				t.Fatalf("error %T is not a body error", err)
			}
			if strings.Contains(err.Error(), string(b)) && len(b) > 8 {
				t.Fatalf("error echoes the body: %v", err)
			}
		}
	})
}
