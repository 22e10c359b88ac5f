package hpr_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/grunndata/grunndata/loader/hpr"
	"github.com/grunndata/grunndata/loader/jsonl"
)

// A synthetic HPR person (Tenor-style number, month + 80), as the generator
// writes it, spread over several lines' worth of space to be compacted.
const person = `{"hprNumber":1000672, "nin":"06817700185","givenName":"Frode","middleName":null,"familyName":"Østby",
 "approvals":[{"id":40000004,"profession":{"oid":9060,"code":"LE","text":"Lege"},"specialities":[]},
 {"id":40000005,"profession":{"oid":9060,"code":"LE","text":"Lege"},"specialities":[{"type":{"oid":7426,"code":"1","text":"Allmennmedisin"}}]},
 {"id":40000006,"profession":{"oid":9060,"code":"SP","text":"Sykepleier"},"specialities":[]}]}`

func read(t *testing.T, in string) []hpr.Record {
	t.Helper()
	var out []hpr.Record
	err := hpr.Read(strings.NewReader(in), func(rec *hpr.Record) error {
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
	line := strings.ReplaceAll(person, "\n", "")
	recs := read(t, line+"\n\n"+`{"hprNumber":1000001,"givenName":"Uten","familyName":"Nummer","approvals":[]}`+"\n")
	if len(recs) != 2 {
		t.Fatalf("%d records, want 2 (the blank line is skipped)", len(recs))
	}
	r := recs[0]
	if r.Line != 1 || r.HPRNumber != 1000672 || r.NIN != "06817700185" || r.Given != "Frode" || r.Family != "Østby" || r.Err != nil || r.Missing != "" {
		t.Errorf("record %+v", r)
	}
	if strings.Join(r.Professions, ",") != "LE,LE,SP" || strings.Join(r.Specialities, ",") != "1" {
		t.Errorf("professions %v, specialities %v", r.Professions, r.Specialities)
	}
	want := strings.NewReplacer(", ", ",", "\n ", "").Replace(person)
	if string(r.JSON) != want {
		t.Errorf("JSON\n%s\nwant the line compacted\n%s", r.JSON, want)
	}
	if recs[1].Line != 3 || recs[1].NIN != "" {
		t.Errorf("second record %+v", recs[1])
	}
}

// TestReadShapeErrors: a line that is not JSON, not UTF-8 or has a field of
// the wrong type is a record with Err (the loader's reject, line and rule),
// never a stored view and never the end of the file; a required field
// absent is Missing.
func TestReadShapeErrors(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		err        error  // a sentinel, or nil with errText
		errText    string // part of Err
		missing    string
	}{
		{name: "cut short", line: `{"hprNumber":1,"givenName":"A"`, errText: "unexpected end of JSON input"},
		{name: "not JSON", line: `hprNumber=1`, errText: "invalid character"},
		{name: "invalid UTF-8", line: "{\"hprNumber\":1,\"givenName\":\"A\xff\",\"familyName\":\"B\",\"approvals\":[]}", err: jsonl.ErrInvalidUTF8},
		{name: "bad escape", line: `{"hprNumber":1,"givenName":"\q","familyName":"B","approvals":[]}`, errText: "escape"},
		{name: "wrong type", line: `{"hprNumber":"1","givenName":"A","familyName":"B","approvals":[]}`, errText: "hprNumber"},
		// Periods and codes the point-in-time rules and the history could
		// not read are rejects, never stored records.
		{name: "approval valid not a period", line: `{"hprNumber":1,"givenName":"A","familyName":"B","approvals":[{"valid":"2020"}]}`, errText: "Period"},
		{name: "authorization a string", line: `{"hprNumber":1,"givenName":"A","familyName":"B","approvals":[{"authorization":"1"}]}`, errText: "authorization"},
		{name: "suspension end a number", line: `{"hprNumber":1,"givenName":"A","familyName":"B","approvals":[{"suspensions":[{"from":"2020-01-01","to":1}]}]}`, errText: "to"},
		{name: "speciality period an array", line: `{"hprNumber":1,"givenName":"A","familyName":"B","approvals":[{"specialities":[{"valid":[]}]}]}`, errText: "Period"},
		{name: "requisition suspensions an object", line: `{"hprNumber":1,"givenName":"A","familyName":"B","approvals":[{"requisitionRights":[{"suspensions":{}}]}]}`, errText: "suspensions"},
		{name: "no hprNumber", line: `{"givenName":"A","familyName":"B","approvals":[]}`, missing: "hprNumber"},
		{name: "no familyName", line: `{"hprNumber":1,"givenName":"A","approvals":[]}`, missing: "familyName"},
		{name: "no givenName", line: `{"hprNumber":1,"familyName":"B","approvals":[]}`, missing: "givenName"},
		{name: "no approvals", line: `{"hprNumber":1,"givenName":"A","familyName":"B"}`, missing: "approvals"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			good := `{"hprNumber":2,"givenName":"A","familyName":"B","approvals":[]}`
			recs := read(t, tc.line+"\n"+good+"\n")
			if len(recs) != 2 || recs[1].Err != nil || recs[1].HPRNumber != 2 || recs[1].Line != 2 {
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
		err := hpr.Read(strings.NewReader(in), func(rec *hpr.Record) error {
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
