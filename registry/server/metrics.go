package server

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// statuses the API answers with; anything else is counted as "other".
var statusCodes = [...]int{200, 201, 400, 401, 403, 404, 405, 410, 413, 415, 429, 500, 503}

const numStatus = len(statusCodes) + 1 // + other

func statusIndex(code int) int {
	for i, c := range statusCodes {
		if c == code {
			return i
		}
	}
	return len(statusCodes)
}

// Metrics are the API's request counters and latency histograms, resolved
// per route and status at construction so that observing allocates nothing.
type Metrics struct {
	requests [][numStatus]prometheus.Counter // by routeID
	latency  []prometheus.Observer
}

// NewMetrics builds the API metrics and registers them with each of rs
// (nil ones skipped): the admin listener's /metrics and, say, the
// operator console's sampler.
func NewMetrics(rs ...prometheus.Registerer) *Metrics {
	reqs := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "grunndata_http_requests_total",
		Help: "API requests by route and status code.",
	}, []string{"route", "code"})
	lat := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "grunndata_http_request_duration_seconds",
		Help:    "Time from routing to response written into the buffer, by route.",
		Buckets: []float64{5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 5e-2, 0.25, 1},
	}, []string{"route"})
	m := &Metrics{requests: make([][numStatus]prometheus.Counter, numRoutes), latency: make([]prometheus.Observer, numRoutes)}
	for rt, r := range routes {
		for i := 0; i < numStatus; i++ {
			code := "other"
			if i < len(statusCodes) {
				code = itoa(statusCodes[i])
			}
			m.requests[rt][i] = reqs.WithLabelValues(r.name, code)
		}
		m.latency[rt] = lat.WithLabelValues(r.name)
	}
	for _, r := range rs {
		if r != nil {
			r.MustRegister(reqs, lat)
		}
	}
	return m
}

func (m *Metrics) observe(rt routeID, status int, d time.Duration) {
	m.requests[rt][statusIndex(status)].Inc()
	m.latency[rt].Observe(d.Seconds())
}
