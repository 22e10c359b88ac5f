// Package ops is what an operator sees of the serving store, without HTTP:
// its status (the admin listener's /readyz and /metrics), the snapshot
// administration interface cmd/grunndata implements over index, and the
// Prometheus collectors of the store, the cache and the certificates.
// registry/server serves them on the admin listener.
package ops

import (
	"errors"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/grunndata/grunndata/registry"
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
	// Resident and ResidentBytes: as in ActivationInfo.
	Resident      bool  `json:"resident"`
	ResidentBytes int64 `json:"residentBytes"`
	// Phase durations: verify, open, fill, warm, write, swap, old_drained,
	// old_closed (the old ones measured from the swap; 0 until they happen).
	Phases map[string]float64 `json:"phasesSeconds"`
}

// Snapshots manages snapshot generations for the admin API. cmd/grunndata
// implements it over index (this package never imports index); every
// activation it makes must be durable (the data directory's ACTIVE pointer
// is written before the in-process swap).
type Snapshots interface {
	// List describes every complete generation, ascending by id.
	List() ([]SnapshotInfo, error)
	// Activate verifies, opens, warms and swaps in generation gen.
	Activate(gen string) (ActivationInfo, error)
	// Rollback activates the previous good generation of the history.
	Rollback() (ActivationInfo, error)
}

// Errors a Snapshots implementation wraps so that the admin API answers
// with the right status; anything else is a 500.
var (
	// ErrInvalidGeneration: the id is not a generation id (400).
	ErrInvalidGeneration = errors.New("not a generation id")
	// ErrNoSuchGeneration: no complete generation has the id (404).
	ErrNoSuchGeneration = errors.New("no such generation")
	// ErrGenerationRefused: the generation does not verify or open; the
	// active one keeps serving (409).
	ErrGenerationRefused = errors.New("generation refused")
	// ErrNoRollbackTarget: no earlier good generation (409).
	ErrNoRollbackTarget = errors.New("no earlier generation to roll back to")
)

// SnapshotInfo is one generation as `grunndata snapshots list --json` and
// GET /admin/snapshots show it.
type SnapshotInfo struct {
	Generation     string `json:"generation"`
	Active         bool   `json:"active"`
	RollbackTarget bool   `json:"rollbackTarget"`
	// Serving: the generation this process serves (admin API only; it
	// differs from Active only while a server follows a CLI activation).
	Serving       bool                      `json:"serving,omitempty"`
	CreatedAt     *time.Time                `json:"createdAt,omitempty"`
	LastActivated *time.Time                `json:"lastActivated,omitempty"`
	Parent        string                    `json:"parent,omitempty"`
	FormatVersion int                       `json:"formatVersion,omitempty"`
	Sources       []SnapshotSource          `json:"sources"`
	Registers     map[string]RegisterCounts `json:"registers"`
	Records       int64                     `json:"records"`
	Rejects       int64                     `json:"rejects"`
	FeedPositions map[string]int64          `json:"feedPositions,omitempty"`
	// SizeBytes is on disk now; UniqueBytes what pruning it would free.
	SizeBytes   int64 `json:"sizeBytes"`
	UniqueBytes int64 `json:"uniqueBytes"`
	Files       int   `json:"files"`
	// Error says why the manifest does not read (the generation cannot be
	// activated).
	Error string `json:"error,omitempty"`
}

// SnapshotSource is one source file of a load.
type SnapshotSource struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// RegisterCounts counts one register's records and rejects.
type RegisterCounts struct {
	Records int64 `json:"records"`
	Rejects int64 `json:"rejects"`
	// Warnings counts records loaded as given with a warning, by rule.
	Warnings map[string]int64 `json:"warnings,omitempty"`
}

// ActivationInfo is the answer to an activation or rollback. Durations are
// in milliseconds.
type ActivationInfo struct {
	Generation string `json:"generation"`
	Previous   string `json:"previous,omitempty"`
	Rollback   bool   `json:"rollback"`
	NoOp       bool   `json:"noOp,omitempty"`
	FullVerify bool   `json:"fullVerify"`
	WarmedKeys int    `json:"warmedKeys"`
	// Resident: the generation was read into memory of its own before the
	// swap (FillMS), ResidentBytes of it; NotResident says why not.
	Resident      bool    `json:"resident"`
	ResidentBytes int64   `json:"residentBytes"`
	NotResident   string  `json:"notResident,omitempty"`
	VerifyMS      float64 `json:"verifyMs"`
	OpenMS        float64 `json:"openMs"`
	FillMS        float64 `json:"fillMs"`
	WarmMS        float64 `json:"warmMs"`
	WriteMS       float64 `json:"writeMs"`
	SwapMS        float64 `json:"swapMs"`
	// TotalMS is from the request to the new generation serving.
	TotalMS float64 `json:"totalMs"`
}

// StoreCollector translates store and cache status at scrape time.
type StoreCollector struct {
	// Status returns the store's status (cheap, safe concurrently).
	Status func() StoreStatus
	// Cache, when set, adds the cache's counters.
	Cache *cache.Cache
}

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

func (c *StoreCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{dGenInfo, dGenAge, dGenActs, dGenServed, dGenReqs, dGenActAt, dGenOpen, dActPhase,
		dSnapDisk, dReady, dCacheHits, dCacheMisses, dCacheStale, dCacheWarm, dCacheEvict, dCacheBytes, dBCHits, dBCMisses,
		dBCBytes, dDisk, dReadAmp} {
		ch <- d
	}
}

func (c *StoreCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.Status()
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
	if c.Cache != nil {
		m := c.Cache.Metrics()
		ch <- prometheus.MustNewConstMetric(dCacheHits, prometheus.CounterValue, float64(m.Hits))
		ch <- prometheus.MustNewConstMetric(dCacheMisses, prometheus.CounterValue, float64(m.Misses))
		ch <- prometheus.MustNewConstMetric(dCacheStale, prometheus.CounterValue, float64(m.Stale))
		ch <- prometheus.MustNewConstMetric(dCacheWarm, prometheus.CounterValue, float64(m.Warmed))
		ch <- prometheus.MustNewConstMetric(dCacheEvict, prometheus.CounterValue, float64(m.KeysEvicted))
		ch <- prometheus.MustNewConstMetric(dCacheBytes, prometheus.GaugeValue, float64(m.CostAdded-m.CostEvicted))
	}
}

// CertCollector exports the certificate gauges for alerts:
// grunndata_certificates_expiring_soon (valid certificates that expire within
// 30 days) and grunndata_certificates_revoked. The certificates' instants
// are read once per generation; a scrape compares them with the clock.
type CertCollector struct {
	store registry.Store
	clock func() time.Time
	mu    struct {
		sync.Mutex
		seq   uint64
		times []registry.CertTimes
	}
}

var (
	dCertsExpiring = prometheus.NewDesc("grunndata_certificates_expiring_soon",
		"Certificates held by communication parties that are valid and expire within 30 days.", nil, nil)
	dCertsRevoked = prometheus.NewDesc("grunndata_certificates_revoked",
		"Certificates held by communication parties that a loaded CRL revokes.", nil, nil)
)

// CertExpiryHorizon is the horizon of grunndata_certificates_expiring_soon.
const CertExpiryHorizon = 30 * 24 * time.Hour

// NewCertCollector returns the collector; clock nil is time.Now.
func NewCertCollector(store registry.Store, clock func() time.Time) *CertCollector {
	if clock == nil {
		clock = time.Now
	}
	return &CertCollector{store: store, clock: clock}
}

// Describe implements prometheus.Collector.
func (c *CertCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- dCertsExpiring
	ch <- dCertsRevoked
}

// Collect implements prometheus.Collector.
func (c *CertCollector) Collect(ch chan<- prometheus.Metric) {
	var v registry.View
	var err error
	if q, ok := c.store.(interface{ AcquireUncounted() (registry.View, error) }); ok {
		v, err = q.AcquireUncounted()
	} else {
		v, err = c.store.Acquire()
	}
	if err != nil {
		return // no generation: no gauges
	}
	defer v.Release()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mu.times == nil || c.mu.seq != v.Seq() {
		ts, err := registry.CollectCertTimes(v)
		if err != nil {
			return
		}
		if ts == nil {
			ts = []registry.CertTimes{}
		}
		c.mu.seq, c.mu.times = v.Seq(), ts
	}
	soon, revoked := registry.CountCerts(c.mu.times, c.clock(), CertExpiryHorizon)
	ch <- prometheus.MustNewConstMetric(dCertsExpiring, prometheus.GaugeValue, float64(soon))
	ch <- prometheus.MustNewConstMetric(dCertsRevoked, prometheus.GaugeValue, float64(revoked))
}
