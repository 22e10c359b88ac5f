package registry

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestReshAt: a RESH unit is answered as of an instant exactly when the
// instant's day is in its validity period (both ends inclusive, an open or
// absent end never closes it, a timestamp's date part counts); the answer
// is the stored unit with "active" true and "atTime".
func TestReshAt(t *testing.T) {
	const (
		closed = `{"reshId":100042,"name":"Sengepost 1","parentReshId":100041,"valid":{"from":"2010-03-01","to":"2024-06-30"},"active":false}`
		open   = `{"reshId":100041,"name":"Medisinsk avdeling","valid":{"from":"2008-01-01T00:00:00Z","to":null},"active":true}`
		noTo   = `{"reshId":100043,"name":"Uten slutt","valid":{"from":"2015-01-01"},"active":true}`
		bare   = `{"reshId":100044,"name":"Uten periode"}`
		nulled = `{"reshId":100045,"name":"Null","valid":null,"active":false}`
	)
	at := func(s string) time.Time {
		if len(s) == 10 {
			s += "T23:59:59Z"
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			panic(err)
		}
		return t
	}
	for _, c := range []struct {
		name, rec, at string
		want          bool
	}{
		{"before the period", closed, "2010-02-28", false},
		{"first day", closed, "2010-03-01", true},
		{"inside", closed, "2020-01-01", true},
		{"last day", closed, "2024-06-30", true},
		{"the day after", closed, "2024-07-01", false},
		{"an instant on the last day in another zone", closed, "2024-07-01T01:00:00+02:00", true}, // 2024-06-30T23:00Z
		{"open: before", open, "2007-12-31", false},
		{"open: the start (a timestamp)", open, "2008-01-01", true},
		{"open: far ahead", open, "2099-01-01", true},
		{"no end field", noTo, "2030-01-01", true},
		{"no end field: before", noTo, "2014-12-31", false},
		{"no period", bare, "1900-01-01", true},
		{"null period", nulled, "1900-01-01", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			inst := at(c.at)
			ok, err := ReshValidAt([]byte(c.rec), Day(inst))
			if err != nil || ok != c.want {
				t.Fatalf("ReshValidAt = %v, %v; want %v", ok, err, c.want)
			}
			out, ok, err := ReshAt([]byte("prefix"), []byte(c.rec), inst)
			if err != nil || ok != c.want {
				t.Fatalf("ReshAt ok %v, %v; want %v", ok, err, c.want)
			}
			if !c.want {
				if string(out) != "prefix" {
					t.Fatalf("a unit not valid at the instant appended %q", out)
				}
				return
			}
			var got, stored map[string]any
			if err := json.Unmarshal(out[len("prefix"):], &got); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			json.Unmarshal([]byte(c.rec), &stored)
			if got["active"] != true || got["atTime"] != inst.UTC().Format(time.RFC3339) {
				t.Fatalf("active %v, atTime %v: %s", got["active"], got["atTime"], out)
			}
			for k, v := range stored {
				if k != "active" && !jsonEqual(got[k], v) {
					t.Fatalf("field %s: %v, stored %v", k, got[k], v)
				}
			}
			if len(got) != len(stored)+1+btoi(stored["active"] == nil) {
				t.Fatalf("fields %v, stored %v", got, stored)
			}
		})
	}
	for _, bad := range []string{`[]`, `{"valid":"2020"}`, `{"valid":{"from":1}}`, `{`} {
		if _, _, err := ReshAt(nil, []byte(bad), at("2020-01-01")); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return strings.EqualFold(string(x), string(y))
}
