package server

import (
	"encoding/json"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/grunndata/grunndata/registry/cache"
)

// StoreStatus is what the admin listener reports of the store; cmd fills it
// from index so that this package never imports it.
type StoreStatus struct {
	Generation  string
	ActivatedAt time.Time
	Activations int64
	// Served counts reads the active generation answered (cache misses).
	Served int64
	// Pebble
	BlockCacheHits, BlockCacheMisses, BlockCacheBytes int64
	DiskBytes                                         int64
	ReadAmp                                           int64
}

// AdminConfig configures the admin handler.
type AdminConfig struct {
	// Status returns the store's status; it must be cheap and safe to call
	// concurrently.
	Status func() StoreStatus
	Cache  *cache.Cache
	// Registry receives the collectors; /metrics serves it.
	Registry *prometheus.Registry
	// Extra routes (e.g. snapshot administration), mounted as given.
	Extra map[string]http.Handler
}

// NewAdmin returns the admin listener's handler: /metrics, /healthz, /readyz
// and /debug/pprof/.
func NewAdmin(cfg AdminConfig) http.Handler {
	reg := cfg.Registry
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(&storeCollector{cfg: cfg})
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		st := cfg.Status()
		w.Header().Set("Content-Type", "application/json")
		body := map[string]any{"ready": st.Generation != ""}
		if st.Generation != "" {
			body["generation"] = st.Generation
			body["activeSince"] = st.ActivatedAt.UTC().Format(time.RFC3339Nano)
			body["activations"] = st.Activations
			body["generationReads"] = st.Served
		} else {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		json.NewEncoder(w).Encode(body)
	})
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	for p, h := range cfg.Extra {
		mux.Handle(p, h)
	}
	return mux
}

// storeCollector translates store and cache status at scrape time.
type storeCollector struct{ cfg AdminConfig }

var (
	dGenInfo     = prometheus.NewDesc("grunndata_generation_info", "The active snapshot generation (value 1).", []string{"generation"}, nil)
	dGenAge      = prometheus.NewDesc("grunndata_generation_age_seconds", "Seconds since the active generation became active.", nil, nil)
	dGenActs     = prometheus.NewDesc("grunndata_generation_activations_total", "Generation activations since start.", nil, nil)
	dGenServed   = prometheus.NewDesc("grunndata_generation_reads_total", "Store reads answered by a generation.", []string{"generation"}, nil)
	dReady       = prometheus.NewDesc("grunndata_ready", "1 when a generation is active.", nil, nil)
	dCacheHits   = prometheus.NewDesc("grunndata_cache_hits_total", "Cache hits.", nil, nil)
	dCacheMisses = prometheus.NewDesc("grunndata_cache_misses_total", "Cache misses.", nil, nil)
	dCacheStale  = prometheus.NewDesc("grunndata_cache_stale_total", "Cache hits on an entry of another generation (served as misses).", nil, nil)
	dCacheEvict  = prometheus.NewDesc("grunndata_cache_evictions_total", "Cache evictions.", nil, nil)
	dCacheBytes  = prometheus.NewDesc("grunndata_cache_bytes", "Bytes held by the cache (added minus evicted).", nil, nil)
	dBCHits      = prometheus.NewDesc("grunndata_pebble_block_cache_hits_total", "Pebble block cache hits.", nil, nil)
	dBCMisses    = prometheus.NewDesc("grunndata_pebble_block_cache_misses_total", "Pebble block cache misses.", nil, nil)
	dBCBytes     = prometheus.NewDesc("grunndata_pebble_block_cache_bytes", "Pebble block cache size in use.", nil, nil)
	dDisk        = prometheus.NewDesc("grunndata_pebble_disk_bytes", "Disk space of the active generation.", nil, nil)
	dReadAmp     = prometheus.NewDesc("grunndata_pebble_read_amplification", "Pebble read amplification.", nil, nil)
)

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{dGenInfo, dGenAge, dGenActs, dGenServed, dReady, dCacheHits, dCacheMisses,
		dCacheStale, dCacheEvict, dCacheBytes, dBCHits, dBCMisses, dBCBytes, dDisk, dReadAmp} {
		ch <- d
	}
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.cfg.Status()
	ready := 0.0
	if st.Generation != "" {
		ready = 1
		ch <- prometheus.MustNewConstMetric(dGenInfo, prometheus.GaugeValue, 1, st.Generation)
		ch <- prometheus.MustNewConstMetric(dGenAge, prometheus.GaugeValue, time.Since(st.ActivatedAt).Seconds())
		ch <- prometheus.MustNewConstMetric(dGenServed, prometheus.CounterValue, float64(st.Served), st.Generation)
		ch <- prometheus.MustNewConstMetric(dBCHits, prometheus.CounterValue, float64(st.BlockCacheHits))
		ch <- prometheus.MustNewConstMetric(dBCMisses, prometheus.CounterValue, float64(st.BlockCacheMisses))
		ch <- prometheus.MustNewConstMetric(dBCBytes, prometheus.GaugeValue, float64(st.BlockCacheBytes))
		ch <- prometheus.MustNewConstMetric(dDisk, prometheus.GaugeValue, float64(st.DiskBytes))
		ch <- prometheus.MustNewConstMetric(dReadAmp, prometheus.GaugeValue, float64(st.ReadAmp))
	}
	ch <- prometheus.MustNewConstMetric(dReady, prometheus.GaugeValue, ready)
	ch <- prometheus.MustNewConstMetric(dGenActs, prometheus.CounterValue, float64(st.Activations))
	if c.cfg.Cache != nil {
		m := c.cfg.Cache.Metrics()
		ch <- prometheus.MustNewConstMetric(dCacheHits, prometheus.CounterValue, float64(m.Hits))
		ch <- prometheus.MustNewConstMetric(dCacheMisses, prometheus.CounterValue, float64(m.Misses))
		ch <- prometheus.MustNewConstMetric(dCacheStale, prometheus.CounterValue, float64(m.Stale))
		ch <- prometheus.MustNewConstMetric(dCacheEvict, prometheus.CounterValue, float64(m.KeysEvicted))
		ch <- prometheus.MustNewConstMetric(dCacheBytes, prometheus.GaugeValue, float64(m.CostAdded-m.CostEvicted))
	}
}
