package brreg_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grunndata/grunndata/loader/brreg"
	"github.com/grunndata/grunndata/loader/jsonl"
)

const samples = "../../../shared/testdata/external/enhetsregisteret"

// sample returns a real sample for seeding fuzz corpora, nil if the
// samples are not checked out.
func sample(name string) []byte {
	b, _ := os.ReadFile(filepath.Join(samples, name))
	return b
}

func readCSV(t *testing.T, s string) ([]brreg.Record, error) {
	t.Helper()
	var out []brreg.Record
	err := brreg.ReadCSV(strings.NewReader(s), func(rec *brreg.Record) error {
		r := *rec
		r.JSON = append([]byte(nil), rec.JSON...)
		out = append(out, r)
		return nil
	})
	return out, err
}

func TestReadCSV(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string // JSON or "error: …" per row
		err      string   // structural error
	}{
		{name: "casing-and-types",
			in: "\ufeff\"ORGANISASJONSNUMMER\",\"navn\",\"registrertIMvaRegisteret\",\"antallAnsatte\",\"kapital.belop\",\"kapital.valuta\",\"aktivitet\"\n" +
				"\"910000012\",\"A AS\",\"TRUE\",\"\",\"100,50\",\"NOK\",\"linje 1\nlinje 2\"\n",
			want: []string{`{"organisasjonsnummer":"910000012","navn":"A AS","registrertIMvaregisteret":true,"kapital":{"belop":100.50,"valuta":"NOK"},"aktivitet":["linje 1","linje 2"]}`}},
		{name: "empty-group-left-out",
			in:   "organisasjonsnummer,postadresse.adresse,postadresse.postnummer\n910000012,,\n",
			want: []string{`{"organisasjonsnummer":"910000012"}`}},
		{name: "unknown-columns-kept",
			in:   "organisasjonsnummer,nytt.felt,annet\n910000012,a,b\n",
			want: []string{`{"organisasjonsnummer":"910000012","nytt":{"felt":"a"},"annet":"b"}`}},
		{name: "bad-rows-go-on",
			in: "organisasjonsnummer,antallAnsatte,konkurs\n910000012,x,true\n910000020,1\n\"910000039\"x,1,false\n910000047,2,false\n",
			want: []string{`error: column antallAnsatte: "x" is not an integer`, "error: 2 fields, the header has 3",
				"error: extraneous or missing \" in quoted-field", `{"organisasjonsnummer":"910000047","antallAnsatte":2,"konkurs":false}`}},
		{name: "no-orgnr-column", in: "navn\nA\n", err: "no organisasjonsnummer column"},
		{name: "duplicate-column", in: "organisasjonsnummer,registrertIMvaregisteret,registrertIMvaRegisteret\n", err: "same field"},
		{name: "group-and-leaf-clash", in: "organisasjonsnummer,kapital,kapital.belop\n", err: "clashes"},
		{name: "empty", in: "", err: "empty CSV"},
		{name: "runaway-quote", in: "organisasjonsnummer,navn\n910000012,\"" + strings.Repeat("x\n", brreg.MaxCSVRecord/2+8192), err: "longer than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs, err := readCSV(t, tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, jsonl.ErrStructure) {
					t.Fatalf("err = %v, want structural %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != len(tc.want) {
				t.Fatalf("%d records, want %d", len(recs), len(tc.want))
			}
			for i, r := range recs {
				got := string(r.JSON)
				if r.Err != nil {
					got = "error: " + r.Err.Error()
				}
				if got != tc.want[i] {
					t.Errorf("row %d:\n got %s\nwant %s", i, got, tc.want[i])
				}
			}
		})
	}
}

func TestCSVLines(t *testing.T) {
	recs, err := readCSV(t, "organisasjonsnummer,navn\n\"910000012\",\"A\nB\"\n\"910000020\",\"C\"\n")
	if err != nil {
		t.Fatal(err)
	}
	if recs[0].Line != 2 || recs[1].Line != 4 {
		t.Fatalf("lines %d, %d: want 2 and 4 (a cell spans two lines)", recs[0].Line, recs[1].Line)
	}
}

func TestAppendCSV(t *testing.T) {
	rec := `{"organisasjonsnummer":"910000012","navn":"A \"B\" AS","organisasjonsform":{"kode":"AS"},"antallAnsatte":12,` +
		`"forretningsadresse":{"adresse":["c/o X","Gate 1"]},"paategninger":[{"infotype":"x"}],"kapital":{"belop":5976872600.00},"_links":{}}`
	line, err := brreg.AppendCSV(nil, brreg.Enheter, []byte(rec))
	if err != nil {
		t.Fatal(err)
	}
	in := string(brreg.AppendCSVHeader(nil, brreg.Enheter)) + string(line)
	recs, err := readCSV(t, in)
	if err != nil || len(recs) != 1 || recs[0].Err != nil {
		t.Fatalf("%v %+v", err, recs)
	}
	want := `{"organisasjonsnummer":"910000012","navn":"A \"B\" AS","organisasjonsform":{"kode":"AS"},"antallAnsatte":12,` +
		`"forretningsadresse":{"adresse":["c/o X","Gate 1"]},"kapital":{"belop":5976872600.00}}`
	if string(recs[0].JSON) != want {
		t.Errorf("round trip:\n got %s\nwant %s", recs[0].JSON, want)
	}
	if n := len(brreg.CSVHeader(brreg.Enheter)); n != 90 {
		t.Errorf("enheter header has %d columns, Brreg's has 90", n)
	}
}

func TestReadPage(t *testing.T) {
	b := sample("oppdateringer_underenheter_ukjent_ny.json")
	if b == nil {
		t.Fatalf("sample missing: ../shared/testdata/external must be beside the repository")
	}
	p, err := brreg.ReadPage(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if p.Feed != brreg.Underenheter || p.From != 123867 || !p.HasPage || p.Number != 0 || len(p.Updates) != 2 ||
		p.Updates[0].Type != brreg.Ukjent || p.Updates[1].Orgnr != "88445533" {
		t.Fatalf("%+v", p)
	}
	if strings.Contains(p.Query, "page=") {
		t.Errorf("query %s keeps the page parameter", p.Query)
	}
	for _, tc := range []struct{ in, err string }{
		{`{"_embedded":{"x":[]}}`, "unknown _embedded key"},
		{`{"_embedded":{"oppdaterteEnheter":[{"organisasjonsnummer":"1"}]}}`, "no oppdateringsid"},
		{`{"_embedded":{"oppdaterteEnheter":[{"oppdateringsid":1}]}}`, "no organisasjonsnummer"},
		{`{"_embedded":{"oppdaterteEnheter":[]},"_links":{"self":{"href":"https://x/api/oppdateringer/underenheter"}}}`, "page of the underenheter feed"},
		{`[]`, "not a feed page"},
		{`{} {}`, "data after"},
	} {
		if _, err := brreg.ReadPage(strings.NewReader(tc.in)); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: err = %v, want %q", tc.in, err, tc.err)
		}
	}
	p, err = brreg.ReadPage(strings.NewReader(`{"_embedded":{"oppdaterteEnheter":[{"oppdateringsid":5,"organisasjonsnummer":"1","endringstype":"sletting"},{"oppdateringsid":6,"organisasjonsnummer":"1","endringstype":"Flyttet"}]}}`))
	if err != nil || p.Updates[0].Type != brreg.Sletting || p.Updates[1].Err == nil {
		t.Fatalf("%v %+v", err, p)
	}
}

// The fuzz targets check that no input makes a parser panic, and that
// whatever a parser accepts is well-formed.

func FuzzRead(f *testing.F) {
	for _, s := range []string{"bulk_enheter_alle_2019_extract.json", "bulk_underenheter_lastned_anonymized.json"} {
		if b := sample(s); b != nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`[{"organisasjonsnummer":"910000012","kapital":{"belop":1.00}},1,"x",null]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		brreg.Read(bytes.NewReader(b), func(rec *brreg.Record) error {
			if rec.Err == nil && !bytes.HasPrefix(rec.JSON, []byte("{")) {
				t.Fatalf("record without error is not an object: %s", rec.JSON)
			}
			return nil
		})
	})
}

func FuzzReadCSV(f *testing.F) {
	f.Add([]byte("\ufefforganisasjonsnummer,navn,antallAnsatte,kapital.belop,aktivitet,paategninger\n\"910000012\",\"A\",\"3\",\"1,5\",\"a\nb\",\"NEI\"\n"))
	f.Add([]byte("organisasjonsnummer,x.y,x.z\n1,\"2\",3\n4,5\n\"6\"7,8,9\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		brreg.ReadCSV(bytes.NewReader(b), func(rec *brreg.Record) error {
			if rec.Err == nil && rec.JSON != nil && !jsonValid(rec.JSON) {
				t.Fatalf("row rebuilt as invalid JSON: %s", rec.JSON)
			}
			return nil
		})
	})
}

func FuzzReadPage(f *testing.F) {
	for _, s := range []string{"oppdateringer_underenheter_fjernet_sletting_endring.json", "oppdateringer_underenheter_ukjent_ny.json"} {
		if b := sample(s); b != nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"page":{"number":0},"_links":{"self":{"href":"http://x/oppdateringer/enheter?oppdateringsid=4"}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := brreg.ReadPage(bytes.NewReader(b))
		if err == nil {
			for _, u := range p.Updates {
				if u.ID < 1 || u.Orgnr == "" {
					t.Fatalf("accepted item %+v", u)
				}
			}
		}
	})
}

func jsonValid(b []byte) bool { return json.Valid(b) }
