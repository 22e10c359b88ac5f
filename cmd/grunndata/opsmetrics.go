package main

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/grunndata/grunndata/index"
)

// opsMetrics are the metrics operators alert on that the API server does not
// own: the audit log's write latency and failures, and the outcome of the
// latest loads (recorded in DATADIR/LOADS by `grunndata load`, another
// process). deploy/prometheus/alerts.yml uses them.
type opsMetrics struct {
	auditFlush   prometheus.Histogram
	auditRecords prometheus.Counter
	auditErrors  prometheus.Counter
}

func newOpsMetrics(reg prometheus.Registerer, dataDir string) *opsMetrics {
	m := &opsMetrics{
		auditFlush: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "grunndata_audit_flush_duration_seconds",
			Help:    "Time to write and fsync one batch of audit records (a person lookup waits for its batch).",
			Buckets: []float64{1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 1},
		}),
		auditRecords: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "grunndata_audit_records_total",
			Help: "Audit records made durable.",
		}),
		auditErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "grunndata_audit_write_errors_total",
			Help: "Audit log writes that failed (the log then refuses every audited request with 503).",
		}),
	}
	reg.MustRegister(m.auditFlush, m.auditRecords, m.auditErrors, loadCollector{dataDir})
	return m
}

// observeAudit is audit.Config.Observe.
func (m *opsMetrics) observeAudit(d time.Duration, records int, err error) {
	if err != nil {
		m.auditErrors.Inc()
		return
	}
	m.auditFlush.Observe(d.Seconds())
	m.auditRecords.Add(float64(records))
}

// loadCollector reports DATADIR/LOADS at scrape time.
type loadCollector struct{ dataDir string }

var (
	dLoadOK      = prometheus.NewDesc("grunndata_load_last_success_timestamp_seconds", "When the latest successful load or delta finished.", nil, nil)
	dLoadFail    = prometheus.NewDesc("grunndata_load_last_failure_timestamp_seconds", "When the latest failed load or delta finished.", nil, nil)
	dLoadSecs    = prometheus.NewDesc("grunndata_load_last_duration_seconds", "How long the latest load or delta took.", nil, nil)
	dLoadRecords = prometheus.NewDesc("grunndata_load_last_records", "Records read by the latest load that read any, by register (or by feed for a delta).", []string{"register"}, nil)
	dLoadRejects = prometheus.NewDesc("grunndata_load_last_rejects", "Records rejected by the latest load that read any, by register (or by feed for a delta).", []string{"register"}, nil)
	dLoadStatus  = prometheus.NewDesc("grunndata_load_status_readable", "1 when DATADIR/LOADS could be read (0: the load metrics are missing).", nil, nil)
)

func (c loadCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{dLoadOK, dLoadFail, dLoadSecs, dLoadRecords, dLoadRejects, dLoadStatus} {
		ch <- d
	}
}

func (c loadCollector) Collect(ch chan<- prometheus.Metric) {
	s, err := index.ReadLoadStatus(c.dataDir)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(dLoadStatus, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(dLoadStatus, prometheus.GaugeValue, 1)
	if o := s.LastSuccess; o != nil {
		ch <- prometheus.MustNewConstMetric(dLoadOK, prometheus.GaugeValue, float64(o.At.UnixNano())/1e9)
	}
	if o := s.LastFailure; o != nil {
		ch <- prometheus.MustNewConstMetric(dLoadFail, prometheus.GaugeValue, float64(o.At.UnixNano())/1e9)
	}
	o := s.Latest()
	if o == nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(dLoadSecs, prometheus.GaugeValue, o.Seconds)
	if len(o.Records) == 0 { // a load that failed before reading: the counts of the other
		if o == s.LastFailure && s.LastSuccess != nil {
			o = s.LastSuccess
		} else if s.LastFailure != nil {
			o = s.LastFailure
		}
	}
	for reg, n := range o.Records {
		ch <- prometheus.MustNewConstMetric(dLoadRecords, prometheus.GaugeValue, float64(n), reg)
	}
	for reg, n := range o.Rejects {
		ch <- prometheus.MustNewConstMetric(dLoadRejects, prometheus.GaugeValue, float64(n), reg)
	}
}
