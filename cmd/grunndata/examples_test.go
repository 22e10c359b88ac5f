package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/grunndata/grunndata/loader/loadertest"
)

// TestExamplesWorkAsPrinted runs every curl command `grunndata examples`
// prints (what `make run` shows) against the daemon and expects 200 and
// JSON; the certificate lookups answer certificates, the inherited one
// marked inherited.
func TestExamplesWorkAsPrinted(t *testing.T) {
	data, _ := loadertest.Snapshot(t)
	// As in make run: the examples first (they open the data directory),
	// then the server; the address is filled in once it listens.
	var out bytes.Buffer
	if code := runExamples(context.Background(), []string{"--data", data, "--addr", "ADDR"}, &out, io.Discard); code != 0 {
		t.Fatalf("examples: exit %d", code)
	}
	m := MustRunMain(t, data, nil)
	lines := strings.Split(strings.TrimSpace(strings.ReplaceAll(out.String(), "ADDR", m.APIAddr())), "\n")
	certs := 0
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) < 3 || f[0] != "curl" {
			t.Fatalf("not a curl command: %q", l)
		}
		url := strings.Trim(f[len(f)-1], "'")
		method, ctype, body := "GET", "", ""
		if i := strings.Index(l, "-d '"); i >= 0 {
			method, ctype = "POST", "application/json"
			body = l[i+4 : i+4+strings.Index(l[i+4:], "'")]
		}
		r := do(t, method, url, ctype, body)
		if r.status != 200 || !json.Valid(r.body) {
			t.Errorf("%s: %d %s", l, r.status, r.body)
			continue
		}
		if strings.Contains(url, "/certificates") {
			certs++
			var c struct {
				Certificates []struct {
					Inherited   bool   `json:"inherited"`
					Status      string `json:"status"`
					Certificate string `json:"certificate"`
				} `json:"certificates"`
			}
			if err := json.Unmarshal(r.body, &c); err != nil || len(c.Certificates) == 0 || c.Certificates[0].Status == "" || c.Certificates[0].Certificate == "" {
				t.Errorf("%s: no certificate: %s", l, r.body)
			}
			if strings.Contains(url, "communication-parties") && (len(c.Certificates) != 1 || !c.Certificates[0].Inherited) {
				t.Errorf("%s: want one inherited encryption certificate: %s", l, r.body)
			}
		}
	}
	if certs != 2 {
		t.Errorf("%d certificate examples, want 2:\n%s", certs, out.String())
	}
}
