package resh_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/grunndata/grunndata/loader/jsonl"
	"github.com/grunndata/grunndata/loader/resh"
)

func read(t *testing.T, in string) []resh.Record {
	t.Helper()
	var out []resh.Record
	err := resh.Read(strings.NewReader(in), func(rec *resh.Record) error {
		r := *rec
		r.JSON = append([]byte(nil), rec.JSON...) // valid only during the callback
		out = append(out, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRead(t *testing.T) {
	in := `{"reshId":100000, "name":"Helse Sør-Øst RHF","parentReshId":null,"organizationNumber":"834616556","level":{"oid":8628,"code":"1","text":"RHF"},"active":true}
{"reshId":100001,"name":"Oslo Universitetssykehus HF","parentReshId":100000,"level":{"oid":8628,"code":"2","text":"HF"},"active":false}
{"reshId":100002,"name":"Uten aktiv","parentReshId":100001,"level":{"oid":8628,"code":"3","text":"Institusjon"}}
`
	recs := read(t, in)
	if len(recs) != 3 {
		t.Fatalf("%d records", len(recs))
	}
	for i, want := range []resh.Record{
		{Line: 1, ReshID: 100000, Name: "Helse Sør-Øst RHF", Orgnr: "834616556", Active: true},
		{Line: 2, ReshID: 100001, Parent: 100000, Name: "Oslo Universitetssykehus HF", Active: false},
		{Line: 3, ReshID: 100002, Parent: 100001, Name: "Uten aktiv", Active: true}, // active defaults to true
	} {
		r := recs[i]
		if r.Line != want.Line || r.ReshID != want.ReshID || r.Parent != want.Parent || r.Name != want.Name || r.Orgnr != want.Orgnr ||
			r.Active != want.Active || r.Err != nil || r.Missing != "" {
			t.Errorf("record %d: %+v, want %+v", i, r, want)
		}
	}
	if want := strings.Replace(strings.Split(in, "\n")[0], ", ", ",", 1); string(recs[0].JSON) != want {
		t.Errorf("JSON %s, want the line compacted %s", recs[0].JSON, want)
	}
}

func TestReadShapeErrors(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		err        error
		errText    string
		missing    string
	}{
		{name: "cut short", line: `{"reshId":1,"name":"A"`, errText: "unexpected end of JSON input"},
		{name: "invalid UTF-8", line: "{\"reshId\":1,\"name\":\"\xc3\",\"level\":{\"code\":\"1\"}}", err: jsonl.ErrInvalidUTF8},
		{name: "trailing data", line: `{"reshId":1,"name":"A","level":{"code":"1"}} {}`, errText: "invalid character"},
		{name: "wrong type", line: `{"reshId":1,"name":"A","level":{"code":"1"},"active":"yes"}`, errText: "active"},
		// A period ?atTime could not read is a reject, never a stored unit.
		{name: "valid not a period", line: `{"reshId":1,"name":"A","level":{"code":"1"},"valid":"2020-01-01"}`, errText: "Period"},
		{name: "valid.to not a string", line: `{"reshId":1,"name":"A","level":{"code":"1"},"valid":{"from":"2020-01-01","to":20}}`, errText: "to"},
		{name: "no reshId", line: `{"name":"A","level":{"code":"1"}}`, missing: "reshId"},
		{name: "no name", line: `{"reshId":1,"level":{"code":"1"}}`, missing: "name"},
		{name: "level null", line: `{"reshId":1,"name":"A","level":null}`, missing: "level"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs := read(t, tc.line+"\n"+`{"reshId":2,"name":"B","level":{"code":"1"}}`+"\n")
			if len(recs) != 2 || recs[1].Err != nil || recs[1].ReshID != 2 || recs[1].Line != 2 {
				t.Fatalf("the line after a bad one: %+v", recs)
			}
			r := recs[0]
			if r.Line != 1 || len(r.JSON) != 0 {
				t.Errorf("line %d, JSON %s; want line 1 and no view", r.Line, r.JSON)
			}
			switch {
			case tc.missing != "":
				if r.Missing != tc.missing || r.Err != nil {
					t.Errorf("Missing %q, Err %v; want Missing %q", r.Missing, r.Err, tc.missing)
				}
			case tc.err != nil:
				if !errors.Is(r.Err, tc.err) {
					t.Errorf("Err %v, want %v", r.Err, tc.err)
				}
			default:
				if r.Err == nil || !strings.Contains(r.Err.Error(), tc.errText) {
					t.Errorf("Err %v, want one containing %q", r.Err, tc.errText)
				}
			}
		})
	}
}

// FuzzRead: any input gives records, never a panic, and the view of a
// record that decoded is valid JSON in valid UTF-8.
func FuzzRead(f *testing.F) {
	f.Add(`{"hprNumber":1,"reshId":1,"name":"A","givenName":"A","familyName":"B","approvals":[],"level":{"code":"1"}}`)
	f.Add("{\"reshId\":1,\"hprNumber\":1,\"name\":\"\xff\"}")
	f.Add("{\"a\":1}\n\n{")
	f.Fuzz(func(t *testing.T, in string) {
		err := resh.Read(strings.NewReader(in), func(rec *resh.Record) error {
			if rec.Err == nil && rec.Missing == "" && (!json.Valid(rec.JSON) || !utf8.Valid(rec.JSON)) {
				t.Fatalf("view of %q = %q: not valid JSON in UTF-8", in, rec.JSON)
			}
			return nil
		})
		if err != nil && !errors.Is(err, jsonl.ErrStructure) {
			t.Fatalf("Read: %v", err)
		}
	})
}
