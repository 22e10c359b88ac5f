package loader_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/loader"
	"github.com/grunndata/grunndata/loader/jsonl"
	"github.com/grunndata/grunndata/loader/loadertest"
	"github.com/grunndata/grunndata/registry"
)

func readGz(t *testing.T, p string) []byte {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeGz(t *testing.T, p string, b []byte) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func load(t *testing.T, src, data string, ratio float64) (loader.Report, error) {
	t.Helper()
	cfg := loader.DefaultConfig(src, data)
	cfg.SortBytes = 4 << 20
	cfg.MaxRejectRatio = ratio
	cfg.Now = loadertest.Now
	return loader.Run(context.Background(), cfg)
}

// assertUntouched checks that a failed load left gen active and no other
// generation, complete or half-built, behind.
func assertUntouched(t *testing.T, data, gen string) {
	t.Helper()
	active, err := index.ReadActive(data)
	if err != nil || active != gen {
		t.Fatalf("active generation %q (%v), want %q", active, err, gen)
	}
	ids, _ := index.ListGenerations(data)
	if len(ids) != 1 || ids[0] != gen {
		t.Fatalf("generations %v, want only %s", ids, gen)
	}
	ents, _ := os.ReadDir(index.SnapshotsDir(data))
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Fatalf("half-built generation left: %s", e.Name())
		}
	}
}

func TestLoadSmall(t *testing.T) {
	src := loadertest.Dataset(t)
	data := t.TempDir()
	rep, err := load(t, src, data, 0.001)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Activated || rep.Generation != "000001" {
		t.Fatalf("report %+v", rep)
	}
	want := map[string]bool{}
	for _, r := range []string{loader.RegEnheter, loader.RegUnderenheter, loader.RegPersons, loader.RegPersonnel,
		loader.RegParties, loader.RegResh, loader.RegGPContracts, loader.RegGPPatients} {
		want[r] = true
	}
	for _, s := range rep.Registers {
		if s.Records == 0 || s.Rejects != 0 {
			t.Errorf("%s: %d records, %d rejects", s.Register, s.Records, s.Rejects)
		}
		delete(want, s.Register)
	}
	if len(want) != 0 {
		t.Errorf("registers not loaded: %v", want)
	}
	m, err := index.ReadManifest(filepath.Join(index.SnapshotsDir(data), rep.Generation))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Sources) < 8 || len(m.Sources[0].SHA256) != 64 || m.Sources[0].Size == 0 {
		t.Fatalf("manifest sources %+v", m.Sources)
	}
	if m.Registers[loader.RegPersons].Records != 20000 {
		t.Fatalf("manifest persons %+v", m.Registers[loader.RegPersons])
	}
}

// TestRejects breaks records in three registers and checks each lands in
// the reject report with its position and rule, and that no person number
// is written in plain text.
func TestRejects(t *testing.T) {
	src := loadertest.Dataset(t)
	hprPath := filepath.Join(src, "hpr.jsonl.gz")
	lines := strings.Split(strings.TrimSpace(string(readGz(t, hprPath))), "\n")
	bad := []string{
		`{"hprNumber":0,"givenName":"A","familyName":"B","approvals":[]}`,                             // range
		`{"hprNumber":99999901,"nin":"01810000001","givenName":"A","familyName":"B","approvals":[]}`,  // nin check digit
		`{"hprNumber":99999902,"nin":"01810050019x","givenName":"A","familyName":"B","approvals":[]}`, // nin length
		`{"hprNumber":99999903,"givenName":"A","approvals":[]}`,                                       // familyName missing
		`{"hprNumber": "x"`, // malformed line
	}
	writeGz(t, hprPath, []byte(strings.Join(append(lines, bad...), "\n")+"\n"))
	data := t.TempDir()
	rep, err := load(t, src, data, 1)
	if err != nil {
		t.Fatal(err)
	}
	var got int64
	for _, s := range rep.Registers {
		if s.Register == loader.RegPersonnel {
			got = s.Rejects
		}
	}
	if got != int64(len(bad)) {
		t.Fatalf("personnel rejects %d, want %d", got, len(bad))
	}
	report, err := os.ReadFile(rep.RejectFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"rule":"range"`, `"rule":"second-check-digit"`, `"rule":"length"`,
		`"rule":"required-field"`, `"detail":"familyName"`, `"rule":"malformed-record"`,
		`"position":"line ` + itoa(len(lines)+1) + `"`} {
		if !bytes.Contains(report, []byte(want)) {
			t.Errorf("reject report lacks %s:\n%s", want, report)
		}
	}
	if bytes.Contains(report, []byte("01810000001")) {
		t.Errorf("reject report contains a person number in plain text")
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestFailedLoadsLeaveActiveGeneration(t *testing.T) {
	src := loadertest.Dataset(t)
	data := t.TempDir()
	rep, err := load(t, src, data, 0.001)
	if err != nil {
		t.Fatal(err)
	}
	gen := rep.Generation

	t.Run("too-many-rejects", func(t *testing.T) {
		bad := copyDataset(t, src)
		p := filepath.Join(bad, "resh.jsonl.gz")
		writeGz(t, p, append(readGz(t, p), []byte(`{"reshId":-5,"name":"x","level":{"code":"1"}}`+"\n")...))
		_, err := load(t, bad, data, 0.001)
		if !errors.Is(err, loader.ErrTooManyRejects) {
			t.Fatalf("err = %v, want ErrTooManyRejects", err)
		}
		assertUntouched(t, data, gen)
	})
	t.Run("truncated-gzip", func(t *testing.T) {
		bad := copyDataset(t, src)
		p := filepath.Join(bad, "enheter_alle.json.gz")
		b, _ := os.ReadFile(p)
		os.WriteFile(p, b[:len(b)/2], 0o644)
		_, err := load(t, bad, data, 0.001)
		if !errors.Is(err, jsonl.ErrStructure) || !strings.Contains(err.Error(), "enheter_alle.json.gz") {
			t.Fatalf("err = %v, want structural damage naming the file", err)
		}
		assertUntouched(t, data, gen)
	})
	t.Run("malformed-json-array", func(t *testing.T) {
		bad := copyDataset(t, src)
		p := filepath.Join(bad, "underenheter_alle.json.gz")
		b := readGz(t, p)
		writeGz(t, p, append(b[:len(b)-2], []byte(`,{"organisasjonsnummer":]`)...))
		_, err := load(t, bad, data, 0.001)
		if !errors.Is(err, jsonl.ErrStructure) {
			t.Fatalf("err = %v, want structural damage", err)
		}
		assertUntouched(t, data, gen)
	})
	t.Run("not-gzip", func(t *testing.T) {
		bad := copyDataset(t, src)
		os.WriteFile(filepath.Join(bad, "ar.jsonl.gz"), []byte("plain text"), 0o644)
		_, err := load(t, bad, data, 0.001)
		if !errors.Is(err, jsonl.ErrStructure) {
			t.Fatalf("err = %v, want structural damage", err)
		}
		assertUntouched(t, data, gen)
	})
	t.Run("unreadable-file", func(t *testing.T) {
		bad := copyDataset(t, src)
		p := filepath.Join(bad, "hpr.jsonl.gz")
		os.Remove(p)
		os.Mkdir(p, 0o755) // a directory where a file should be
		_, err := load(t, bad, data, 0.001)
		if err == nil {
			t.Fatal("load of a directory as a file succeeded")
		}
		assertUntouched(t, data, gen)
	})
	t.Run("empty-directory", func(t *testing.T) {
		_, err := load(t, t.TempDir(), data, 0.001)
		if !errors.Is(err, loader.ErrNoSources) {
			t.Fatalf("err = %v, want ErrNoSources", err)
		}
		assertUntouched(t, data, gen)
	})
}

func copyDataset(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "src")
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestDuplicatePersonRejected: a Folkeregisteret person that occurs twice in
// one load (again in a later file, and twice in that file) is a reject with
// rule duplicate for each later copy; the first copy in file order is served
// and the search index holds only its name.
func TestDuplicatePersonRejected(t *testing.T) {
	src := loadertest.Dataset(t)
	var resp struct {
		Oppslag []struct {
			Person map[string]any `json:"folkeregisterperson"`
		} `json:"oppslag"`
	}
	if err := json.Unmarshal(readGz(t, filepath.Join(src, "freg", "bulkoppslag-000001.json.gz")), &resp); err != nil {
		t.Fatal(err)
	}
	person := resp.Oppslag[5].Person
	var nin string
	for _, id := range person["identifikasjonsnummer"].([]any) {
		nin = id.(map[string]any)["foedselsEllerDNummer"].(string)
	}
	first, _ := json.Marshal(person)
	for _, n := range person["navn"].([]any) {
		n.(map[string]any)["etternavn"] = "Duplikatsen"
	}
	dup, _ := json.Marshal(person)
	if err := os.WriteFile(filepath.Join(src, "freg", "zz-extra.jsonl"), []byte(string(dup)+"\n"+string(dup)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	rep, err := load(t, src, data, 0.001)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range rep.Registers {
		if s.Register == loader.RegPersons && (s.Records != 20000 || s.Rejects != 2) {
			t.Errorf("persons: %d records, %d rejects; want 20000 and 2 duplicates", s.Records, s.Rejects)
		}
	}
	report, _ := os.ReadFile(rep.RejectFile)
	if n := bytes.Count(report, []byte(`"rule":"duplicate"`)); n != 2 ||
		!bytes.Contains(report, []byte(`"file":"freg/zz-extra.jsonl","position":"line 1"`)) ||
		!bytes.Contains(report, []byte(`"file":"freg/zz-extra.jsonl","position":"line 2"`)) {
		t.Errorf("reject report: %d duplicates, want lines 1 and 2 of zz-extra.jsonl:\n%s", n, report)
	}
	if bytes.Contains(report, []byte(nin)) {
		t.Error("the reject report names the person number in plain text")
	}
	st, err := index.Open(index.Config{Dir: data})
	if err != nil {
		t.Fatal(err)
	}
	v, err := st.Acquire()
	if err != nil {
		t.Fatal(err)
	}
	n, _, _ := registry.ParseNIN([]byte(nin))
	k := registry.PersonKey(n)
	val, err := v.Get(nil, &k)
	v.Release()
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	_, full, _, _ := registry.DecodeValue(val)
	if bytes.Contains(full, []byte("Duplikatsen")) {
		t.Errorf("the later copy is served, want the first: %s", full)
	}
	var firstName struct {
		Navn []struct{ Etternavn string } `json:"navn"`
	}
	json.Unmarshal(first, &firstName)
	if len(firstName.Navn) == 0 || !bytes.Contains(full, []byte(firstName.Navn[0].Etternavn)) {
		t.Errorf("the served person lacks the first copy's name: %s", full)
	}
	if stale, _ := searchProblems(t, data); len(stale) > 0 {
		t.Errorf("%d stale search entries, e.g. %v", len(stale), stale[:min(len(stale), 5)])
	}
}
