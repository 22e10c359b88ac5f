package index

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"

	"github.com/grunndata/grunndata/registry"
)

// Gen is one open, read-only snapshot generation. It implements
// registry.View between Store.Acquire and Release.
type Gen struct {
	id       string
	seq      uint64 // process-unique, increasing: cache entries are tagged with it
	dir      string
	manifest *Manifest
	db       *pebble.DB
	openedAt time.Time

	refs     atomic.Int64
	requests atomic.Int64 // Store.Acquire calls
	reads    atomic.Int64 // Get and Scan calls
	closeErr error
	closed   chan struct{}
	log      *slog.Logger

	// Set under Store.mu.
	activatedAt, deactivatedAt time.Time
	// Set before closed is closed.
	drainedAt, closedAt time.Time
}

var genSeq atomic.Uint64

// quietLogger keeps Pebble's WAL-recovery and compaction chatter off stderr.
type quietLogger struct{ log *slog.Logger }

func (l quietLogger) Infof(string, ...any) {}
func (l quietLogger) Errorf(format string, args ...any) {
	l.log.Error("pebble: " + fmt.Sprintf(format, args...))
}
func (l quietLogger) Fatalf(format string, args ...any) {
	panic("pebble: " + fmt.Sprintf(format, args...))
}

// pebbleOptions are the options every generation is written and opened with.
func pebbleOptions(cache *pebble.Cache, log *slog.Logger) *pebble.Options {
	o := &pebble.Options{
		Cache:              cache,
		Logger:             quietLogger{log},
		FormatMajorVersion: pebble.FormatNewest,
	}
	for i := range o.Levels {
		o.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
		o.Levels[i].BlockSize = 16 << 10
	}
	o.EnsureDefaults()
	return o
}

// openGen opens the complete generation in dir read-only.
func openGen(dir string, cache *pebble.Cache, log *slog.Logger) (*Gen, error) {
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	opts := pebbleOptions(cache, log)
	opts.ReadOnly = true
	db, err := pebble.Open(dir, opts)
	if err != nil {
		return nil, fmt.Errorf("open generation %s: %w", filepath.Base(dir), err)
	}
	g := &Gen{
		id:       m.Generation,
		seq:      genSeq.Add(1),
		dir:      dir,
		manifest: m,
		db:       db,
		openedAt: time.Now(),
		closed:   make(chan struct{}),
		log:      log,
	}
	g.refs.Store(1) // the opener's reference
	return g, nil
}

// ID returns the generation id ("000042").
func (g *Gen) ID() string { return g.id }

// Seq returns a process-unique number for this open generation.
func (g *Gen) Seq() uint64 { return g.seq }

// Manifest returns the generation's manifest. Callers must not modify it.
func (g *Gen) Manifest() *Manifest { return g.manifest }

// Served returns how many reads (Get and Scan) this generation has answered.
func (g *Gen) Served() int64 { return g.reads.Load() }

// Requests returns how many lookups acquired this generation.
func (g *Gen) Requests() int64 { return g.requests.Load() }

// tryRef takes a reference unless the generation is already closing.
func (g *Gen) tryRef() bool {
	for {
		r := g.refs.Load()
		if r <= 0 {
			return false
		}
		if g.refs.CompareAndSwap(r, r+1) {
			return true
		}
	}
}

// Release drops a reference; the last one closes the Pebble DB.
func (g *Gen) Release() {
	switch r := g.refs.Add(-1); {
	case r == 0:
		g.drainedAt = time.Now()
		go g.close()
	case r < 0:
		panic("BUG: generation released more often than acquired")
	}
}

func (g *Gen) close() {
	g.closeErr = g.db.Close()
	if g.closeErr != nil {
		g.log.Error("close generation", "generation", g.id, "err", g.closeErr)
	}
	g.db = nil // release the DB's memory even while stats keep g
	g.closedAt = time.Now()
	close(g.closed)
}

// Closed is closed once the generation's DB has been closed.
func (g *Gen) Closed() <-chan struct{} { return g.closed }

// Get appends the value stored under key to dst. It returns
// registry.ErrNotFound (bare) when the key is absent. The result is owned by
// the caller.
func (g *Gen) Get(dst []byte, key *registry.Key) ([]byte, error) {
	g.reads.Add(1)
	return getInto(g.db, dst, key.Bytes())
}

// Scan calls fn for each key with the given prefix, in key order, starting at
// the first key ≥ prefix+from, until fn returns false. Key and value are
// valid only during the call.
func (g *Gen) Scan(prefix, from []byte, fn func(key, value []byte) bool) error {
	g.reads.Add(1)
	return scanDB(g.db, prefix, from, fn)
}

// prefixUpper returns the smallest key greater than every key with prefix p.
func prefixUpper(p []byte) []byte {
	u := append([]byte(nil), p...)
	for i := len(u) - 1; i >= 0; i-- {
		if u[i] != 0xff {
			u[i]++
			return u[:i+1]
		}
	}
	return nil
}

// GenMetrics are the storage figures of a generation the status and the
// metrics endpoints report (from Pebble's metrics; index exposes no Pebble
// type).
type GenMetrics struct {
	// BlockCacheHits and BlockCacheMisses count block cache lookups;
	// BlockCacheBytes is the cache's size.
	BlockCacheHits, BlockCacheMisses, BlockCacheBytes int64
	// DiskBytes is the generation's disk space.
	DiskBytes uint64
	// ReadAmp is the read amplification (sublevels of L0 plus non-empty
	// levels).
	ReadAmp int
}

// Metrics returns the generation's storage figures.
func (g *Gen) Metrics() GenMetrics {
	m := g.db.Metrics()
	return GenMetrics{BlockCacheHits: m.BlockCache.Hits, BlockCacheMisses: m.BlockCache.Misses, BlockCacheBytes: m.BlockCache.Size,
		DiskBytes: m.DiskSpaceUsage(), ReadAmp: m.ReadAmp()}
}
