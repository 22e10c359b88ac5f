package ops

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// TestStoreCollectorSumsReactivatedGenerations: a generation activated more
// than once is one series, its reads and requests summed, with its latest
// activation; without a generation only the readiness and counters show.
func TestStoreCollectorSumsReactivatedGenerations(t *testing.T) {
	t0 := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name                     string
		st                       StoreStatus
		ready                    float64
		reads1, reqs1, activated float64
	}{
		{"none active", StoreStatus{}, 0, 0, 0, 0},
		{"reactivated", StoreStatus{Generation: "000001", ActivatedAt: t0.Add(2 * time.Hour), Generations: []GenerationStatus{
			{Generation: "000001", Active: true, ActivatedAt: t0.Add(2 * time.Hour), Requests: 5, Reads: 2},
			{Generation: "000002", ActivatedAt: t0.Add(time.Hour), Requests: 7, Reads: 3},
			{Generation: "000001", ActivatedAt: t0, Requests: 10, Reads: 4},
		}}, 1, 6, 15, float64(t0.Add(2 * time.Hour).Unix())},
	} {
		t.Run(c.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			reg.MustRegister(&StoreCollector{Status: func() StoreStatus { return c.st }})
			if got := value(t, reg, "grunndata_ready", ""); got != c.ready {
				t.Errorf("ready %v, want %v", got, c.ready)
			}
			if c.ready == 0 {
				return
			}
			for name, want := range map[string]float64{"grunndata_generation_reads_total": c.reads1,
				"grunndata_generation_requests_total": c.reqs1, "grunndata_generation_activated_timestamp_seconds": c.activated} {
				if got := value(t, reg, name, "000001"); got != want {
					t.Errorf("%s{000001} = %v, want %v", name, got, want)
				}
			}
		})
	}
}

// value returns the value of metric name (with the generation label gen,
// when given) gathered from reg.
func value(t *testing.T, reg *prometheus.Registry, name, gen string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if gen != "" && (len(m.GetLabel()) != 1 || m.GetLabel()[0].GetValue() != gen) {
				continue
			}
			return m.GetGauge().GetValue() + m.GetCounter().GetValue()
		}
	}
	t.Fatalf("no %s{%s}", name, gen)
	return 0
}
