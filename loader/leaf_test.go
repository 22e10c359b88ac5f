package loader_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/loader"
	"github.com/grunndata/grunndata/loader/synth"
	"github.com/grunndata/grunndata/registry"
)

// TestReshServiceOnNonLeaf: the generator puts a service on the first three
// RESH units with children (RHF, HF, institution: lines 1–3), and the test
// adds a leaf unit carrying a service. The load succeeds with every unit
// stored; each non-leaf unit with services is one resh-service-on-non-leaf
// warning naming its reshId and line, counted in the report and the
// manifest; the leaf with a service is no warning (issue 15, item 5).
func TestReshServiceOnNonLeaf(t *testing.T) {
	const violations = 3
	src := filepath.Join(t.TempDir(), "source")
	cfg := synth.DefaultConfig()
	cfg.Out, cfg.ReshNonLeafServices = src, violations
	if _, err := synth.Generate(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	rp := filepath.Join(src, "resh.jsonl.gz")
	file := readGz(t, rp)
	type unit struct {
		ReshID   uint64            `json:"reshId"`
		Parent   *uint64           `json:"parentReshId"`
		Services []json.RawMessage `json:"services"`
	}
	var units []unit
	sc := bufio.NewScanner(bytes.NewReader(file))
	for sc.Scan() {
		var u unit
		if err := json.Unmarshal(sc.Bytes(), &u); err != nil {
			t.Fatal(err)
		}
		units = append(units, u)
	}
	if len(units) < 4 {
		t.Fatalf("%d RESH units", len(units))
	}
	// What the generator was asked for: services on lines 1–3, each the
	// parent of the next, and on no other line.
	for i, u := range units {
		if want := i < violations; (len(u.Services) > 0) != want {
			t.Fatalf("line %d: services %d; want them: %v", i+1, len(u.Services), want)
		}
		if i > 0 && i < violations && (u.Parent == nil || *u.Parent != units[i-1].ReshID) {
			t.Fatalf("line %d: parent %v; want %d", i+1, u.Parent, units[i-1].ReshID)
		}
	}
	leafID := uint64(99999101)
	leafLine := `{"reshId":99999101,"name":"Blad med tjeneste","parentReshId":` + itoaU(units[2].ReshID) +
		`,"level":{"oid":8628,"code":"9","text":"Annet"},"valid":{"from":"2010-01-01","to":null},"active":true,` +
		`"services":[{"code":{"oid":8666,"code":"8","text":"Saksbehandling pasientopplysninger"}}]}` + "\n"
	writeGz(t, rp, append(file, leafLine...))
	units = append(units, unit{ReshID: leafID})

	data := t.TempDir()
	rep, err := load(t, src, data, 0)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	const rule = "resh-service-on-non-leaf"
	m, err := index.ReadManifest(filepath.Join(index.SnapshotsDir(data), rep.Generation))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range rep.Registers {
		if s.Register != loader.RegResh {
			continue
		}
		found = true
		if s.Records != int64(len(units)) || s.Rejects != 0 || s.Warnings[rule] != violations || len(s.Warnings) != 1 {
			t.Errorf("report: %d records, %d rejects, warnings %v; want %d records, none, %d %s", s.Records, s.Rejects, s.Warnings, len(units), violations, rule)
		}
		if ms := m.Registers[loader.RegResh]; ms.Records != int64(len(units)) || ms.Warnings[rule] != violations {
			t.Errorf("manifest: %+v; want %d records, %d %s", ms, len(units), violations, rule)
		}
	}
	if !found {
		t.Fatal("no resh register in the report")
	}
	warnings, err := os.ReadFile(rep.WarningFile)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(string(warnings)), "\n") {
		var w struct{ File, Position, Identifier, Rule, Detail string }
		if err := json.Unmarshal([]byte(l), &w); err != nil {
			t.Fatalf("warning line %q: %v", l, err)
		}
		if w.Rule != rule {
			continue
		}
		if w.File != "resh.jsonl.gz" || !strings.Contains(w.Detail, "1 services") {
			t.Errorf("warning %+v", w)
		}
		got = append(got, w.Position+" "+w.Identifier)
	}
	want := []string{"line 1 " + itoaU(units[0].ReshID), "line 2 " + itoaU(units[1].ReshID), "line 3 " + itoaU(units[2].ReshID)}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("%s warnings %q; want %q", rule, got, want)
	}
	get, done := openView(t, data)
	defer done()
	for _, u := range units {
		if _, full, _, ok := get(registry.SerialKey(registry.RegResh, u.ReshID)); !ok {
			t.Errorf("reshId %d not stored", u.ReshID)
		} else if len(u.Services) > 0 && !bytes.Contains(full, []byte(`"services":[`)) {
			t.Errorf("reshId %d stored without its services: %s", u.ReshID, full)
		}
	}
}

func itoaU(v uint64) string {
	b, _ := json.Marshal(v)
	return string(b)
}
