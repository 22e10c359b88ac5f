package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/loader/loadertest"
)

// TestLoadReportWarnings: the real 2026 Enhetsregisteret record of 974760673,
// whose parent is not in the file, loads (exit 0); the report counts the
// absent parent as a warning, by register and rule, not as a reject.
func TestLoadReportWarnings(t *testing.T) {
	real, err := os.ReadFile("../../../shared/testdata/external/enhetsregisteret/enhet_974760673_live_2026-08.json")
	if err != nil {
		t.Fatalf("real sample (check out ../shared beside the clone): %v", err)
	}
	src, data := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "enheter_alle.json"), append(append([]byte("["), real...), ']'), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := runLoad(context.Background(), []string{"--from", src, "--data", data, "--quiet"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s%s", code, stdout.String(), stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"warnings", "enheter absent-reference×1", "000001-warnings.jsonl", "is active"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "rejects:") {
		t.Errorf("report lists rejects:\n%s", out)
	}
}

// TestLoadRefusesMissingRegister: `load` of a dataset without resh.jsonl.gz
// over a generation with RESH exits 1, names the register, its count and the
// flag, and keeps the generation; with --allow-missing resh it loads.
func TestLoadRefusesMissingRegister(t *testing.T) {
	data, src := loadertest.Snapshot(t)
	active, _ := index.ReadActive(data)
	if err := os.Remove(filepath.Join(src, "resh.jsonl.gz")); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	args := []string{"--from", src, "--data", data, "--quiet"}
	if code := runLoad(context.Background(), args, &stdout, &stderr); code != 1 {
		t.Fatalf("exit %d, want 1: %s%s", code, stdout.String(), stderr.String())
	}
	for _, want := range []string{"resh", "has 84 records", "--allow-missing resh", "the previous generation keeps serving"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	if now, _ := index.ReadActive(data); now != active {
		t.Fatalf("active %s after a refused load, want %s", now, active)
	}
	stderr.Reset()
	if code := runLoad(context.Background(), append(args, "--allow-missing", "bogus"), &stdout, &stderr); code != 2 {
		t.Errorf("--allow-missing bogus: exit %d, want 2 (%s)", code, stderr.String())
	}
	stderr.Reset()
	if code := runLoad(context.Background(), append(args, "--allow-missing", "resh"), &stdout, &stderr); code != 0 {
		t.Fatalf("--allow-missing resh: exit %d: %s", code, stderr.String())
	}
}
