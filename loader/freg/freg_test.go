package freg_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/grunndata/grunndata/loader/freg"
)

const samples = "../../../shared/testdata/external/folkeregisteret"

// sample reads a Folkeregisteret sample; a test (or fuzz seed corpus) that
// needs one fails when ../shared/testdata/external is missing.
func sample(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(samples, name))
	if err != nil {
		tb.Fatalf("sample missing (../shared/testdata/external must be beside the repository): %v", err)
	}
	return b
}

// A synthetic person (Tenor numbers, month + 80): a D-number that became a
// fødselsnummer, a name change, an earlier address that was fortrolig, an
// unknown key at both levels and enums in odd case.
const person = `{
 "identifikasjonsnummer":[
  {"erGjeldende":true,"status":"IBRUK","foedselsEllerDNummer":"01818012345","identifikatortype":"FOEDSELSNUMMER"},
  {"erGjeldende":false,"status":"opphoert","foedselsEllerDNummer":"41818012345","identifikatortype":"dNummer","opphoerstidspunkt":"2020-01-01T00:00:00Z"}],
 "navn":[
  {"erGjeldende":false,"fornavn":"KARI","etternavn":"NORDMANN","gyldighetstidspunkt":"2000-01-01T00:00:00Z","opphoerstidspunkt":"2020-01-01T00:00:00Z"},
  {"erGjeldende":true,"fornavn":"KARI","etternavn":"HANSEN","gyldighetstidspunkt":"2020-01-01T00:00:00Z","nyttMetafelt":"x"}],
 "status":[{"erGjeldende":true,"status":"Bosatt"}],
 "bostedsadresse":[
  {"erGjeldende":true,"adressegradering":"UGRADERT","vegadresse":{"adressenavn":"Ny gate","kommunenummer":"0301","poststed":{"postnummer":"0150"}}},
  {"erGjeldende":false,"adressegradering":"fortrolig","vegadresse":{"adressenavn":"Skjult vei","kommunenummer":"4601"},"opphoerstidspunkt":"2021-01-01T00:00:00Z"},
  {"erGjeldende":false,"adressegradering":"ugradert","vegadresse":{"adressenavn":"Gammel gate","kommunenummer":"0301"}}],
 "nyEntitet":[{"a":1}]
}`

func TestView(t *testing.T) {
	p, unknown, err := freg.ParsePerson([]byte(person))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(unknown)
	if strings.Join(unknown, ",") != "navn.nyttMetafelt,nyEntitet" {
		t.Errorf("unknown keys %v", unknown)
	}
	full, restricted, sum := p.View(nil)
	if sum.NIN != "01818012345" || len(sum.Identifiers) != 2 || sum.Grading != freg.Ugradert {
		t.Fatalf("summary %+v", sum)
	}
	var v struct {
		Name               struct{ Given, Family string }
		Status             string
		IdentifierType     string
		ResidentialAddress json.RawMessage
		History            struct {
			Names                []struct{ Given, Family, From, To string }
			ResidentialAddresses []json.RawMessage
		}
	}
	if err := json.Unmarshal(full, &v); err != nil {
		t.Fatalf("%v: %s", err, full)
	}
	if v.Name.Family != "HANSEN" || v.Status != "bosatt" || v.IdentifierType != "foedselsnummer" {
		t.Errorf("current values: %s", full)
	}
	if len(v.History.Names) != 1 || v.History.Names[0].Family != "NORDMANN" || v.History.Names[0].To != "2020-01-01T00:00:00Z" {
		t.Errorf("name history: %s", full)
	}
	if len(v.History.ResidentialAddresses) != 2 || !bytes.Contains(v.ResidentialAddress, []byte(`"adressegradering":"ugradert"`)) {
		t.Errorf("address history or canonical grading: %s", full)
	}
	// The person is unprotected now, but an earlier address was fortrolig:
	// callers without the protected scope get the history without it.
	if restricted == nil || bytes.Contains(restricted, []byte("Skjult vei")) || !bytes.Contains(restricted, []byte("Gammel gate")) {
		t.Errorf("restricted view: %s", restricted)
	}
	if !bytes.Contains(full, []byte("Skjult vei")) {
		t.Errorf("full view lacks the graded earlier address: %s", full)
	}
}

func TestViewProtected(t *testing.T) {
	doc := strings.Replace(person, `"status":[`, `"adressebeskyttelse":[{"erGjeldende":true,"graderingsnivaa":"STRENGTFORTROLIG"}],"status":[`, 1)
	p, _, err := freg.ParsePerson([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	_, restricted, sum := p.View(nil)
	if sum.Grading != freg.StrengtFortrolig {
		t.Fatalf("grading %v", sum.Grading)
	}
	for _, s := range []string{"Ny gate", "Gammel gate", "Skjult vei", "0150"} {
		if bytes.Contains(restricted, []byte(s)) {
			t.Errorf("restricted view of a strengtFortrolig person contains %q: %s", s, restricted)
		}
	}
	if !bytes.Contains(restricted, []byte(`"addressesWithheld":true`)) {
		t.Errorf("restricted view does not say addresses are withheld: %s", restricted)
	}
}

// scanReference lists unknown keys by decoding into maps.
func scanReference(t *testing.T, raw []byte) []string {
	var top map[string]json.RawMessage
	if json.Unmarshal(raw, &top) != nil {
		return nil
	}
	var out []string
	for k, v := range top {
		elemKeys, ok := freg.KnownKeys(k)
		if !ok {
			out = append(out, k)
			continue
		}
		var elems []map[string]json.RawMessage
		if json.Unmarshal(v, &elems) != nil {
			var one map[string]json.RawMessage
			if json.Unmarshal(v, &one) != nil {
				continue
			}
			elems = append(elems, one)
		}
		for _, e := range elems {
			for ek := range e {
				if !elemKeys[ek] {
					out = append(out, k+"."+ek)
				}
			}
		}
	}
	return out
}

func TestScanUnknownMatchesDecoding(t *testing.T) {
	for _, name := range []string{"person_09052400284_oppslag.json", "person_01104200113_part_status.json", "entydigsoek_response_part_navn.json"} {
		checkScan(t, sample(t, name))
	}
	checkScan(t, []byte(person))
}

// checkScan parses raw, which must be a person, and checks that the
// unknown keys the parser reports are those a full decoding finds.
func checkScan(t *testing.T, raw []byte) {
	t.Helper()
	_, got, err := freg.ParsePerson(raw)
	if err != nil {
		t.Fatalf("parse %.200s: %v", raw, err)
	}
	want := scanReference(t, raw)
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("unknown keys of %s:\n got %v\nwant %v", raw, got, want)
	}
}

func TestReadFeed(t *testing.T) {
	j, a := sample(t, "hendelser_feed.json"), sample(t, "hendelser_feed.atom.xml")
	je, err := freg.ReadFeed(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	ae, err := freg.ReadFeed(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	if len(je) != 2 || len(ae) != 2 || je[0] != ae[0] || je[1] != ae[1] || je[1].Seq != 2 || je[0].PersonDoc != "8f475708c3d855defca884f4af6e49ae" {
		t.Fatalf("JSON %+v\nAtom %+v", je, ae)
	}
	le, err := freg.ReadFeed(bytes.NewReader(sample(t, "hendelser_feed_2017_legacy.json")))
	if err != nil || le[0].Type != "personErOpprettet" || le[0].Skjemaversjon != "1.0" {
		t.Fatalf("legacy: %v %+v", err, le)
	}
	for _, tc := range []struct{ in, err string }{
		{`[{"hendelse":{}}]`, "no sekvensnummer"},
		{`[{"sekvensnummer":3}]`, "no hendelse"},
		{`{}`, "not a feed page"},
		{`<feed><entry><content><lagretHendelse><sekvensnummer>x</sekvensnummer></lagretHendelse></content></entry></feed>`, "sekvensnummer"},
		{`<feed>`, "not an Atom feed page"},
	} {
		if _, err := freg.ReadFeed(strings.NewReader(tc.in)); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: err = %v, want %q", tc.in, err, tc.err)
		}
	}
}

func TestReadLinesAndDocuments(t *testing.T) {
	in := strings.ReplaceAll(person, "\n", "") + "\n\n[1]\n{\"navn\":5}\n"
	var got []string
	err := freg.ReadLines(strings.NewReader(in), func(it *freg.Item) error {
		switch {
		case it.Err != nil:
			got = append(got, "err")
		default:
			got = append(got, it.NIN)
		}
		return nil
	})
	if err != nil || strings.Join(got, ",") != "01818012345,err,err" {
		t.Fatalf("%v %v", err, got)
	}
	if err := freg.ReadLines(strings.NewReader("{not json\n"), func(*freg.Item) error { return nil }); err == nil {
		t.Fatal("a line that is not JSON is not structural damage")
	}
	docs := `{"dokumentidentifikator":"abc","folkeregisterperson":` + strings.ReplaceAll(person, "\n", "") + "}\n" +
		`{"dokumentidentifikator":"def","folkeregisterperson":null}` + "\n"
	var ids []string
	err = freg.ReadDocuments(strings.NewReader(docs), func(d *freg.Document) error {
		ids = append(ids, d.ID+"="+map[bool]string{true: "err", false: "ok"}[d.Err != nil])
		return nil
	})
	if err != nil || strings.Join(ids, ",") != "abc=ok,def=err" {
		t.Fatalf("%v %v", err, ids)
	}
}

func FuzzReadBulk(f *testing.F) {
	f.Add(sample(f, "bulkoppslag_response_part_status.json"))
	f.Add([]byte(`{"oppslag":[{"foedselsEllerDNummer":"1","feilmelding":{"feilmelding":"x"}},{"folkeregisterperson":` + person + `}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		freg.ReadBulk(bytes.NewReader(b), func(it *freg.Item) error {
			if it.Person != nil {
				full, restricted, _ := it.Person.View(nil)
				if !json.Valid(full) || (restricted != nil && !json.Valid(restricted)) {
					t.Fatalf("view is not JSON: %s", full)
				}
			}
			return nil
		})
	})
}

func FuzzReadLines(f *testing.F) {
	for _, s := range []string{"person_09052400284_oppslag.json", "person_01104200113_part_status.json"} {
		var buf bytes.Buffer
		if err := json.Compact(&buf, sample(f, s)); err != nil {
			f.Fatalf("%s: %v", s, err)
		}
		f.Add(buf.Bytes())
	}
	f.Add([]byte(strings.ReplaceAll(person, "\n", "")))
	f.Fuzz(func(t *testing.T, b []byte) {
		freg.ReadLines(bytes.NewReader(b), func(it *freg.Item) error {
			if it.Person != nil {
				full, _, _ := it.Person.View(nil)
				if !json.Valid(full) {
					t.Fatalf("view is not JSON: %s", full)
				}
			}
			return nil
		})
		// Only what parses as a person is compared (a fuzzed line need
		// not be one).
		if _, _, err := freg.ParsePerson(b); err == nil {
			checkScan(t, b)
		}
	})
}

func FuzzReadFeed(f *testing.F) {
	for _, s := range []string{"hendelser_feed.json", "hendelser_feed.atom.xml", "hendelser_feed_2017_legacy.json"} {
		f.Add(sample(f, s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		evs, err := freg.ReadFeed(bytes.NewReader(b))
		if err == nil {
			for _, e := range evs {
				if e.Seq < 1 {
					t.Fatalf("accepted event %+v", e)
				}
			}
		}
	})
}

func BenchmarkParsePerson(b *testing.B) {
	raw := []byte(strings.ReplaceAll(person, "\n", ""))
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		p, _, err := freg.ParsePerson(raw)
		if err != nil {
			b.Fatal(err)
		}
		p.View(nil)
	}
}

func BenchmarkScanUnknown(b *testing.B) {
	raw := []byte(strings.ReplaceAll(person, "\n", ""))
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		freg.ScanUnknown(raw, func(string) {})
	}
}
