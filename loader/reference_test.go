package loader_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/loader"
	"github.com/grunndata/grunndata/loader/loadertest"
	"github.com/grunndata/grunndata/registry"
)

// TestAbsentReferenceIsWarning: the real 2026 record of enhet 974760673,
// whose overordnetEnhet (912660680) is not in the file, loads with the
// default reject limit and is served as given; the absent parent is a
// warning counted by rule in the report and the manifest, not a reject. A
// malformed reference stays a reject.
func TestAbsentReferenceIsWarning(t *testing.T) {
	src, data := t.TempDir(), t.TempDir()
	real := bytes.TrimSpace(readSample(t, "enhetsregisteret/enhet_974760673_live_2026-08.json"))
	writeFile(t, filepath.Join(src, "enheter_alle.json"), asArray(real))
	// An underenhet under the absent parent, and one whose parent is not
	// an organisation number at all.
	writeFile(t, filepath.Join(src, "underenheter_alle.json"), stubArray(
		`{"organisasjonsnummer":"974760843","navn":"UNDER","organisasjonsform":{"kode":"BEDR","beskrivelse":"x"},"overordnetEnhet":"912660680"}`,
		`{"organisasjonsnummer":"912660680","navn":"BAD PARENT","organisasjonsform":{"kode":"BEDR","beskrivelse":"x"},"overordnetEnhet":"12345"}`,
	))
	cfg := loader.DefaultConfig(src, data)
	cfg.SortBytes, cfg.Now = 1<<20, loadertest.Now
	cfg.MaxRejectRatio = 0.5
	rep, err := loadCfg(t, cfg)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	want := map[string][3]int64{ // records, rejects, absent-reference warnings
		loader.RegEnheter:      {1, 0, 1},
		loader.RegUnderenheter: {1, 1, 1},
	}
	m, err := index.ReadManifest(filepath.Join(index.SnapshotsDir(data), rep.Generation))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range rep.Registers {
		w := want[s.Register]
		if s.Records != w[0] || s.Rejects != w[1] || s.Warnings["absent-reference"] != w[2] || len(s.Warnings) != 1 {
			t.Errorf("report %s: %d records, %d rejects, warnings %v; want %v", s.Register, s.Records, s.Rejects, s.Warnings, w)
		}
		ms := m.Registers[s.Register]
		if ms.Records != w[0] || ms.Rejects != w[1] || ms.Warnings["absent-reference"] != w[2] {
			t.Errorf("manifest %s: %+v; want %v", s.Register, ms, w)
		}
	}
	warnings, err := os.ReadFile(rep.WarningFile)
	if err != nil {
		t.Fatalf("warning file: %v", err)
	}
	if !bytes.Contains(warnings, []byte(`"identifier":"974760673","rule":"absent-reference"`)) ||
		!bytes.Contains(warnings, []byte(`"identifier":"974760843","rule":"absent-reference"`)) {
		t.Errorf("warning file:\n%s", warnings)
	}
	rejects, _ := os.ReadFile(rep.RejectFile)
	if !bytes.Contains(rejects, []byte(`"identifier":"912660680","rule":"length","detail":"overordnetEnhet"`)) ||
		strings.Count(strings.TrimSpace(string(rejects)), "\n") != 0 {
		t.Errorf("reject file, want the malformed reference only:\n%s", rejects)
	}
	_, full, _, found := lookup(t, data, orgKey(t, "974760673"))
	if !found || !bytes.Equal(full, real) {
		t.Errorf("974760673: found %v, served %s; want the record as given", found, full)
	}
	if _, _, _, found := lookup(t, data, orgKey(t, "974760843")); !found {
		t.Error("the underenhet under an absent parent is not served")
	}
	// It is listed under its parent, so the parent's subunits are right
	// once a delta brings the parent.
	p, c := orgKey(t, "912660680"), orgKey(t, "974760843")
	if !hasKey(t, data, registry.PairKey(registry.IdxSubunits, p.Bytes()[1:], c.Bytes()[1:])) {
		t.Error("the underenhet is not indexed under its absent parent")
	}
}

func loadCfg(t *testing.T, cfg loader.Config) (loader.Report, error) {
	t.Helper()
	return loader.Run(t.Context(), cfg)
}

// hasKey reports whether the active generation of data holds key.
func hasKey(t *testing.T, data string, key registry.Key) bool {
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
	_, err = v.Get(nil, &key)
	if err != nil && err != registry.ErrNotFound {
		t.Fatal(err)
	}
	return err == nil
}

// TestARAbsentReferences: an AR organisation whose enhet the dataset lacks,
// and a service whose parent is not in the file, are loaded as given with
// warnings (the orphan inherits nothing and names its parent by HER-id
// only); a service under a service stays a reject.
func TestARAbsentReferences(t *testing.T) {
	src := loadertest.Dataset(t)
	p := filepath.Join(src, "ar.jsonl.gz")
	extra := `{"herId":99999001,"type":"Organization","name":"Ekstern","active":true,"organizationNumber":"912660680","electronicAddresses":[],"physicalAddresses":[]}
{"herId":99999002,"type":"Service","parentHerId":99999990,"name":"Foreldreløs","active":true,"electronicAddresses":[],"physicalAddresses":[]}
{"herId":99999003,"type":"Service","parentHerId":99999002,"name":"Under en tjeneste","active":true,"electronicAddresses":[],"physicalAddresses":[]}
`
	writeGz(t, p, append(readGz(t, p), extra...))
	data := t.TempDir()
	rep, err := load(t, src, data, 0.01)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range rep.Registers {
		if s.Register == loader.RegParties && (s.Rejects != 1 || s.Warnings["absent-reference"] != 2) {
			t.Errorf("communication parties: %d rejects, warnings %v; want 1 reject and 2 absent-reference warnings", s.Rejects, s.Warnings)
		}
	}
	for her, want := range map[uint64]string{99999001: `"organizationNumber":"912660680"`, 99999002: `"parent":{"herId":99999990}`} {
		_, full, _, found := lookup(t, data, registry.SerialKey(registry.RegParty, her))
		if !found || !bytes.Contains(full, []byte(want)) {
			t.Errorf("herId %d: found %v, served %s; want it as given with %s", her, found, full, want)
		}
	}
	if _, _, _, found := lookup(t, data, registry.SerialKey(registry.RegParty, 99999003)); found {
		t.Error("a service under a service was loaded")
	}
	rejects, _ := os.ReadFile(rep.RejectFile)
	if !bytes.Contains(rejects, []byte(`"identifier":"99999003","rule":"dangling-reference"`)) {
		t.Errorf("reject report:\n%s", rejects)
	}
}

// TestReshFLRAbsentReferences: a RESH unit under a parent the file lacks or
// with an organisation number Enhetsregisteret lacks, and a GP contract whose
// office is not in Enhetsregisteret, are loaded as given with warnings; a
// parent later in the file is no warning; a unit that is its own parent is a
// reject (issue 11, item 9).
func TestReshFLRAbsentReferences(t *testing.T) {
	src := loadertest.Dataset(t)
	rp := filepath.Join(src, "resh.jsonl.gz")
	extra := `{"reshId":99999001,"name":"Foreldreløs","parentReshId":99999990,"organizationNumber":"912660680","level":{"oid":8628,"code":"3","text":"Institusjon"},"valid":{"from":"2008-10-20","to":null},"active":true}
{"reshId":99999002,"name":"Før forelderen","parentReshId":99999003,"level":{"oid":8628,"code":"4","text":"Avdeling"},"valid":{"from":"2008-10-20","to":null},"active":true}
{"reshId":99999003,"name":"Forelderen","level":{"oid":8628,"code":"3","text":"Institusjon"},"valid":{"from":"2008-10-20","to":null},"active":true}
{"reshId":99999004,"name":"Sin egen","parentReshId":99999004,"level":{"oid":8628,"code":"4","text":"Avdeling"},"valid":{"from":"2008-10-20","to":null},"active":true}
`
	writeGz(t, rp, append(readGz(t, rp), extra...))
	fp := filepath.Join(src, "flr_contracts.jsonl.gz")
	contracts := readGz(t, fp)
	first := bytes.IndexByte(contracts, '\n')
	var office string
	if i := bytes.Index(contracts[:first], []byte(`"gpOfficeOrganizationNumber":"`)); i >= 0 {
		office = string(contracts[i+30 : i+39])
	} else {
		t.Fatalf("first contract has no office: %s", contracts[:first])
	}
	line := bytes.Replace(contracts[:first], []byte(office), []byte("912660680"), 1)
	writeGz(t, fp, append(line, contracts[first:]...))

	data := t.TempDir()
	rep, err := load(t, src, data, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	rejects, _ := os.ReadFile(rep.RejectFile)
	for _, s := range rep.Registers {
		switch s.Register {
		case loader.RegResh:
			if s.Rejects != 1 || s.Warnings["absent-reference"] != 2 {
				t.Errorf("resh: %d rejects, warnings %v; want 1 reject and 2 absent-reference warnings; rejects:\n%s", s.Rejects, s.Warnings, rejects)
			}
		case loader.RegGPContracts:
			if s.Rejects != 0 || s.Warnings["absent-reference"] != 1 {
				t.Errorf("gp contracts: %d rejects, warnings %v; want none and 1 absent-reference warning", s.Rejects, s.Warnings)
			}
		}
	}
	for _, id := range []uint64{99999001, 99999002, 99999003} {
		if _, _, _, found := lookup(t, data, registry.SerialKey(registry.RegResh, id)); !found {
			t.Errorf("reshId %d was not loaded", id)
		}
	}
	if _, _, _, found := lookup(t, data, registry.SerialKey(registry.RegResh, 99999004)); found {
		t.Error("a unit that is its own parent was loaded")
	}
}
