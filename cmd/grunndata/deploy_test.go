package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grunndata/grunndata/deploy"
	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/loader/loadertest"
)

// notServedSingleNode are metrics deploy/ uses that a single-node server
// does not export: the fleet's (index/fleet, replicas in fleet mode only)
// and the AR certificate checks' (registry.CertReport).
var notServedSingleNode = map[string]bool{
	"grunndata_fleet_connected":                   true,
	"grunndata_fleet_generation_lag":              true,
	"grunndata_fleet_last_sync_timestamp_seconds": true,
	"grunndata_certificates_expiring_soon":        true,
	"grunndata_certificates_revoked":              true,
}

// TestMetricsForDeploy runs the daemon over a small dataset loaded by the
// CLI (which records DATADIR/LOADS), makes audited and failing requests and
// a failed load, scrapes /metrics, and checks that promtool check metrics
// is clean on the scrape and that every grunndata_ metric the alerts and the
// dashboard in deploy/ name is exported.
func TestMetricsForDeploy(t *testing.T) {
	promtool, err := deploy.Promtool()
	if err != nil {
		t.Fatal(err)
	}
	src := loadertest.Dataset(t)
	data := filepath.Join(t.TempDir(), "data")
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"load", "--from", src, "--data", data, "--quiet"}, &out, &errb); code != 0 {
		t.Fatalf("load: %d %s", code, errb.String())
	}
	errb.Reset()
	if code := run(context.Background(), []string{"load", "--from", filepath.Join(src, "missing"), "--data", data, "--quiet"}, &out, &errb); code != 1 {
		t.Fatalf("a load from a missing directory: exit %d, want 1", code)
	}
	st, err := index.ReadLoadStatus(data)
	if err != nil || st.LastSuccess == nil || st.LastFailure == nil || st.LastFailure.Error == "" ||
		st.LastSuccess.Records["persons"] == 0 || st.Latest() != st.LastFailure {
		t.Fatalf("LOADS after a good and a failed load: %+v %v", st, err)
	}
	m := MustRunMain(t, data, nil)
	id := findIDs(t, m)
	api := "http://" + m.APIAddr()
	do(t, "POST", api+"/v1/persons/lookup", "application/json", `{"nin":"`+id.gpPatient+`"}`)
	do(t, "GET", api+"/v1/organisations/"+id.orgnr, "", "")
	do(t, "GET", api+"/v1/organisations/12", "", "")
	r := do(t, "GET", "http://"+m.AdminAddr()+"/metrics", "", "")
	if r.status != 200 {
		t.Fatalf("/metrics: %d", r.status)
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(r.body)
	if lint, err := cmd.CombinedOutput(); err != nil || len(bytes.TrimSpace(lint)) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, lint)
	}
	exported := map[string]bool{}
	for _, line := range strings.Split(string(r.body), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		name, _, _ := strings.Cut(line, "{")
		name, _, _ = strings.Cut(name, " ")
		exported[name] = true
	}
	for _, want := range []string{"grunndata_audit_records_total", "grunndata_load_last_failure_timestamp_seconds",
		"grunndata_load_last_success_timestamp_seconds", `grunndata_load_last_records`} {
		if !exported[want] {
			t.Errorf("the scrape lacks %s", want)
		}
	}
	for _, f := range []string{"../../deploy/prometheus/alerts.yml", "../../deploy/grafana/grunndata.json"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		names := deploy.MetricNames(string(b))
		if len(names) < 5 {
			t.Fatalf("%s names only %d metrics", f, len(names))
		}
		for _, n := range names {
			if !exported[n] && !notServedSingleNode[n] {
				t.Errorf("%s uses %s, which the server does not export", f, n)
			}
		}
	}
}
