// Package deploy holds what operators install beside the binary: Prometheus
// rules (prometheus/alerts.yml, with unit tests in alerts_test.yml) and a
// Grafana dashboard (grafana/grunndata.json). Its tests run promtool on
// them; cmd/grunndata's tests check that every metric they name is one the
// server exports.
package deploy

import (
	"fmt"
	"os/exec"
	"regexp"
	"strings"
)

// Promtool returns the path of promtool, or an error that says how to get it
// (Debian's prometheus package; .ci/deps installs it).
func Promtool() (string, error) {
	p, err := exec.LookPath("promtool")
	if err != nil {
		return "", fmt.Errorf("promtool is not installed (%v): the rule tests need it; install Debian's prometheus package, e.g. with .ci/deps (apt-get install prometheus)", err)
	}
	return p, nil
}

// metricName matches the grunndata metric names in an expression (not the
// recording rules' grunndata:… names).
var metricName = regexp.MustCompile(`\bgrunndata_[a-z0-9_]+`)

// MetricNames returns the distinct grunndata_ metric names in text, leaving
// out YAML comment lines and prefixes (names ending in "_").
func MetricNames(text string) []string {
	seen := map[string]bool{}
	var out []string
	var b strings.Builder
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	for _, n := range metricName.FindAllString(b.String(), -1) {
		if !seen[n] && !strings.HasSuffix(n, "_") {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}
