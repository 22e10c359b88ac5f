package server

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type route uint8

// Routes as metric labels.
const (
	routeNone route = iota
	routeParty
	routeOrganisation
	routeResh
	routePersonnel
	routeGPContract
	routePersonLookup
	routePersonnelLookup
	routeGPLookup
	routePartyChildren
	routePartySearch
	routeSubunits
	routePersonBulk
	routeGPBulk
	routeCodes
	routeAIN
	routeGPContractList
	routePersonSearch
	routePersonnelSearch
	routeEvents
	routeSOAPAR
	routeSOAPHPR
	routeSOAPFLR
	routePartyCerts
	routePartyCertHistory
	routePartyCertFallback
	routeOrgCerts
	routeCertSearch
	routeCPAPI
	numRoutes
)

var routeNames = [numRoutes]string{"none", "communication-party", "organisation", "resh", "personnel", "gp-contract",
	"person-lookup", "personnel-lookup", "gp-lookup", "communication-party-children", "communication-party-search",
	"organisation-subunits", "person-bulk", "gp-bulk", "codes", "ain", "gp-contract-list", "person-search", "personnel-search", "events",
	"soap-ar", "soap-hpr", "soap-flr",
	"communication-party-certificates", "communication-party-certificate-history", "communication-party-certificate-fallback",
	"organisation-certificates", "certificate-search", "cp-api"}

// statuses the API answers with; anything else is counted as "other".
var statusCodes = []int{200, 201, 400, 401, 403, 404, 405, 410, 413, 415, 429, 500, 503}

const numStatus = 14 // len(statusCodes) + other

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
	requests [numRoutes][numStatus]prometheus.Counter
	latency  [numRoutes]prometheus.Observer
}

// NewMetrics builds the API metrics and registers them with r (nil: don't).
func NewMetrics(r prometheus.Registerer) *Metrics {
	reqs := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "grunndata_http_requests_total",
		Help: "API requests by route and status code.",
	}, []string{"route", "code"})
	lat := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "grunndata_http_request_duration_seconds",
		Help:    "Time from routing to response written into the buffer, by route.",
		Buckets: []float64{5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 5e-2, 0.25, 1},
	}, []string{"route"})
	m := &Metrics{}
	for rt := route(0); rt < numRoutes; rt++ {
		for i := 0; i < numStatus; i++ {
			code := "other"
			if i < len(statusCodes) {
				code = itoa(statusCodes[i])
			}
			m.requests[rt][i] = reqs.WithLabelValues(routeNames[rt], code)
		}
		m.latency[rt] = lat.WithLabelValues(routeNames[rt])
	}
	if r != nil {
		r.MustRegister(reqs, lat)
	}
	return m
}

func (m *Metrics) observe(rt route, status int, d time.Duration) {
	m.requests[rt][statusIndex(status)].Inc()
	m.latency[rt].Observe(d.Seconds())
}

// RouteNames lists the API's routes as Handle dispatches them (the names
// metrics and audit records use); the events route serves one feed per
// registry.EventRegisters entry. Tests walk it to prove that every route
// returning person data is audited.
func RouteNames() []string { return append([]string(nil), routeNames[1:]...) }
