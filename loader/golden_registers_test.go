package loader_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/loader"
	"github.com/grunndata/grunndata/loader/ar"
	"github.com/grunndata/grunndata/loader/flr"
	"github.com/grunndata/grunndata/loader/hpr"
	"github.com/grunndata/grunndata/loader/loadertest"
	"github.com/grunndata/grunndata/loader/resh"
	"github.com/grunndata/grunndata/registry"
)

// The goldens of AR, HPR, RESH and Fastlegeregisteret come from the
// synthetic generator (no real samples of these registers may be kept): the
// small preset, seed 1, with a few records appended to each file for the
// cases the generator does not write (an orphan, a reference outside the
// dataset, a malformed line). Each golden holds the register's report lines
// and the stored views of the first records of each kind, full and
// restricted, as the API serves them.

// registerExtras are appended to the generated files.
var registerExtras = map[string]string{
	"ar.jsonl.gz": `{"herId":99999001,"type":"Organization","name":"Ekstern & co","active":true,"organizationNumber":"912660680","electronicAddresses":[{"type":{"code":"E_EDI","text":"EDI"},"address":"ekstern@edi.example"}],"physicalAddresses":[]}
{"herId":99999002,"type":"Service","parentHerId":99999001,"name":"Tjeneste <arver>","active":false,"electronicAddresses":[],"physicalAddresses":[{"type":{"code":"RES","text":"Besøksadresse"},"streetAddress":"Gate 1","postalCode":"0150","city":"OSLO"}]}
{"herId":99999003,"type":"Service","parentHerId":99999990,"name":"Foreldreløs","active":true,"electronicAddresses":[],"physicalAddresses":[]}
{"herId":99999004,"type":"Service","parentHerId":99999002,"name":"Under en tjeneste","active":true,"electronicAddresses":[],"physicalAddresses":[]}
{"herId":99999005,"type":"Robot","name":"Ukjent type","active":true}
{"herId":99999006,"type":"Organization","name":"Uten aktiv"}
`,
	"hpr.jsonl.gz": `{"hprNumber":99999901,"givenName":"Uten","familyName":"Fødselsnummer","approvals":[]}
{"hprNumber":99999902,"givenName":"Feil","familyName":"Nummer","nin":"01810000001","approvals":[]}
{"hprNumber":99999903,"givenName":"Mangler","approvals":[]}
`,
	"resh.jsonl.gz": `{"reshId":99999001,"name":"Foreldreløs","parentReshId":99999990,"organizationNumber":"912660680","level":{"oid":8628,"code":"3","text":"Institusjon"},"valid":{"from":"2008-10-20","to":null},"active":true}
{"reshId":99999002,"name":"Uten nivå","active":true}
`,
	"flr_contracts.jsonl.gz": `{"id":99999001,"gpOfficeOrganizationNumber":"912660680","municipality":{"code":"0301"},"maxPatients":10,"doctors":[]}
{"id":99999002,"gpOfficeOrganizationNumber":"912660680","maxPatients":10,"doctors":[]}
`,
	"flr_patients.jsonl.gz": `{"patientNin":"01810000001","gpContractId":99999001,"period":{"from":"2020-01-01","to":null}}
{"patientNin":"01810000001","period":{"from":"2020-01-01","to":null}}
`,
}

// badLines end each file: a line in invalid UTF-8 and a line cut short.
// Each is a reject (malformed-record) at its line, and nothing of it is
// stored; the id each would have is in badIDs.
var badLines = map[string]string{
	"ar.jsonl.gz":            "{\"herId\":99999011,\"type\":\"Organization\",\"name\":\"Ugyldig \xff\",\"active\":true,\"organizationNumber\":\"912660680\"}\n{\"herId\":99999012,\"type\":\"Organ\n",
	"hpr.jsonl.gz":           "{\"hprNumber\":99999911,\"givenName\":\"Ugyldig \xc3\",\"familyName\":\"B\",\"approvals\":[]}\n{\"hprNumber\":99999912,\"givenName\n",
	"resh.jsonl.gz":          "{\"reshId\":99999011,\"name\":\"Ugyldig \xe2\x28\",\"level\":{\"code\":\"3\"}}\n{\"reshId\":99999012,\"name\":[\n",
	"flr_contracts.jsonl.gz": "{\"id\":99999011,\"gpOfficeOrganizationNumber\":\"912660680\",\"municipality\":{\"code\":\"0301\",\"text\":\"\xff\"},\"maxPatients\":1,\"doctors\":[]}\n{\"id\":99999012,\n",
}

// badIDs are the records of badLines, by register family.
var badIDs = map[registry.Register][]uint64{
	registry.RegParty:      {99999011, 99999012},
	registry.RegPersonnel:  {99999911, 99999912},
	registry.RegResh:       {99999011, 99999012},
	registry.RegGPContract: {99999011, 99999012},
}

// registersFixture is the generated dataset with registerExtras and
// badLines, loaded.
type registersFixture struct {
	src, data string
	rep       loader.Report
	err       error
}

func loadRegistersFixture(t *testing.T) registersFixture {
	t.Helper()
	src := loadertest.Dataset(t)
	for name, extra := range registerExtras {
		p := filepath.Join(src, name)
		writeGz(t, p, append(append(readGz(t, p), extra...), badLines[name]...))
	}
	data := t.TempDir()
	rep, err := loadDir(t, src, data)
	return registersFixture{src: src, data: data, rep: rep, err: err}
}

// registerReport writes the report lines of the registers regs: counts and
// warnings, and the rejects and warnings of their files.
func (g *golden) registerReport(rep *loader.Report, err error, files []string, regs ...string) {
	if err != nil {
		g.printf("error: %v\n", err)
	}
	want := map[string]bool{}
	for _, r := range regs {
		want[r] = true
	}
	for _, s := range rep.Registers {
		if !want[s.Register] {
			continue
		}
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
	for _, f := range []struct{ kind, path string }{{"reject", rep.RejectFile}, {"warning", rep.WarningFile}} {
		b, err := os.ReadFile(f.path)
		if err != nil {
			continue
		}
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			for _, name := range files {
				if strings.Contains(l, `"file":"`+name+`"`) {
					g.printf("%s %s\n", f.kind, l)
				}
			}
		}
	}
}

// readSource parses a generated file with read.
func readSource(t *testing.T, src, name string, read func(b []byte) error) {
	t.Helper()
	if err := read(readGz(t, filepath.Join(src, name))); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func TestGoldenRegisters(t *testing.T) {
	f := loadRegistersFixture(t)
	if f.err != nil {
		t.Fatal(f.err)
	}
	// One view of the active generation for every lookup.
	st, err := index.Open(index.Config{Dir: f.data})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	v, err := st.Acquire()
	if err != nil {
		t.Fatal(err)
	}
	defer v.Release()
	serve := func(g *golden, what string, key registry.Key) (flags byte) {
		t.Helper()
		val, err := v.Get(nil, &key)
		if errors.Is(err, registry.ErrNotFound) {
			g.printf("\n## %s → 404\n", what)
			return 0
		}
		if err != nil {
			t.Fatal(err)
		}
		flags, full, restricted, err := registry.DecodeValue(val)
		if err != nil {
			t.Fatal(err)
		}
		if !validJSON(full) || !validJSON(restricted) {
			t.Errorf("%s: stored view is not valid JSON in UTF-8: %q", what, full)
		}
		g.printf("\n## %s → 200\n", what)
		g.json(full)
		if flags&registry.FlagRestricted != 0 {
			g.printf("### restricted view (without grunndata:person.read-protected)\n")
			g.json(restricted)
		}
		return flags
	}

	// A line that is not JSON or not UTF-8 is a reject at its line with
	// the rule malformed-record, and nothing of it is served.
	t.Run("shape errors", func(t *testing.T) {
		b, err := os.ReadFile(f.rep.RejectFile)
		if err != nil {
			t.Fatal(err)
		}
		for name := range badLines {
			lines := len(strings.Split(strings.TrimSpace(string(readGz(t, filepath.Join(f.src, name)))), "\n"))
			utf8Line, cutLine := lines-1, lines
			for _, want := range []string{
				fmt.Sprintf(`{"file":"%s","position":"line %d","identifier":"0","rule":"malformed-record","detail":"invalid UTF-8"}`, name, utf8Line),
				fmt.Sprintf(`{"file":"%s","position":"line %d","identifier":"0","rule":"malformed-record","detail":"`, name, cutLine),
			} {
				if !bytes.Contains(b, []byte(want)) {
					t.Errorf("reject report lacks %s", want)
				}
			}
		}
		for fam, ids := range badIDs {
			for _, id := range ids {
				k := registry.SerialKey(fam, id)
				if _, err := v.Get(nil, &k); !errors.Is(err, registry.ErrNotFound) {
					t.Errorf("register %c id %d of a malformed line: lookup %v, want not found", fam, id, err)
				}
			}
		}
	})

	t.Run("ar", func(t *testing.T) {
		var g golden
		g.registerReport(&f.rep, nil, []string{"ar.jsonl.gz"}, loader.RegParties)
		perType := map[string]int{}
		var ids []int64
		readSource(t, f.src, "ar.jsonl.gz", func(b []byte) error {
			return ar.Read(bytes.NewReader(b), func(rec *ar.Record) error {
				if rec.HerID >= 99999001 || (rec.Err == nil && rec.Missing == "" && perType[rec.Type] < 2) {
					perType[rec.Type]++
					ids = append(ids, rec.HerID)
				}
				return nil
			})
		})
		if perType[ar.TypeOrganization] < 2 || perType[ar.TypeService] < 2 || perType[ar.TypePerson] < 2 {
			t.Fatalf("the generated AR lacks a kind of party: %v", perType)
		}
		for _, id := range ids {
			serve(&g, fmt.Sprintf("GET /v1/communication-parties/%d", id), registry.SerialKey(registry.RegParty, uint64(id)))
		}
		g.check(t, "synth_ar")
	})

	t.Run("hpr", func(t *testing.T) {
		var g golden
		g.registerReport(&f.rep, nil, []string{"hpr.jsonl.gz"}, loader.RegPersonnel)
		var ids []int64
		withNIN, without := 0, 0
		readSource(t, f.src, "hpr.jsonl.gz", func(b []byte) error {
			return hpr.Read(bytes.NewReader(b), func(rec *hpr.Record) error {
				switch {
				case rec.HPRNumber >= 99999901:
				case rec.Err != nil || rec.Missing != "":
					return nil
				case rec.NIN != "" && withNIN < 2:
					withNIN++
				case rec.NIN == "" && without < 1:
					without++
				default:
					return nil
				}
				ids = append(ids, rec.HPRNumber)
				return nil
			})
		})
		if withNIN < 2 {
			t.Fatalf("the generated HPR has %d persons with a fødselsnummer", withNIN)
		}
		for _, id := range ids {
			serve(&g, fmt.Sprintf("GET /v1/personnel/%d", id), registry.SerialKey(registry.RegPersonnel, uint64(id)))
		}
		g.check(t, "synth_hpr")
	})

	t.Run("resh", func(t *testing.T) {
		var g golden
		g.registerReport(&f.rep, nil, []string{"resh.jsonl.gz"}, loader.RegResh)
		var ids []int64
		roots, children := 0, 0
		readSource(t, f.src, "resh.jsonl.gz", func(b []byte) error {
			return resh.Read(bytes.NewReader(b), func(rec *resh.Record) error {
				switch {
				case rec.ReshID >= 99999001:
				case rec.Err != nil || rec.Missing != "":
					return nil
				case rec.Parent == 0 && roots < 1:
					roots++
				case rec.Parent != 0 && children < 3:
					children++
				default:
					return nil
				}
				ids = append(ids, rec.ReshID)
				return nil
			})
		})
		for _, id := range ids {
			serve(&g, fmt.Sprintf("GET /v1/resh/%d", id), registry.SerialKey(registry.RegResh, uint64(id)))
		}
		g.check(t, "synth_resh")
	})

	t.Run("flr", func(t *testing.T) {
		var g golden
		g.registerReport(&f.rep, nil, []string{"flr_contracts.jsonl.gz", "flr_patients.jsonl.gz"}, loader.RegGPContracts, loader.RegGPPatients)
		var ids []int64
		readSource(t, f.src, "flr_contracts.jsonl.gz", func(b []byte) error {
			return flr.ReadContracts(bytes.NewReader(b), func(c *flr.Contract) error {
				if c.ID >= 99999001 || (c.Err == nil && c.Missing == "" && len(ids) < 2) {
					ids = append(ids, c.ID)
				}
				return nil
			})
		})
		for _, id := range ids {
			serve(&g, fmt.Sprintf("GET /v1/gp-contracts/%d", id), registry.SerialKey(registry.RegGPContract, uint64(id)))
		}
		// Patients: the first two with a current GP, and the first whose
		// answer is withheld from callers without the protected scope.
		var open, withheld int
		today := flr.Today(loadertest.Now())
		readSource(t, f.src, "flr_patients.jsonl.gz", func(b []byte) error {
			return flr.ReadPatients(bytes.NewReader(b), func(p *flr.Patient) error {
				if p.Err != nil || p.Missing != "" || !p.Period.Contains(today) || (open >= 2 && withheld >= 1) {
					return nil
				}
				n, _, err := registry.ParseNIN([]byte(p.NIN))
				if err != nil {
					return nil
				}
				k := registry.GPPatientKey(n)
				val, err := v.Get(nil, &k)
				if err != nil {
					return nil
				}
				flags, _, _, err := registry.DecodeValue(val)
				if err != nil {
					t.Fatal(err)
				}
				restricted := flags&registry.FlagRestricted != 0
				if (restricted && withheld < 1) || (!restricted && open < 2) {
					if serve(&g, "POST /v1/gp/lookup "+p.NIN, k)&registry.FlagRestricted != 0 {
						withheld++
					} else {
						open++
					}
				}
				return nil
			})
		})
		if open < 2 || withheld < 1 {
			t.Fatalf("the generated patient lists have %d open and %d withheld current GP answers", open, withheld)
		}
		g.check(t, "synth_flr")
	})
}

// validJSON reports whether b is valid JSON in valid UTF-8.
func validJSON(b []byte) bool {
	return json.Valid(b) && utf8.Valid(b)
}
