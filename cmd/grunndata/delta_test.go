package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grunndata/grunndata/internal/testwait"
	"github.com/grunndata/grunndata/loader/brreg"
)

// TestLoadDeltaServes generates a dataset with a delta, loads it, starts
// the daemon, applies the delta with `grunndata load --delta` and checks the
// running server: a Fjernet organisation answers 410 with a problem body, an
// Endring serves the new body; applying the delta again is refused.
func TestLoadDeltaServes(t *testing.T) {
	src, data := filepath.Join(t.TempDir(), "src"), filepath.Join(t.TempDir(), "data")
	var stdout, stderr bytes.Buffer
	ctx := context.Background()
	if code := runGen(ctx, []string{"--preset", "small", "--out", src, "--deltas", "1"}, &stdout, &stderr); code != 0 {
		t.Fatalf("gen: exit %d: %s", code, stderr.String())
	}
	if code := runLoad(ctx, []string{"--from", src, "--data", data, "--quiet"}, &stdout, &stderr); code != 0 {
		t.Fatalf("load: exit %d: %s", code, stderr.String())
	}
	m := MustRunMain(t, data, nil)
	delta := filepath.Join(src, "deltas", "0001")
	b, err := os.ReadFile(filepath.Join(delta, "oppdateringer", "enheter", "page-000000.json"))
	if err != nil {
		t.Fatal(err)
	}
	page, err := brreg.ReadPage(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var gone, changed string
	for _, u := range page.Updates {
		switch {
		case u.Type == brreg.Fjernet && gone == "":
			gone = u.Orgnr
		case u.Type == brreg.Endring && changed == "":
			changed = u.Orgnr
		}
	}
	url := "http://" + m.APIAddr() + "/v1/organisations/"
	if r := do(t, "GET", url+gone, "", ""); r.status != 200 {
		t.Fatalf("before the delta: %s answers %d", gone, r.status)
	}

	stdout.Reset()
	if code := runLoad(ctx, []string{"--delta", delta, "--data", data, "--quiet"}, &stdout, &stderr); code != 0 {
		t.Fatalf("load --delta: exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "brreg/enheter") || !strings.Contains(stdout.String(), "freg/hendelser") {
		t.Errorf("delta report:\n%s", stdout.String())
	}
	var r response
	testwait.For(t, testwait.Bound, func() bool { r = do(t, "GET", url+gone, "", ""); return r.status == 410 },
		func() string { return fmt.Sprintf("%s still answers %d after the delta", gone, r.status) })
	if !strings.Contains(r.ctype, "application/problem+json") || !bytes.Contains(r.body, []byte("410")) {
		t.Errorf("410 answer: %s %s", r.ctype, r.body)
	}
	if r := do(t, "GET", url+changed, "", ""); r.status != 200 {
		t.Errorf("Endring %s answers %d", changed, r.status)
	}

	stderr.Reset()
	if code := runLoad(ctx, []string{"--delta", delta, "--data", data, "--quiet"}, &stdout, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), "feed replay") {
		t.Errorf("second apply: exit %d: %s", code, stderr.String())
	}
	for _, args := range [][]string{
		{"--from", src, "--delta", delta, "--data", data}, // both
		{"--data", data}, // neither
	} {
		if code := runLoad(ctx, args, &stdout, &stderr); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	if code := runGen(ctx, []string{"--out", t.TempDir(), "--deltas-only"}, &stdout, &stderr); code != 1 {
		t.Errorf("--deltas-only without --deltas: exit %d, want 1", code)
	}
}
