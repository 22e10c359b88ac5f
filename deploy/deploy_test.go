package deploy

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func promtool(t *testing.T) string {
	t.Helper()
	p, err := Promtool()
	if err != nil {
		t.Fatal(err) // fail, never skip: make test must run the rule tests
	}
	return p
}

func runPromtool(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command(promtool(t), args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestAlertRulesCheck: promtool check rules on alerts.yml.
func TestAlertRulesCheck(t *testing.T) {
	runPromtool(t, "prometheus", "check", "rules", "alerts.yml")
}

// TestAlertRulesUnitTests: promtool test rules on alerts_test.yml.
func TestAlertRulesUnitTests(t *testing.T) {
	out := runPromtool(t, "prometheus", "test", "rules", "alerts_test.yml")
	if !strings.Contains(out, "SUCCESS") {
		t.Fatalf("promtool test rules: %s", out)
	}
}

var (
	alertDef  = regexp.MustCompile(`(?m)^\s*- alert:\s*(\S+)\s*$`)
	alertTest = regexp.MustCompile(`(?m)^\s*alertname:\s*(\S+)\s*\n\s*exp_alerts:\s*(\[\])?`)
)

// TestEveryAlertHasUnitTests: each alert in alerts.yml is tested both firing
// and not firing in alerts_test.yml.
func TestEveryAlertHasUnitTests(t *testing.T) {
	rules := read(t, "prometheus/alerts.yml")
	tests := read(t, "prometheus/alerts_test.yml")
	alerts := alertDef.FindAllStringSubmatch(rules, -1)
	if len(alerts) < 10 {
		t.Fatalf("found only %d alerts in alerts.yml", len(alerts))
	}
	fires, silent := map[string]bool{}, map[string]bool{}
	for _, m := range alertTest.FindAllStringSubmatch(tests, -1) {
		if m[2] == "[]" {
			silent[m[1]] = true
		} else {
			fires[m[1]] = true
		}
	}
	defined := map[string]bool{}
	for _, a := range alerts {
		name := a[1]
		defined[name] = true
		if !fires[name] {
			t.Errorf("alert %s has no test case in which it fires", name)
		}
		if !silent[name] {
			t.Errorf("alert %s has no test case in which it stays silent", name)
		}
	}
	for name := range fires {
		if !defined[name] {
			t.Errorf("alerts_test.yml tests %s, which alerts.yml does not define", name)
		}
	}
}

type dashboard struct {
	Title      string  `json:"title"`
	UID        string  `json:"uid"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name string `json:"name"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID      int    `json:"id"`
	Type    string `json:"type"`
	Title   string `json:"title"`
	GridPos struct {
		H, W, X, Y int
	} `json:"gridPos"`
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
}

// Dashboard reads grafana/grunndata.json.
func readDashboard(t *testing.T) dashboard {
	t.Helper()
	var d dashboard
	if err := json.Unmarshal([]byte(read(t, "grafana/grunndata.json")), &d); err != nil {
		t.Fatalf("grafana/grunndata.json: %v", err)
	}
	return d
}

// TestDashboard: the dashboard is valid JSON, its panels fit the 24-column
// grid with unique ids and titles, every panel has queries, every query is
// valid PromQL (checked by promtool as recording rules, with Grafana's
// variables substituted), and it has the panels the issue asks for.
func TestDashboard(t *testing.T) {
	d := readDashboard(t)
	if d.UID == "" || d.Title == "" {
		t.Fatal("dashboard lacks a uid or title")
	}
	vars := map[string]bool{}
	for _, v := range d.Templating.List {
		vars[v.Name] = true
	}
	if !vars["datasource"] || !vars["instance"] {
		t.Fatalf("dashboard variables %v: want datasource and instance", vars)
	}
	ids, titles := map[int]bool{}, map[string]bool{}
	var rules strings.Builder
	rules.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	subst := strings.NewReplacer("$__rate_interval", "5m", "$__range", "1h", "$instance", ".*")
	n := 0
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d is used twice", p.ID)
		}
		ids[p.ID] = true
		if titles[p.Title] {
			t.Errorf("panel title %q is used twice", p.Title)
		}
		titles[p.Title] = true
		if p.GridPos.W <= 0 || p.GridPos.X+p.GridPos.W > 24 || p.GridPos.H <= 0 {
			t.Errorf("panel %q: gridPos %+v does not fit the 24-column grid", p.Title, p.GridPos)
		}
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, q := range p.Targets {
			if strings.TrimSpace(q.Expr) == "" {
				t.Errorf("panel %q has an empty query", p.Title)
				continue
			}
			n++
			b, _ := json.Marshal(subst.Replace(q.Expr)) // a JSON string is a YAML string
			fmt.Fprintf(&rules, "      - record: dashboard:query_%d\n        expr: %s\n", n, b)
		}
	}
	for _, want := range []string{"Request rate per route", "Errors per route and status", "p99 latency per route",
		"Generation age", "Latest activation phases", "Record cache hit ratio", "Pebble block cache hit ratio",
		"Audit fsync latency", "Generation lag per replica"} {
		if !titles[want] {
			t.Errorf("dashboard lacks the panel %q", want)
		}
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "queries.yml"), []byte(rules.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	runPromtool(t, dir, "check", "rules", "queries.yml")
}

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestAlertRunbookLinks: every alert's runbook annotation points to a
// section of docs/runbook.md that exists, and the runbook names the alert.
func TestAlertRunbookLinks(t *testing.T) {
	runbook := read(t, "../docs/runbook.md")
	anchors := map[string]bool{}
	heading := regexp.MustCompile(`(?m)^#+ (.+)$`)
	for _, m := range heading.FindAllStringSubmatch(runbook, -1) {
		slug := strings.ToLower(strings.TrimSpace(m[1]))
		slug = regexp.MustCompile(`[^a-z0-9 -]`).ReplaceAllString(slug, "")
		anchors[strings.ReplaceAll(slug, " ", "-")] = true
	}
	rules := read(t, "prometheus/alerts.yml")
	links := regexp.MustCompile(`runbook: docs/runbook\.md#([a-z0-9-]+)`).FindAllStringSubmatch(rules, -1)
	if len(links) < 10 {
		t.Fatalf("only %d runbook links in alerts.yml", len(links))
	}
	for _, l := range links {
		if !anchors[l[1]] {
			t.Errorf("alerts.yml links docs/runbook.md#%s, which has no such section", l[1])
		}
	}
	for _, a := range alertDef.FindAllStringSubmatch(rules, -1) {
		name := strings.TrimSuffix(a[1], "Lists")
		if !strings.Contains(runbook, name) {
			t.Errorf("docs/runbook.md does not mention the alert %s", a[1])
		}
	}
}
