package ar_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/grunndata/grunndata/loader/ar"
	"github.com/grunndata/grunndata/loader/jsonl"
)

// Synthetic parties in the generator's shape: an organisation with an EDI
// and a phone address and a visiting address, a service with its own EDI
// address, a person, a service under a parent outside the file.
const parties = `{"herId":80001,"type":"Organization","name":"Lege & Sønn <AS>","active":true,"organizationNumber":"996072444", "electronicAddresses":[{"type":{"oid":9044,"code":"E_EDI","text":"EDI"},"address":"org@edi.nhn.no"},{"type":{"oid":9044,"code":"E_TLF","text":"Telefonnummer"},"address":"88648585"}],"physicalAddresses":[{"type":{"oid":3401,"code":"RES","text":"Besøksadresse"},"streetAddress":"Holmen 46","postalCode":"0150","city":"OSLO"}]}
{"herId":80002,"type":"Service","parentHerId":80001,"name":"Saksbehandling","active":true,"electronicAddresses":[{"type":{"oid":9044,"code":"E_EDI","text":"EDI"},"address":"tjeneste@edi.nhn.no"}],"physicalAddresses":[]}
{"herId":80003,"type":"Person","parentHerId":80001,"name":"Jonas Lund","active":false,"person":{"hprNumber":1000497},"electronicAddresses":[],"physicalAddresses":[]}
{"herId":80004,"type":"Service","parentHerId":99999990,"name":"Foreldreløs","active":true}
`

func read(t *testing.T, in string) []*ar.Record {
	t.Helper()
	var out []*ar.Record
	if err := ar.Read(strings.NewReader(in), func(rec *ar.Record) error { r := *rec; out = append(out, &r); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRead(t *testing.T) {
	recs := read(t, parties)
	if len(recs) != 4 {
		t.Fatalf("%d records", len(recs))
	}
	o, s, p, orphan := recs[0], recs[1], recs[2], recs[3]
	if o.Line != 1 || o.HerID != 80001 || o.Type != ar.TypeOrganization || o.Name != "Lege & Sønn <AS>" || !o.Active || o.Orgnr != "996072444" ||
		o.ParentHerID != 0 || o.Err != nil || o.Missing != "" {
		t.Errorf("organisation %+v", o)
	}
	if len(o.Electronic) != 2 || o.Electronic[0].Code != "E_EDI" || o.Electronic[1].Code != "E_TLF" || len(o.Physical) != 1 || o.Physical[0].Code != "RES" {
		t.Errorf("addresses %+v %+v", o.Electronic, o.Physical)
	}
	if s.Type != ar.TypeService || s.ParentHerID != 80001 || len(s.Electronic) != 1 || len(s.Physical) != 0 {
		t.Errorf("service %+v", s)
	}
	if p.Type != ar.TypePerson || p.HPRNumber != 1000497 || p.Active {
		t.Errorf("person %+v", p)
	}
	if orphan.Line != 4 || orphan.Electronic != nil || orphan.Physical != nil {
		t.Errorf("party without addresses %+v", orphan)
	}
	if bytes.Contains(o.Fields["electronicAddresses"], []byte(" ")) {
		t.Errorf("fields not compacted: %s", o.Fields["electronicAddresses"])
	}
}

func TestReadShapeErrors(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		err        error
		errText    string
		missing    string
	}{
		{name: "cut short", line: `{"herId":1,"type":"Service"`, errText: "unexpected end of JSON input"},
		{name: "invalid UTF-8", line: "{\"herId\":1,\"type\":\"Service\",\"name\":\"\xff\",\"active\":true}", err: jsonl.ErrInvalidUTF8},
		{name: "addresses not a list", line: `{"herId":1,"type":"Service","name":"A","active":true,"electronicAddresses":{}}`, errText: "unmarshal"},
		{name: "address type not an object", line: `{"herId":1,"type":"Service","name":"A","active":true,"physicalAddresses":[{"type":"RES"}]}`, errText: "unmarshal"},
		{name: "wrong type", line: `{"herId":"1","type":"Service","name":"A","active":true}`, errText: "herId"},
		{name: "no herId", line: `{"type":"Service","name":"A","active":true}`, missing: "herId"},
		{name: "no type", line: `{"herId":1,"name":"A","active":true}`, missing: "type"},
		{name: "no name", line: `{"herId":1,"type":"Service","active":true}`, missing: "name"},
		{name: "no active", line: `{"herId":1,"type":"Service","name":"A"}`, missing: "active"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs := read(t, tc.line+"\n"+`{"herId":2,"type":"Organization","name":"B","active":true}`+"\n")
			if len(recs) != 2 || recs[1].Err != nil || recs[1].HerID != 2 || recs[1].Line != 2 {
				t.Fatalf("the line after a bad one: %+v", recs)
			}
			r := recs[0]
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

// reference is the encoding AppendJSON replaced (maps and json.Marshal),
// kept here as the model it must match byte for byte.
func reference(t *testing.T, rec *ar.Record, parent *ar.Parent) []byte {
	t.Helper()
	fields := map[string]json.RawMessage{}
	for k, v := range rec.Fields {
		fields[k] = v
	}
	if parent != nil {
		inherit := func(own, par []ar.Address) []map[string]json.RawMessage {
			out := []map[string]json.RawMessage{}
			have := map[string]bool{}
			for _, a := range own {
				have[a.Code] = true
				m := map[string]json.RawMessage{"inherited": json.RawMessage("false")}
				for k, v := range a.Fields {
					m[k] = v
				}
				out = append(out, m)
			}
			for _, a := range par {
				if !have[a.Code] {
					m := map[string]json.RawMessage{"inherited": json.RawMessage("true")}
					for k, v := range a.Fields {
						m[k] = v
					}
					out = append(out, m)
				}
			}
			return out
		}
		var pe, pp []ar.Address
		ps := map[string]any{"herId": parent.HerID}
		if parent.Known {
			pe, pp = parent.Electronic, parent.Physical
			ps["name"], ps["organizationNumber"] = parent.Name, parent.Orgnr
		}
		for k, v := range map[string]any{"electronicAddresses": inherit(rec.Electronic, pe), "physicalAddresses": inherit(rec.Physical, pp), "parent": ps} {
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			fields[k] = b
		}
	}
	b, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAppendJSON(t *testing.T) {
	recs := read(t, parties)
	o := recs[0]
	org := &ar.Parent{HerID: o.HerID, Known: true, Name: o.Name, Orgnr: o.Orgnr, Electronic: o.Electronic, Physical: o.Physical}
	for _, tc := range []struct {
		name   string
		rec    *ar.Record
		parent *ar.Parent
		want   []string // parts the answer must contain
	}{
		{name: "organisation: its fields as given", rec: o,
			want: []string{`"name":"Lege \u0026 Sønn \u003cAS\u003e"`, `"address":"org@edi.nhn.no"}`}},
		{name: "service: own EDI, the parent's phone and visiting address inherited", rec: recs[1], parent: org,
			want: []string{`"address":"tjeneste@edi.nhn.no","inherited":false`, `"address":"88648585","inherited":true`,
				`"city":"OSLO","inherited":true`, `"parent":{"herId":80001,"name":"Lege \u0026 Sønn \u003cAS\u003e","organizationNumber":"996072444"}`}},
		{name: "person: everything inherited", rec: recs[2], parent: org,
			want: []string{`"address":"org@edi.nhn.no","inherited":true`, `"person":{"hprNumber":1000497}`}},
		{name: "parent outside the file: the HER-id alone, nothing inherited", rec: recs[3], parent: &ar.Parent{HerID: 99999990},
			want: []string{`"electronicAddresses":[]`, `"physicalAddresses":[]`, `"parent":{"herId":99999990}`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.rec.AppendJSON([]byte("prefix"), tc.parent)
			if !bytes.HasPrefix(got, []byte("prefix")) {
				t.Fatalf("dst not appended to: %s", got)
			}
			got = got[len("prefix"):]
			if want := reference(t, tc.rec, tc.parent); !bytes.Equal(got, want) {
				t.Errorf("AppendJSON\n%s\nwant (maps and json.Marshal)\n%s", got, want)
			}
			if !json.Valid(got) {
				t.Errorf("not JSON: %s", got)
			}
			for _, w := range tc.want {
				if !bytes.Contains(got, []byte(w)) {
					t.Errorf("answer lacks %s:\n%s", w, got)
				}
			}
		})
	}
}

// FuzzRead: any input gives records, never a panic; a record that decoded
// encodes to valid JSON in valid UTF-8, as an organisation and as a child.
func FuzzRead(f *testing.F) {
	for _, l := range strings.Split(parties, "\n") {
		f.Add(l)
	}
	f.Add("{\"herId\":1,\"type\":\"Service\",\"name\":\"\xff\",\"active\":true}")
	f.Add(`{"herId":1,"type":"Service","name":"a\u2028<&>","active":true,"electronicAddresses":[{"type":{"code":"X"}}]}`)
	f.Fuzz(func(t *testing.T, in string) {
		err := ar.Read(strings.NewReader(in), func(rec *ar.Record) error {
			if rec.Err != nil || rec.Missing != "" {
				return nil
			}
			parent := &ar.Parent{HerID: 1, Known: true, Name: "P\xff<", Orgnr: "1", Electronic: rec.Electronic, Physical: rec.Physical}
			for _, p := range []*ar.Parent{nil, parent} {
				if b := rec.AppendJSON(nil, p); !json.Valid(b) || !utf8.Valid(b) {
					t.Fatalf("AppendJSON of %q = %q: not valid JSON in UTF-8", in, b)
				}
			}
			return nil
		})
		if err != nil && !errors.Is(err, jsonl.ErrStructure) {
			t.Fatalf("Read: %v", err)
		}
	})
}
