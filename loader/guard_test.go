package loader_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/loader"
	"github.com/grunndata/grunndata/loader/loadertest"
)

// TestRegisterGuard: a load that lacks a register the active generation
// has, or has it empty, or shrinks it by more than the limit, is refused
// with the register and the counts, unless the operator names the register;
// a refused load leaves the active generation serving and nothing built.
func TestRegisterGuard(t *testing.T) {
	src := loadertest.Dataset(t)
	data := t.TempDir()
	rep, err := load(t, src, data, 0.001)
	if err != nil {
		t.Fatal(err)
	}
	gen := rep.Generation
	m, err := index.ReadManifest(filepath.Join(index.SnapshotsDir(data), gen))
	if err != nil {
		t.Fatal(err)
	}
	count := func(reg string) string { return itoa(int(m.Registers[reg].Records)) }
	run := func(t *testing.T, src, data string, edit func(*loader.Config)) (loader.Report, error) {
		t.Helper()
		cfg := loader.DefaultConfig(src, data)
		cfg.SortBytes, cfg.Now = 4<<20, loadertest.Now
		if edit != nil {
			edit(&cfg)
		}
		return loader.Run(t.Context(), cfg)
	}
	halve := func(t *testing.T, p string) {
		lines := strings.Split(strings.TrimSpace(string(readGz(t, p))), "\n")
		writeGz(t, p, []byte(strings.Join(lines[:len(lines)/2], "\n")+"\n"))
	}
	refusals := []struct {
		name   string
		edit   func(t *testing.T, dir string)
		want   []error
		quotes []string // the error names the register and the counts
	}{
		{"missing-resh", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, "resh.jsonl.gz")) },
			[]error{loader.ErrRegisterMissing}, []string{"resh", count(loader.RegResh), "--allow-missing resh"}},
		{"missing-flr", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "flr_contracts.jsonl.gz"))
			os.Remove(filepath.Join(dir, "flr_patients.jsonl.gz"))
		}, []error{loader.ErrRegisterMissing}, []string{"gp-contracts", "gp-patients", count(loader.RegGPPatients)}},
		// Found only after parsing: both in one load. (Registers nothing
		// else refers to, so no reject limit trips first.)
		{"empty-resh-halved-patients", func(t *testing.T, dir string) {
			writeGz(t, filepath.Join(dir, "resh.jsonl.gz"), nil)
			halve(t, filepath.Join(dir, "flr_patients.jsonl.gz"))
		}, []error{loader.ErrRegisterMissing, loader.ErrRegisterShrunk}, []string{
			"resh: 0 records", count(loader.RegResh),
			"gp-patients", itoa(int(m.Registers[loader.RegGPPatients].Records) / 2), count(loader.RegGPPatients),
			"--max-shrink", "--allow-shrink gp-patients"}},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			bad := copyDataset(t, src)
			tc.edit(t, bad)
			_, err := run(t, bad, data, nil)
			for _, want := range tc.want {
				if !errors.Is(err, want) {
					t.Fatalf("err = %v, want %v", err, want)
				}
			}
			for _, q := range tc.quotes {
				if !strings.Contains(err.Error(), q) {
					t.Errorf("error %q does not say %q", err, q)
				}
			}
			assertUntouched(t, data, gen)
		})
	}
	t.Run("allowed", func(t *testing.T) {
		bad := copyDataset(t, src)
		if err := os.RemoveAll(filepath.Join(bad, "certs")); err != nil {
			t.Fatal(err)
		}
		halve(t, filepath.Join(bad, "resh.jsonl.gz"))
		halve(t, filepath.Join(bad, "flr_patients.jsonl.gz"))
		rep, err := run(t, bad, data, func(c *loader.Config) {
			c.AllowMissing, c.AllowShrink, c.MaxShrinkPercent = []string{"certs"}, []string{loader.RegResh}, 60
		})
		if err != nil || !rep.Activated {
			t.Fatalf("named registers and --max-shrink 60: %v (activated %v)", err, rep.Activated)
		}
		m2, _ := index.ReadManifest(filepath.Join(index.SnapshotsDir(data), rep.Generation))
		if _, ok := m2.Registers[loader.RegCertificates]; ok {
			t.Errorf("the generation loaded without certificates lists them: %+v", m2.Registers)
		}
	})
}
