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
	// Requests counts lookups the active generation answered.
	Requests int64
	// Generations are the recently active generations, newest first, with
	// what each served.
	Generations []GenerationStatus
	// LastActivation is the latest activation's timings (nil: none yet).
	LastActivation *ActivationStatus
	// OpenGenerations counts generations whose files are open (the active
	// one plus those still draining readers).
	OpenGenerations int
	// SnapshotsDiskBytes is the disk space of every generation in the data
	// directory (hard links counted once).
	SnapshotsDiskBytes int64
	// Pebble
	BlockCacheHits, BlockCacheMisses, BlockCacheBytes int64
	DiskBytes                                         int64
	ReadAmp                                           int64
}

// GenerationStatus is what one recently active generation served.
type GenerationStatus struct {
	Generation    string     `json:"generation"`
	Active        bool       `json:"active"`
	ActivatedAt   time.Time  `json:"activatedAt"`
	DeactivatedAt *time.Time `json:"deactivatedAt,omitempty"`
	ClosedAt      *time.Time `json:"closedAt,omitempty"`
	Requests      int64      `json:"requests"`
	Reads         int64      `json:"reads"`
}

// ActivationStatus is the latest activation's phases, in seconds.
type ActivationStatus struct {
	Generation string    `json:"generation"`
	Previous   string    `json:"previous,omitempty"`
	Rollback   bool      `json:"rollback"`
	At         time.Time `json:"at"`
	WarmedKeys int       `json:"warmedKeys"`
	// Phase durations: verify, open, warm, write, swap, old_drained,
	// old_closed (the old ones measured from the swap; 0 until they happen).
	Phases map[string]float64 `json:"phasesSeconds"`
}

// AdminConfig configures the admin handler.
type AdminConfig struct {
	// Status returns the store's status; it must be cheap and safe to call
	// concurrently.
	Status func() StoreStatus
	Cache  *cache.Cache
	// Registry receives the collectors; /metrics serves it.
	Registry *prometheus.Registry
	// Snapshots, when set, serves GET /admin/snapshots, POST
	// /admin/snapshots/{gen}/activate and POST /admin/snapshots/rollback.
	Snapshots Snapshots
	// AdminAuth wraps the /admin/ handlers: the seam for the admin scope
	// check (grunndata:admin). nil lets every caller of the admin listener
	// in, which is what binding it to localhost assumes.
	AdminAuth func(http.Handler) http.Handler
	// Extra routes, mounted as given.
	Extra map[string]http.Handler
	// ReadyDetail adds entries to /readyz's body (e.g. "fleet": a
	// replica's fleet state); each func must be cheap.
	ReadyDetail map[string]func() any
}

// NewAdmin returns the admin listener's handler: /metrics, /healthz, /readyz,
// /debug/pprof/ and, with cfg.Snapshots, /admin/snapshots.
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
			body["generationRequests"] = st.Requests
			body["generations"] = st.Generations
			if st.LastActivation != nil {
				body["lastActivation"] = st.LastActivation
			}
			body["openGenerations"] = st.OpenGenerations
		} else {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		for k, f := range cfg.ReadyDetail {
			body[k] = f()
		}
		json.NewEncoder(w).Encode(body)
	})
	mux.Handle("/openapi.json", OpenAPIHandler())
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	if cfg.Snapshots != nil {
		auth := cfg.AdminAuth
		if auth == nil {
			auth = func(h http.Handler) http.Handler { return h }
		}
		snapshotRoutes(mux, cfg.Snapshots, auth)
	}
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
	dGenReqs     = prometheus.NewDesc("grunndata_generation_requests_total", "Lookups answered by a generation (recent generations).", []string{"generation"}, nil)
	dGenActAt    = prometheus.NewDesc("grunndata_generation_activated_timestamp_seconds", "When a recent generation became active.", []string{"generation"}, nil)
	dGenOpen     = prometheus.NewDesc("grunndata_generations_open", "Generations whose files are open (active plus draining).", nil, nil)
	dActPhase    = prometheus.NewDesc("grunndata_activation_phase_seconds", "Phases of the latest activation.", []string{"phase"}, nil)
	dSnapDisk    = prometheus.NewDesc("grunndata_snapshots_disk_bytes", "Disk space of all generations in the data directory.", nil, nil)
	dReady       = prometheus.NewDesc("grunndata_ready", "1 when a generation is active.", nil, nil)
	dCacheHits   = prometheus.NewDesc("grunndata_cache_hits_total", "Cache hits.", nil, nil)
	dCacheMisses = prometheus.NewDesc("grunndata_cache_misses_total", "Cache misses.", nil, nil)
	dCacheStale  = prometheus.NewDesc("grunndata_cache_stale_total", "Cache hits on an entry of another generation (served as misses).", nil, nil)
	dCacheWarm   = prometheus.NewDesc("grunndata_cache_warmed_total", "Values read into the cache by warm-ups before activations.", nil, nil)
	dCacheEvict  = prometheus.NewDesc("grunndata_cache_evictions_total", "Cache evictions.", nil, nil)
	dCacheBytes  = prometheus.NewDesc("grunndata_cache_bytes", "Bytes held by the cache (added minus evicted).", nil, nil)
	dBCHits      = prometheus.NewDesc("grunndata_pebble_block_cache_hits_total", "Pebble block cache hits.", nil, nil)
	dBCMisses    = prometheus.NewDesc("grunndata_pebble_block_cache_misses_total", "Pebble block cache misses.", nil, nil)
	dBCBytes     = prometheus.NewDesc("grunndata_pebble_block_cache_bytes", "Pebble block cache size in use.", nil, nil)
	dDisk        = prometheus.NewDesc("grunndata_pebble_disk_bytes", "Disk space of the active generation.", nil, nil)
	dReadAmp     = prometheus.NewDesc("grunndata_pebble_read_amplification", "Pebble read amplification.", nil, nil)
)

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{dGenInfo, dGenAge, dGenActs, dGenServed, dGenReqs, dGenActAt, dGenOpen, dActPhase,
		dSnapDisk, dReady, dCacheHits, dCacheMisses, dCacheStale, dCacheWarm, dCacheEvict, dCacheBytes, dBCHits, dBCMisses,
		dBCBytes, dDisk, dReadAmp} {
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
		ch <- prometheus.MustNewConstMetric(dBCHits, prometheus.CounterValue, float64(st.BlockCacheHits))
		ch <- prometheus.MustNewConstMetric(dBCMisses, prometheus.CounterValue, float64(st.BlockCacheMisses))
		ch <- prometheus.MustNewConstMetric(dBCBytes, prometheus.GaugeValue, float64(st.BlockCacheBytes))
		ch <- prometheus.MustNewConstMetric(dDisk, prometheus.GaugeValue, float64(st.DiskBytes))
		ch <- prometheus.MustNewConstMetric(dReadAmp, prometheus.GaugeValue, float64(st.ReadAmp))
	}
	// A generation activated more than once appears once per activation:
	// one series per generation, summed, with its latest activation.
	type agg struct {
		reads, requests int64
		at              time.Time
	}
	byGen := map[string]*agg{}
	var order []string
	for _, g := range st.Generations {
		a := byGen[g.Generation]
		if a == nil {
			a = &agg{}
			byGen[g.Generation] = a
			order = append(order, g.Generation)
		}
		a.reads += g.Reads
		a.requests += g.Requests
		if g.ActivatedAt.After(a.at) {
			a.at = g.ActivatedAt
		}
	}
	for _, id := range order {
		a := byGen[id]
		ch <- prometheus.MustNewConstMetric(dGenServed, prometheus.CounterValue, float64(a.reads), id)
		ch <- prometheus.MustNewConstMetric(dGenReqs, prometheus.CounterValue, float64(a.requests), id)
		ch <- prometheus.MustNewConstMetric(dGenActAt, prometheus.GaugeValue, float64(a.at.UnixNano())/1e9, id)
	}
	if a := st.LastActivation; a != nil {
		for p, v := range a.Phases {
			ch <- prometheus.MustNewConstMetric(dActPhase, prometheus.GaugeValue, v, p)
		}
	}
	ch <- prometheus.MustNewConstMetric(dGenOpen, prometheus.GaugeValue, float64(st.OpenGenerations))
	ch <- prometheus.MustNewConstMetric(dSnapDisk, prometheus.GaugeValue, float64(st.SnapshotsDiskBytes))
	ch <- prometheus.MustNewConstMetric(dReady, prometheus.GaugeValue, ready)
	ch <- prometheus.MustNewConstMetric(dGenActs, prometheus.CounterValue, float64(st.Activations))
	if c.cfg.Cache != nil {
		m := c.cfg.Cache.Metrics()
		ch <- prometheus.MustNewConstMetric(dCacheHits, prometheus.CounterValue, float64(m.Hits))
		ch <- prometheus.MustNewConstMetric(dCacheMisses, prometheus.CounterValue, float64(m.Misses))
		ch <- prometheus.MustNewConstMetric(dCacheStale, prometheus.CounterValue, float64(m.Stale))
		ch <- prometheus.MustNewConstMetric(dCacheWarm, prometheus.CounterValue, float64(m.Warmed))
		ch <- prometheus.MustNewConstMetric(dCacheEvict, prometheus.CounterValue, float64(m.KeysEvicted))
		ch <- prometheus.MustNewConstMetric(dCacheBytes, prometheus.GaugeValue, float64(m.CostAdded-m.CostEvicted))
	}
}
