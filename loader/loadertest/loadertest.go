// Package loadertest builds small generated snapshots for tests of the
// packages above the loader (server, cmd).
package loadertest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/grunndata/grunndata/loader"
	"github.com/grunndata/grunndata/loader/synth"
)

// Now is the clock loads in tests use, so "current" periods are stable.
var Now = func() time.Time { return time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC) }

// Dataset generates the small preset (seed 1) into a temporary directory.
func Dataset(tb testing.TB) string {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "source")
	cfg := synth.DefaultConfig()
	cfg.Out = dir
	if _, err := synth.Generate(context.Background(), cfg); err != nil {
		tb.Fatalf("generate: %v", err)
	}
	return dir
}

// Load loads source into dataDir and activates it.
func Load(tb testing.TB, source, dataDir string) loader.Report {
	tb.Helper()
	cfg := loader.DefaultConfig(source, dataDir)
	cfg.SortBytes = 8 << 20
	cfg.Now = Now
	rep, err := loader.Run(context.Background(), cfg)
	if err != nil {
		tb.Fatalf("load: %v", err)
	}
	return rep
}

// Snapshot generates and loads the small preset; it returns the data
// directory (with an active generation) and the source directory.
func Snapshot(tb testing.TB) (dataDir, source string) {
	tb.Helper()
	source = Dataset(tb)
	dataDir = filepath.Join(tb.TempDir(), "data")
	Load(tb, source, dataDir)
	return dataDir, source
}
