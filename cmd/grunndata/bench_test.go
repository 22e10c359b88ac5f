package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grunndata/grunndata/bench"
	"github.com/grunndata/grunndata/loader/loadertest"
)

// serverRoute is the server's route label of each bench route.
var serverRoute = map[string]string{
	"her": "communication-party", "org": "organisation", "person": "person-lookup",
	"hpr": "personnel", "gp": "gp-lookup", "resh": "resh",
}

var requestsTotal = regexp.MustCompile(`^grunndata_http_requests_total\{code="([^"]+)",route="([^"]+)"\} (\S+)$`)

// scrapeRequests returns grunndata_http_requests_total by route and code,
// leaving out zeros.
func scrapeRequests(t *testing.T, admin string) map[string]map[string]int64 {
	t.Helper()
	resp, err := http.Get("http://" + admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]map[string]int64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		m := requestsTotal.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			t.Fatalf("metric %q: %v", sc.Text(), err)
		}
		if v == 0 {
			continue
		}
		if out[m[2]] == nil {
			out[m[2]] = map[string]int64{}
		}
		out[m[2]][m[1]] = int64(v)
	}
	return out
}

// checkCounts compares a report's answers per route and status with what
// the server counted since before (requests sent = requests served).
func checkCounts(t *testing.T, rep *bench.Report, before, after map[string]map[string]int64) {
	t.Helper()
	got := map[string]map[string]int64{}
	for route, codes := range after {
		for code, n := range codes {
			if d := n - before[route][code]; d != 0 {
				if got[route] == nil {
					got[route] = map[string]int64{}
				}
				got[route][code] = d
			}
		}
	}
	want := map[string]map[string]int64{}
	for _, rr := range rep.Routes {
		if len(rr.Status) > 0 {
			want[serverRoute[rr.Route]] = rr.Status
		}
	}
	if rep.TransportErrors != 0 || rep.Sent != rep.Completed {
		t.Errorf("sent %d, answered %d, transport errors %d", rep.Sent, rep.Completed, rep.TransportErrors)
	}
	for route, codes := range want {
		for code, n := range codes {
			if got[route][code] != n {
				t.Errorf("%s %s: bench counted %d, server %d", route, code, n, got[route][code])
			}
		}
	}
	for route, codes := range got {
		for code, n := range codes {
			if want[route][code] != n {
				t.Errorf("%s %s: server counted %d, bench %d", route, code, n, want[route][code])
			}
		}
	}
}

// TestBenchAgainstServer runs the harness against the whole daemon over the
// small preset, for a second in each mode, and checks its counts against
// the server's own metrics.
func TestBenchAgainstServer(t *testing.T) {
	dataDir, source := loadertest.Snapshot(t)
	m := MustRunMain(t, dataDir, nil)
	target := "http://" + m.APIAddr()
	before := scrapeRequests(t, m.AdminAddr())

	// Closed loop through the command, ids from the dataset directory.
	closed := filepath.Join(t.TempDir(), "closed.json")
	var stdout, stderr bytes.Buffer
	code := runBench(context.Background(), []string{"--target", target, "--ids-from", source, "--duration", "1s",
		"--connections", "8", "--miss-rate", "0.1", "--invalid-rate", "0.05", "--json", closed}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, want := range []string{"closed loop: 8 connections", "latency from when each request was sent", "p99.9", "status codes:", "generator:"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, stdout.String())
		}
	}
	if !strings.Contains(stderr.String(), "req/s") {
		t.Errorf("no per-second lines: %q", stderr.String())
	}
	rc, err := bench.ReadReport(closed)
	if err != nil {
		t.Fatal(err)
	}
	if rc.Mode != "closed" || rc.Completed < 100 || len(rc.Routes) != 6 {
		t.Fatalf("closed loop report: %s, %d answers, %d routes", rc.Mode, rc.Completed, len(rc.Routes))
	}
	// Every hit of the generated dataset exists, every miss is absent and
	// every invalid id is refused.
	if rc.Unexpected != 0 {
		t.Errorf("unexpected answers: %+v", rc.Total.Kinds)
	}
	after := scrapeRequests(t, m.AdminAddr())
	checkCounts(t, &rc, before, after)

	// Open loop through the library, ids from the data directory: its
	// source/ (where `make run` generates) holds the dataset.
	if err := os.Symlink(source, filepath.Join(dataDir, "source")); err != nil {
		t.Fatal(err)
	}
	ids, err := bench.LoadIDs(dataDir, 1000, mustMix(t, bench.DefaultMix))
	if err != nil {
		t.Fatal(err)
	}
	cfg := bench.DefaultConfig()
	cfg.Target, cfg.IDs = target, ids
	cfg.Duration, cfg.Rate, cfg.Connections = time.Second, 2000, 8
	ro, err := bench.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if ro.Mode != "open" || ro.RequestedRate != 2000 || ro.Scheduled != 2000 {
		t.Errorf("open loop: %s at %.0f/s, %d scheduled", ro.Mode, ro.RequestedRate, ro.Scheduled)
	}
	// No throughput floor: speed is measured by make bench, never asserted
	// in a unit test (a loaded machine answers fewer than 2000/s).
	if ro.Unsent != 0 || ro.Unexpected != 0 || ro.Throughput <= 0 {
		t.Errorf("open loop: %d unsent, %d unexpected, %.0f/s", ro.Unsent, ro.Unexpected, ro.Throughput)
	}
	checkCounts(t, &ro, after, scrapeRequests(t, m.AdminAddr()))

	// The two side by side.
	open := filepath.Join(t.TempDir(), "open.json")
	if err := ro.WriteJSON(open); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	if code := runBench(context.Background(), []string{"--compare", closed, open}, &stdout, io.Discard); code != 0 {
		t.Fatalf("compare: exit %d", code)
	}
	for _, want := range []string{"B/A", "closed loop, 8 connections", "open loop 2000 req/s", "p99.9"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("compare lacks %q:\n%s", want, stdout.String())
		}
	}
}

func mustMix(t *testing.T, s string) bench.Mix {
	t.Helper()
	m, err := bench.ParseMix(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestBenchFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"-h"}, 0, "--compare A.json B.json"},
		{[]string{"--bogus"}, 2, ""},
		{[]string{"--mix", "her=1,foo=2"}, 2, "unknown route"},
		{[]string{"--compare", "a.json"}, 2, "usage"},
		{[]string{"--compare", "/nonexistent/a.json", "/nonexistent/b.json"}, 1, "no such file"},
		{[]string{"--ids-from", t.TempDir(), "--target", "http://127.0.0.1:1"}, 1, "neither a dataset"},
		{[]string{"--token-file", "/nonexistent/token"}, 1, "no such file"},
	} {
		var stderr bytes.Buffer
		if code := runBench(context.Background(), tc.args, io.Discard, &stderr); code != tc.code || !strings.Contains(stderr.String(), tc.msg) {
			t.Errorf("%v: exit %d (want %d), stderr %q (want %q)", tc.args, code, tc.code, stderr.String(), tc.msg)
		}
	}
}
