package loader

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/registry"
)

// TestBuildGeneration walks the one lifecycle Run and RunDelta share:
// success activates by compare-and-set; an error in the middle removes the
// half-built generation and leaves ACTIVE alone; an activation made while
// building refuses ours (index.ErrActiveChanged) and leaves it built.
func TestBuildGeneration(t *testing.T) {
	data := t.TempDir()
	cfg := DefaultConfig(t.TempDir(), data)
	cfg.SortBytes = 1 << 20
	if err := cfg.defaults(); err != nil {
		t.Fatal(err)
	}
	key := registry.SerialKey(registry.RegResh, 100000)
	// build runs one generation with a fill that adds a record, rejects
	// one and then calls during (which may change ACTIVE or fail).
	build := func(parent string, during func(r *run) error) (Report, error) {
		var rep Report
		err := buildGeneration(context.Background(), cfg, &rep, genPlan{
			parent: parent,
			fill: func(r *run, rep *Report) (*index.Manifest, string, error) {
				if err := r.b.Add(key.Bytes(), registry.AppendValue(nil, 0, []byte(`{"reshId":100000}`), nil)); err != nil {
					return nil, "", err
				}
				r.stats[RegResh].Records++
				r.reject(RegResh, "resh.jsonl.gz", "line 2", "7", ruleShape, "test")
				expect, err := index.ReadActive(data)
				if err != nil {
					return nil, "", err
				}
				if err := during(r); err != nil {
					return nil, "", err
				}
				return &index.Manifest{Parent: parent, Registers: map[string]index.RegisterStats{RegResh: {Records: 1}}}, expect, nil
			},
			notActivated: func(expect, id string, err error) error { return err },
		})
		return rep, err
	}
	nothing := func(*run) error { return nil }

	rep, err := build("", nothing)
	if err != nil || !rep.Activated || rep.Generation == "" || rep.SizeBytes == 0 {
		t.Fatalf("first build: %+v, %v", rep, err)
	}
	first := rep.Generation
	if active, _ := index.ReadActive(data); active != first {
		t.Fatalf("ACTIVE %q, want %q", active, first)
	}
	if b, err := os.ReadFile(rep.RejectFile); err != nil || !strings.Contains(string(b), `"position":"line 2"`) {
		t.Errorf("reject report %s: %v", b, err)
	}

	// An error while filling: nothing activated, nothing left.
	boom := errors.New("boom")
	rep, err = build(first, func(*run) error { return boom })
	if !errors.Is(err, boom) || rep.Activated {
		t.Fatalf("failed build: %+v, %v", rep, err)
	}
	left, err := filepath.Glob(filepath.Join(index.SnapshotsDir(data), rep.Generation+"*"))
	if err != nil || len(left) > 0 {
		t.Errorf("the failed generation %s is left behind: %v %v", rep.Generation, left, err)
	}
	if active, _ := index.ReadActive(data); active != first {
		t.Errorf("a failed build changed ACTIVE to %q", active)
	}

	// A second generation, then a build during which ACTIVE moves back to
	// the first (a rollback): ours is built, not activated.
	rep, err = build(first, nothing)
	if err != nil || !rep.Activated {
		t.Fatalf("second build: %+v, %v", rep, err)
	}
	second := rep.Generation
	rep, err = build(second, func(*run) error { return index.WriteActiveIf(data, second, first) })
	if !errors.Is(err, index.ErrActiveChanged) || rep.Activated {
		t.Fatalf("build raced by a rollback: %+v, %v; want ErrActiveChanged", rep, err)
	}
	if active, _ := index.ReadActive(data); active != first {
		t.Errorf("ACTIVE %q after the refused activation, want the rollback's %q", active, first)
	}
	if m, err := index.ReadManifest(filepath.Join(index.SnapshotsDir(data), rep.Generation)); err != nil || m.Parent != second {
		t.Errorf("the refused generation is not built: %+v, %v", m, err)
	}
}

// TestConfigChecks: the settings Run and RunDelta both check.
func TestConfigChecks(t *testing.T) {
	cfg := Config{MaxRejectRatio: -1}
	if err := cfg.defaults(); err == nil || !strings.Contains(err.Error(), "max reject ratio") {
		t.Errorf("negative ratio: %v", err)
	}
	cfg = Config{From: filepath.Join(t.TempDir(), "absent")}
	if err := cfg.defaults(); err != nil || cfg.Logger == nil || cfg.Now == nil || cfg.Workers != 1 {
		t.Errorf("defaults: %+v, %v", cfg, err)
	}
	if err := cfg.checkDir("delta"); err == nil || !strings.HasPrefix(err.Error(), "delta directory: ") {
		t.Errorf("absent directory: %v", err)
	}
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, nil, 0o644)
	cfg.From = f
	if err := cfg.checkDir("source"); err == nil || !strings.HasSuffix(err.Error(), "not a directory") {
		t.Errorf("a file: %v", err)
	}
}
