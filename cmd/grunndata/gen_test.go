package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunGen(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := runGen(context.Background(), []string{"--preset", "small", "--seed", "3", "--out", dir, "--workers", "2"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "dataset.json")); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "flr_patients.jsonl.gz") || !strings.Contains(stdout.String(), "total") {
		t.Errorf("summary:\n%s", stdout.String())
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr is not a terminal, yet got %q", stderr.String())
	}

	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"--preset", "small"}, 2},                      // no --out
		{[]string{"--preset", "huge", "--out", t.TempDir()}, 1}, // unknown preset
		{[]string{"--bogus"}, 2},
		{[]string{"-h"}, 0},
	} {
		stderr.Reset()
		if code := runGen(context.Background(), tc.args, &stdout, &stderr); code != tc.code {
			t.Errorf("%v: exit %d, want %d (%s)", tc.args, code, tc.code, stderr.String())
		}
	}
}
