package loader_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/loader"
	"github.com/grunndata/grunndata/loader/brreg"
	"github.com/grunndata/grunndata/loader/freg"
	"github.com/grunndata/grunndata/loader/loadertest"
	"github.com/grunndata/grunndata/registry"
)

var update = flag.Bool("update", false, "rewrite the .golden files under testdata/golden")

// external is the real-sample folder, beside the clone (never copied in).
const external = "../../shared/testdata/external"

func externalDir(t *testing.T, sub string) string {
	t.Helper()
	dir := filepath.Join(external, sub)
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("real samples not found (%v): check out ../shared beside the clone", err)
	}
	return dir
}

// sampleHandling says what the golden tests do with each file of the
// sample folders. A new file there fails TestSamplesClassified until it is
// classified here.
var sampleHandling = map[string]string{
	"enhetsregisteret/bulk_enheter_alle_2019_extract.json":                           "golden: bulk enheter",
	"enhetsregisteret/bulk_underenheter_alle_2019_extract.json":                      "golden: bulk underenheter, with the 2019 enheter extract, then with stub parents",
	"enhetsregisteret/bulk_underenheter_lastned_anonymized.json":                     "golden: bulk underenheter with a stub parent",
	"enhetsregisteret/enhet_923609016_live_2026-08.json":                             "golden: one enhet as a bulk array",
	"enhetsregisteret/enhet_974760673_live_2026-08.json":                             "golden: one enhet with a stub parent, and alone (its parent absent: a warning)",
	"enhetsregisteret/enhet_docs_example.json":                                       "golden: docs fixture, orgnr fails mod-11: reject",
	"enhetsregisteret/enhet_docs_example_slettet.json":                               "golden: docs fixture (SlettetEnhet), orgnr fails mod-11: reject",
	"enhetsregisteret/underenhet_docs_example.json":                                  "golden: docs fixture, orgnr fails mod-11: reject",
	"enhetsregisteret/underenhet_docs_example_slettet.json":                          "golden: docs fixture (SlettetUnderenhet), orgnr fails mod-11: reject",
	"enhetsregisteret/oppdateringer_underenheter_fjernet_sletting_endring.json":      "golden: feed page applied as a delta over stub underenheter",
	"enhetsregisteret/oppdateringer_underenheter_ukjent_ny.json":                     "golden: feed page applied as a delta over stub underenheter",
	"enhetsregisteret/observed_field_paths_tidybrreg_2026-06.tsv":                    "not a record: field statistics (used for the CSV field types)",
	"enhetsregisteret/openapi_enhetsregisteret_2.0.0_subset.json":                    "not a record: API specification",
	"folkeregisteret/bulkoppslag_response_part_status.json":                          "golden: bulkoppslag response",
	"folkeregisteret/person_09052400284_oppslag.json":                                "golden: person document as a JSON line",
	"folkeregisteret/person_01104200113_part_status.json":                            "golden: person document as a JSON line",
	"folkeregisteret/entydigsoek_response_part_navn.json":                            "golden: person document as a JSON line",
	"folkeregisteret/hendelser_feed.json":                                            "golden: feed page; applied as a delta it lacks its persondokumenter: refused",
	"folkeregisteret/hendelser_feed.atom.xml":                                        "golden: Atom feed page, the same events as hendelser_feed.json",
	"folkeregisteret/hendelser_feed_2017_legacy.json":                                "golden: 2017 feed page (registeroppdatering)",
	"folkeregisteret/hendelsesdokument_annullere.json":                               "not loaded: an event document; deltas apply the persondokument an event names",
	"folkeregisteret/hendelsesdokument_korrigere.json":                               "not loaded: an event document; deltas apply the persondokument an event names",
	"folkeregisteret/hendelsesdokument_korrigereHistorisk.json":                      "not loaded: an event document; deltas apply the persondokument an event names",
	"folkeregisteret/hendelsesdokument_registrereNy.json":                            "not loaded: an event document; deltas apply the persondokument an event names",
	"folkeregisteret/bulkoppslag_request.json":                                       "not a record: request body",
	"folkeregisteret/feilmelding.json":                                               "not a record: error body",
	"folkeregisteret/siste_sekvensnummer.json":                                       "not a record: feed head position",
	"folkeregisteret/uttrekk_batch_response.json":                                    "not a record: document ids of an extract",
	"folkeregisteret/uttrekk_jobb_response.json":                                     "not a record: extract job id",
	"folkeregisteret/Hendelsedokument_v1.4.xsd":                                      "not a record: schema",
	"folkeregisteret/openapi_freg_offentlig_med_hjemmel_1.5.yaml":                    "not a record: API specification (its schema gives the known keys)",
	"folkeregisteret/testpersoner_vergemaal_handleevne_2023-09-22.txt":               "not a record: list of test persons",
	"folkeregisteret/testpersoner_vergemaal_handleevne_konsumenttest_2023-10-19.txt": "not a record: list of test persons",
}

func TestSamplesClassified(t *testing.T) {
	for _, sub := range []string{"enhetsregisteret", "folkeregisteret"} {
		ents, err := os.ReadDir(externalDir(t, sub))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			if _, ok := sampleHandling[sub+"/"+e.Name()]; !ok {
				t.Errorf("%s/%s: not classified in sampleHandling: decide how the golden tests load it", sub, e.Name())
			}
		}
	}
}

func readSample(t *testing.T, name string) []byte {
	t.Helper()
	dir, file, _ := strings.Cut(name, "/")
	b, err := os.ReadFile(filepath.Join(externalDir(t, dir), file))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, p string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// asArray wraps a single JSON object into a one-element bulk array.
func asArray(b []byte) []byte { return append(append([]byte("[\n"), b...), "\n]\n"...) }

// compactLine compacts a JSON document into one line.
func compactLine(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatal(err)
	}
	return append(buf.Bytes(), '\n')
}

// stubEnhet is a minimal enhet, standing in for the parent of a sample
// whose parent the samples do not carry.
func stubEnhet(orgnr, form string) string {
	return `{"organisasjonsnummer":"` + orgnr + `","navn":"STUB PARENT ` + orgnr + `","organisasjonsform":{"kode":"` + form + `","beskrivelse":"stub"}}`
}

func stubArray(items ...string) []byte { return []byte("[\n" + strings.Join(items, ",\n") + "\n]\n") }

// golden collects what a case produced, as text.
type golden struct{ b bytes.Buffer }

func (g *golden) printf(format string, args ...any) { fmt.Fprintf(&g.b, format, args...) }

func (g *golden) json(raw []byte) {
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		g.printf("(not JSON: %v) %s\n", err, raw)
		return
	}
	g.b.Write(buf.Bytes())
	g.b.WriteByte('\n')
}

func (g *golden) report(rep *loader.Report, err error) {
	if err != nil {
		g.printf("error: %v\n", err)
	}
	for _, s := range rep.Registers {
		g.printf("register %s: %d records, %d rejects", s.Register, s.Records, s.Rejects)
		rules := make([]string, 0, len(s.Warnings))
		for k, n := range s.Warnings {
			rules = append(rules, fmt.Sprintf("%s=%d", k, n))
		}
		sort.Strings(rules)
		if len(rules) > 0 {
			g.printf(", warnings %s", strings.Join(rules, " "))
		}
		g.printf("\n")
	}
	for _, f := range rep.Feeds {
		types := make([]string, 0, len(f.Types))
		for k, n := range f.Types {
			types = append(types, fmt.Sprintf("%s=%d", k, n))
		}
		sort.Strings(types)
		g.printf("feed %s: position %d → %d (had position %v), %d pages, %d items, %d applied, %d ukjent, %d superseded, %d rejects; %s\n",
			f.Feed, f.From, f.To, f.HadPosition, f.Pages, f.Items, f.Applied, f.Ukjent, f.Superseded, f.Rejects, strings.Join(types, " "))
	}
	for _, k := range rep.UnknownKeys {
		g.printf("unknown key %s ×%d\n", k.Key, k.Count)
	}
	if rep.RejectFile != "" {
		if b, err := os.ReadFile(rep.RejectFile); err == nil {
			for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
				g.printf("reject %s\n", l)
			}
		}
	}
	if rep.WarningFile != "" {
		if b, err := os.ReadFile(rep.WarningFile); err == nil {
			for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
				g.printf("warning %s\n", l)
			}
		}
	}
}

// served appends what the API serves for key from the active generation:
// the stored view bytes (full and, when different, restricted), or the
// status a lookup gets.
func (g *golden) served(t *testing.T, data, what string, key registry.Key) {
	t.Helper()
	st, err := index.Open(index.Config{Dir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	v, err := st.Acquire()
	if err != nil {
		t.Fatal(err)
	}
	defer v.Release()
	val, err := v.Get(nil, &key)
	if errors.Is(err, registry.ErrNotFound) {
		g.printf("\n## %s → 404\n", what)
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	flags, full, restricted, err := registry.DecodeValue(val)
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(full) || !json.Valid(restricted) {
		t.Errorf("%s: stored view is not JSON: %s", what, full)
	}
	if flags&registry.FlagGone != 0 {
		g.printf("\n## %s → 410 Gone (stored GoneEnhet body)\n", what)
		g.json(full)
		return
	}
	g.printf("\n## %s → 200\n", what)
	g.json(full)
	if flags&registry.FlagRestricted != 0 {
		g.printf("### restricted view (without grunndata:person.read-protected)\n")
		g.json(restricted)
	}
}

func (g *golden) org(t *testing.T, data, orgnr string) {
	t.Helper()
	o, err := registry.ParseOrgnr([]byte(orgnr))
	if err != nil {
		g.printf("\n## GET /v1/organisations/%s → 400 (%v)\n", orgnr, err)
		return
	}
	g.served(t, data, "GET /v1/organisations/"+orgnr, registry.OrgKey(o))
}

func (g *golden) person(t *testing.T, data, nin string) {
	t.Helper()
	n, _, err := registry.ParseNIN([]byte(nin))
	if err != nil {
		g.printf("\n## POST /v1/persons/lookup %s → 400 (%v)\n", nin, err)
		return
	}
	g.served(t, data, "POST /v1/persons/lookup "+nin, registry.PersonKey(n))
}

func (g *golden) check(t *testing.T, name string) {
	t.Helper()
	p := filepath.Join("testdata", "golden", name+".golden")
	if *update {
		writeFile(t, p, g.b.Bytes())
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test ./loader -run Golden -update)", err)
	}
	if !bytes.Equal(want, g.b.Bytes()) {
		t.Errorf("%s differs from %s (go test ./loader -run Golden -update rewrites it):\n%s", name, p, lineDiff(string(want), g.b.String()))
	}
}

// lineDiff shows the first lines that differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, a, b)
		}
	}
	return "(same lines)"
}

func loadDir(t *testing.T, src, data string) (loader.Report, error) {
	t.Helper()
	cfg := loader.DefaultConfig(src, data)
	cfg.SortBytes, cfg.MaxRejectRatio, cfg.Now, cfg.Workers = 1<<20, 1, loadertest.Now, 1
	return loader.Run(context.Background(), cfg)
}

func applyDelta(t *testing.T, delta, data string, ratio float64) (loader.Report, error) {
	t.Helper()
	cfg := loader.DefaultConfig(delta, data)
	cfg.SortBytes, cfg.MaxRejectRatio, cfg.Now = 1<<20, ratio, loadertest.Now
	return loader.RunDelta(context.Background(), cfg)
}

// orgnrsOf lists the organisasjonsnummer of each element of a JSON array
// or of a single object.
func orgnrsOf(t *testing.T, b []byte) []string {
	t.Helper()
	var out []string
	var one struct {
		Orgnr string `json:"organisasjonsnummer"`
	}
	if json.Unmarshal(b, &one) == nil && one.Orgnr != "" {
		return []string{one.Orgnr}
	}
	err := brreg.Read(bytes.NewReader(b), func(rec *brreg.Record) error {
		out = append(out, rec.Orgnr)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestGoldenBrregBulk(t *testing.T) {
	enheter2019 := "enhetsregisteret/bulk_enheter_alle_2019_extract.json"
	cases := []struct {
		name         string
		enheter      []byte // the enheter file (nil: none)
		underenheter []byte
		show         []byte // the sample whose entities are looked up
	}{
		{name: "bulk_enheter_alle_2019_extract", enheter: readSample(t, enheter2019)},
		{name: "bulk_underenheter_alle_2019_extract", enheter: readSample(t, enheter2019),
			underenheter: readSample(t, "enhetsregisteret/bulk_underenheter_alle_2019_extract.json")},
		{name: "bulk_underenheter_alle_2019_extract+stub_parents",
			enheter:      stubArray(stubEnhet("914516552", "AS"), stubEnhet("914515777", "AS"), stubEnhet("914502969", "AS")),
			underenheter: readSample(t, "enhetsregisteret/bulk_underenheter_alle_2019_extract.json")},
		{name: "bulk_underenheter_lastned_anonymized", enheter: stubArray(stubEnhet("999999999", "AS")),
			underenheter: readSample(t, "enhetsregisteret/bulk_underenheter_lastned_anonymized.json")},
		{name: "enhet_923609016_live_2026-08", enheter: asArray(readSample(t, "enhetsregisteret/enhet_923609016_live_2026-08.json"))},
		{name: "enhet_974760673_live_2026-08", enheter: []byte("[" + stubEnhet("912660680", "STAT") + ",\n" +
			string(readSample(t, "enhetsregisteret/enhet_974760673_live_2026-08.json")) + "]")},
		{name: "enhet_974760673_live_2026-08+absent_parent", enheter: asArray(readSample(t, "enhetsregisteret/enhet_974760673_live_2026-08.json"))},
		{name: "enhet_docs_example", enheter: asArray(readSample(t, "enhetsregisteret/enhet_docs_example.json"))},
		{name: "enhet_docs_example_slettet", enheter: asArray(readSample(t, "enhetsregisteret/enhet_docs_example_slettet.json"))},
		{name: "underenhet_docs_example", enheter: stubArray(stubEnhet("999999999", "AS")),
			underenheter: asArray(readSample(t, "enhetsregisteret/underenhet_docs_example.json"))},
		{name: "underenhet_docs_example_slettet", enheter: stubArray(stubEnhet("999999999", "AS")),
			underenheter: asArray(readSample(t, "enhetsregisteret/underenhet_docs_example_slettet.json"))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src, data := t.TempDir(), t.TempDir()
			if tc.enheter != nil {
				writeFile(t, filepath.Join(src, "enheter_alle.json"), tc.enheter)
			}
			if tc.underenheter != nil {
				writeFile(t, filepath.Join(src, "underenheter_alle.json"), tc.underenheter)
			}
			rep, err := loadDir(t, src, data)
			var g golden
			g.report(&rep, err)
			if err == nil {
				var ids []string
				if tc.enheter != nil {
					ids = append(ids, orgnrsOf(t, tc.enheter)...)
				}
				if tc.underenheter != nil {
					ids = append(ids, orgnrsOf(t, tc.underenheter)...)
				}
				for _, id := range ids {
					g.org(t, data, id)
				}
			}
			g.check(t, tc.name)
		})
	}
}

// TestGoldenBrregCSV loads our CSV fixtures (no real CSV row was found to
// save): Brreg's 90-column enheter header with its inconsistent casing, a
// byte-order mark, real and literal line breaks in cells, CRLF rows, an
// empty antallAnsatte, kapital.belop with a decimal point and a decimal
// comma, paategninger JA/NEI, unknown columns, and bad rows (wrong field
// count, stray quote, bad boolean, bad check digit, missing form) that are
// rejected while the rows after them load.
func TestGoldenBrregCSV(t *testing.T) {
	src, data := t.TempDir(), t.TempDir()
	for _, n := range []string{"enheter_alle.csv", "underenheter_alle.csv"} {
		b, err := os.ReadFile(filepath.Join("testdata", "csv", n))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(src, n), b)
	}
	rep, err := loadDir(t, src, data)
	var g golden
	g.report(&rep, err)
	for _, id := range []string{"910000012", "910000020", "910000071", "910000039", "910000098", "910000101"} {
		g.org(t, data, id)
	}
	g.check(t, "csv_enheter_underenheter")
}

// feedBase writes a bulk with a stub parent enhet and a stub underenhet for
// every organisation number a feed page names.
func feedBase(t *testing.T, page []byte) (src string, orgnrs []string) {
	t.Helper()
	p, err := brreg.ReadPage(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var subs []string
	for _, u := range p.Updates {
		orgnrs = append(orgnrs, u.Orgnr)
		subs = append(subs, `{"organisasjonsnummer":"`+u.Orgnr+`","navn":"STUB UNDERENHET `+u.Orgnr+
			`","organisasjonsform":{"kode":"BEDR","beskrivelse":"Bedrift"},"overordnetEnhet":"910000004"}`)
	}
	src = t.TempDir()
	writeFile(t, filepath.Join(src, "enheter_alle.json"), stubArray(stubEnhet("910000004", "AS")))
	writeFile(t, filepath.Join(src, "underenheter_alle.json"), stubArray(subs...))
	return src, orgnrs
}

func TestGoldenBrregFeed(t *testing.T) {
	for _, tc := range []struct {
		name   string
		bodies []string // underenheter.json of the delta
	}{
		{name: "oppdateringer_underenheter_fjernet_sletting_endring", bodies: []string{
			// Endring bodies: what GET /api/underenheter/{orgnr} would have answered.
			`{"organisasjonsnummer":"333333333","navn":"ENDRET NAVN AS","organisasjonsform":{"kode":"BEDR","beskrivelse":"Bedrift"},"overordnetEnhet":"910000004","antallAnsatte":3,"harRegistrertAntallAnsatte":true}`,
			`{"organisasjonsnummer":"666666666","navn":"FLYTTET AS","organisasjonsform":{"kode":"BEDR","beskrivelse":"Bedrift"},"overordnetEnhet":"910000004","beliggenhetsadresse":{"adresse":["Ny gate 2"],"postnummer":"0150","poststed":"OSLO","kommunenummer":"0301","kommune":"OSLO","land":"Norge","landkode":"NO"}}`,
			`{"organisasjonsnummer":"888888888","navn":"NY EIER AS","organisasjonsform":{"kode":"BEDR","beskrivelse":"Bedrift"},"overordnetEnhet":"910000004","datoEierskifte":"2022-07-01"}`,
			// A body whose parent is not in the copy: rejected.
			`{"organisasjonsnummer":"999999999","navn":"UTEN FORELDER AS","organisasjonsform":{"kode":"BEDR","beskrivelse":"Bedrift"},"overordnetEnhet":"910000012"}`,
			// One Sletting with Brreg's SlettetUnderenhet body; the other
			// Sletting items have none and mark the stored record.
			`{"organisasjonsnummer":"444444444","navn":"STUB UNDERENHET 444444444","organisasjonsform":{"kode":"BEDR","beskrivelse":"Bedrift"},"slettedato":"2022-07-05","nedleggelsesdato":"2022-06-30","respons_klasse":"SlettetUnderenhet"}`,
		}},
		{name: "oppdateringer_underenheter_ukjent_ny"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page := readSample(t, "enhetsregisteret/"+tc.name+".json")
			src, orgnrs := feedBase(t, page)
			data := t.TempDir()
			if _, err := loadDir(t, src, data); err != nil {
				t.Fatal(err)
			}
			delta := t.TempDir()
			writeFile(t, filepath.Join(delta, "oppdateringer", "underenheter", "page-000000.json"), page)
			if tc.bodies != nil {
				writeFile(t, filepath.Join(delta, "underenheter.json"), stubArray(tc.bodies...))
			}
			rep, err := applyDelta(t, delta, data, 1)
			var g golden
			g.report(&rep, err)
			for _, id := range orgnrs {
				g.org(t, data, id)
			}
			g.check(t, tc.name)
		})
	}
}

func ninsOf(t *testing.T, doc []byte) []string {
	t.Helper()
	p, _, err := freg.ParsePerson(doc)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, id := range p.Identifikasjonsnummer {
		out = append(out, id.FoedselsEllerDNummer)
	}
	return out
}

func TestGoldenFregBulk(t *testing.T) {
	t.Run("bulkoppslag_response_part_status", func(t *testing.T) {
		b := readSample(t, "folkeregisteret/bulkoppslag_response_part_status.json")
		src, data := t.TempDir(), t.TempDir()
		writeFile(t, filepath.Join(src, "freg", "bulkoppslag-000001.json"), b)
		rep, err := loadDir(t, src, data)
		var g golden
		g.report(&rep, err)
		g.person(t, data, "29084902258")
		g.check(t, "bulkoppslag_response_part_status")
	})
	for _, name := range []string{"person_09052400284_oppslag", "person_01104200113_part_status", "entydigsoek_response_part_navn"} {
		t.Run(name, func(t *testing.T) {
			b := readSample(t, "folkeregisteret/"+name+".json")
			src, data := t.TempDir(), t.TempDir()
			writeFile(t, filepath.Join(src, "freg", "personer.jsonl"), compactLine(t, b))
			rep, err := loadDir(t, src, data)
			var g golden
			g.report(&rep, err)
			for _, nin := range ninsOf(t, b) {
				g.person(t, data, nin)
			}
			g.check(t, name)
		})
	}
}

func TestGoldenFregFeed(t *testing.T) {
	base := readSample(t, "folkeregisteret/bulkoppslag_response_part_status.json")
	var jsonEvents []freg.Event
	for _, name := range []string{"hendelser_feed.json", "hendelser_feed.atom.xml", "hendelser_feed_2017_legacy.json"} {
		t.Run(name, func(t *testing.T) {
			b := readSample(t, "folkeregisteret/"+name)
			evs, err := freg.ReadFeed(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			switch name {
			case "hendelser_feed.json":
				jsonEvents = evs
			case "hendelser_feed.atom.xml":
				if fmt.Sprint(evs) != fmt.Sprint(jsonEvents) {
					t.Errorf("Atom events differ from JSON events:\n%v\n%v", evs, jsonEvents)
				}
			}
			var g golden
			for _, ev := range evs {
				g.printf("event %+v\n", ev)
			}
			src, data := t.TempDir(), t.TempDir()
			writeFile(t, filepath.Join(src, "freg", "bulkoppslag-000001.json"), base)
			if _, err := loadDir(t, src, data); err != nil {
				t.Fatal(err)
			}
			active, _ := index.ReadActive(data)
			delta := t.TempDir()
			writeFile(t, filepath.Join(delta, "freg", "hendelser", "feed-000001"+filepath.Ext(name)), b)
			rep, err := applyDelta(t, delta, data, 1)
			if !errors.Is(err, loader.ErrIncompleteDelta) {
				t.Errorf("err = %v, want ErrIncompleteDelta (the samples come without their persondokumenter)", err)
			}
			if now, _ := index.ReadActive(data); now != active {
				t.Errorf("a refused delta activated %s", now)
			}
			g.report(&rep, err)
			g.check(t, strings.TrimSuffix(strings.TrimSuffix(name, ".json"), ".xml"))
		})
	}
}
