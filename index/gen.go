package index

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"

	"github.com/grunndata/grunndata/registry"
)

// Gen is one open, read-only snapshot generation. Store.Acquire hands it
// out as a registry.View (through one of its shards) until Release;
// AcquireGen as itself.
//
// Every request takes a reference, counts itself and drops the reference.
// Were those counters one word each, every request on every core would
// write the same cache line and the cores would take turns owning it. So
// they are sharded: each shard has its own cache lines, and a request
// picks a shard at random; two cores seldom pick the same one. The
// reference count is the sum of the shards once the generation is
// retired (see retire).
type Gen struct {
	id       string
	seq      uint64 // process-unique, increasing: cache entries are tagged with it
	dir      string
	manifest *Manifest
	db       *pebble.DB
	openedAt time.Time

	// closing is set when the store drops its own reference (retire):
	// from then on no new reference is taken, and the release that brings
	// the sum of the shards to zero closes the DB.
	closing      atomic.Bool
	closeStarted atomic.Bool
	closeErr     error
	closed       chan struct{}
	log          *slog.Logger
	resident     bool // its data was read into a block cache of its own

	// Set under Store.mu.
	activatedAt, deactivatedAt time.Time
	// Set before closed is closed.
	drainedAt, closedAt time.Time

	_      [cacheLine]byte // the fields above are read on every request, written seldom
	shards [refShards]refShard
}

// cacheLine is what the shards are padded to: 128 bytes, because x86
// prefetches cache lines in adjacent pairs.
const cacheLine = 128

// refShards is the number of counter shards (a power of two): enough that
// the cores of a serving machine seldom pick the same one.
const refShards = 8

// refShard is one shard of a generation's per-request counters, with the
// view handed out through it, alone on its cache lines.
type refShard struct {
	view     shardView
	refs     atomic.Int64 // references taken through this shard, minus those released
	requests atomic.Int64 // Store.Acquire calls
	reads    atomic.Int64 // Get and Scan calls
	_        [cacheLine - 40]byte
}

// shardView is the registry.View that Store.Acquire returns: the
// generation, with its reads counted and its reference released on one
// shard.
type shardView struct {
	g  *Gen
	sh *refShard
}

func (v *shardView) ID() string  { return v.g.id }
func (v *shardView) Seq() uint64 { return v.g.seq }
func (v *shardView) Release()    { v.g.unref(v.sh) }
func (v *shardView) Get(dst []byte, key *registry.Key) ([]byte, error) {
	v.sh.reads.Add(1)
	return getInto(v.g.db, dst, key.Bytes())
}
func (v *shardView) Scan(prefix, from []byte, fn func(key, value []byte) bool) error {
	v.sh.reads.Add(1)
	return scanDB(v.g.db, prefix, from, fn)
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
	for i := range g.shards {
		g.shards[i].view = shardView{g: g, sh: &g.shards[i]}
	}
	g.shards[0].refs.Store(1) // the opener's reference, dropped by retire
	return g, nil
}

// ID returns the generation id ("000042").
func (g *Gen) ID() string { return g.id }

// Seq returns a process-unique number for this open generation.
func (g *Gen) Seq() uint64 { return g.seq }

// Manifest returns the generation's manifest. Callers must not modify it.
func (g *Gen) Manifest() *Manifest { return g.manifest }

// Served returns how many reads (Get and Scan) this generation has answered.
func (g *Gen) Served() int64 {
	var n int64
	for i := range g.shards {
		n += g.shards[i].reads.Load()
	}
	return n
}

// Requests returns how many lookups acquired this generation.
func (g *Gen) Requests() int64 {
	var n int64
	for i := range g.shards {
		n += g.shards[i].requests.Load()
	}
	return n
}

// anyShard picks a shard at random (math/rand/v2's global source is
// per-thread and takes no lock).
func (g *Gen) anyShard() *refShard { return &g.shards[rand.Uint32()&(refShards-1)] }

// tryRef takes a reference on sh unless the generation is retired. The
// order matters: the increment comes before the check, and retire sets
// closing before it drops its reference, so a reference that saw closing
// unset is counted in every sum taken after closing was set; one that saw
// it set backs out and is never used.
func (g *Gen) tryRef(sh *refShard) bool {
	sh.refs.Add(1)
	if !g.closing.Load() {
		return true
	}
	g.unref(sh)
	return false
}

// unref drops a reference taken on sh. Once the generation is retired, the
// release that finds every shard at zero closes the Pebble DB: a shard
// holding a live reference is never zero (references are taken and
// dropped on the same shard), and after the last release nothing
// increments a shard again, so that release sees all of them at zero.
func (g *Gen) unref(sh *refShard) {
	if sh.refs.Add(-1) < 0 {
		panic("BUG: generation released more often than acquired")
	}
	if !g.closing.Load() {
		return
	}
	for i := range g.shards {
		if g.shards[i].refs.Load() != 0 {
			return
		}
	}
	if g.closeStarted.CompareAndSwap(false, true) {
		g.drainedAt = time.Now()
		go g.close()
	}
}

// retire drops the store's own reference (the opener's): no reference is
// taken from now on, and the DB closes when the last reader releases.
func (g *Gen) retire() {
	g.closing.Store(true)
	g.unref(&g.shards[0])
}

// Release drops a reference taken by Store.AcquireGen.
func (g *Gen) Release() { g.unref(&g.shards[0]) }

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
	return g.shards[0].view.Get(dst, key)
}

// Scan calls fn for each key with the given prefix, in key order, starting at
// the first key ≥ prefix+from, until fn returns false. Key and value are
// valid only during the call.
func (g *Gen) Scan(prefix, from []byte, fn func(key, value []byte) bool) error {
	return g.shards[0].view.Scan(prefix, from, fn)
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
	// BlockCacheBytes is the bytes the cache holds (the generation's own
	// cache when Resident, else the cache all generations share).
	BlockCacheHits, BlockCacheMisses, BlockCacheBytes int64
	Resident                                          bool
	// DiskBytes is the generation's disk space.
	DiskBytes uint64
	// ReadAmp is the read amplification (sublevels of L0 plus non-empty
	// levels).
	ReadAmp int
}

// Metrics returns the generation's storage figures.
func (g *Gen) Metrics() GenMetrics {
	m := g.db.Metrics()
	return GenMetrics{BlockCacheHits: m.BlockCache.Hits, BlockCacheMisses: m.BlockCache.Misses, BlockCacheBytes: m.BlockCache.Size, Resident: g.resident,
		DiskBytes: m.DiskSpaceUsage(), ReadAmp: m.ReadAmp()}
}
