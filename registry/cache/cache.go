// Package cache puts a ristretto cache in front of snapshot generations. It
// is the only package that imports ristretto.
//
// One cache serves every generation: each entry is tagged with the Seq of the
// generation it was read from, and a hit from another generation counts as a
// miss, so after an activation or a delta no lookup ever returns the old
// value, even when a miss that read the old generation stores its result
// after the swap. Cached slices are never modified after Set.
//
// # Warm-up
//
// Before a swap, Warm reads the most requested keys (TopKeys, fed by a 1 in
// TrackSampleEvery sample of Gets) from the new generation into the cache.
// Writing a warmed value over the entry would make the old generation, which
// still serves until the swap, miss on it and write its own value back: the
// hottest keys would end the warm-up cold. So an entry has room for two
// generations: Warm keeps the entry's current value and adds the new
// generation's beside it, and Get returns whichever matches its view's Seq.
// Values for a Seq never change, so any pairing is correct.
package cache

import (
	"math/rand/v2"
	"sync/atomic"
	"unsafe"

	"github.com/cespare/xxhash/v2"
	"github.com/dgraph-io/ristretto/v2"

	"github.com/grunndata/grunndata/registry"
)

// Config configures a Cache.
type Config struct {
	// MaxBytes bounds the bytes of cached values (plus per-entry overhead).
	MaxBytes int64
	// NumCounters is the number of keys whose frequency is tracked; about
	// ten times the number of entries expected to fit.
	NumCounters int64
	// TrackKeys is the capacity of the most-requested-keys tracker that
	// warm-up reads (see TopKeys); 0 disables tracking. About four times the
	// number of keys warmed.
	TrackKeys int
	// TrackSampleEvery: one Get in this many (rounded up to a power of two;
	// 0 means 64) is counted by the tracker; the others pay one random
	// number. Sampling keeps the tracker's mutex off most requests.
	TrackSampleEvery int
}

// DefaultConfig returns a 256 MiB cache.
func DefaultConfig() Config {
	return Config{MaxBytes: 256 << 20, NumCounters: 4 << 20}
}

// entryOverhead approximates the memory of an entry besides its value.
const entryOverhead = 64

// entry is a cached value of generation seq, and possibly, after a warm-up,
// the value of generation nseq (the one about to be activated).
type entry struct {
	seq  uint64
	val  []byte
	nseq uint64
	nval []byte
}

// Cache is a read-through cache of stored values.
type Cache struct {
	rc         *ristretto.Cache[string, *entry]
	top        *TopKeys // nil: not tracking
	sampleMask uint32
	stale      atomic.Uint64 // hits on an entry of another generation
	readFails  atomic.Uint64
	warmed     atomic.Uint64
}

func keyToHash(k string) (uint64, uint64) {
	// Two independent hashes: ristretto keys on the first and checks the
	// second to reject collisions. Neither retains the key.
	h := xxhash.Sum64String(k)
	var c uint64 = 14695981039346656037
	for i := 0; i < len(k); i++ {
		c ^= uint64(k[i])
		c *= 1099511628211
	}
	return h, c
}

// New returns a cache.
func New(cfg Config) (*Cache, error) {
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultConfig().MaxBytes
	}
	if cfg.NumCounters <= 0 {
		cfg.NumCounters = max(cfg.MaxBytes/256, 1024)
	}
	rc, err := ristretto.NewCache(&ristretto.Config[string, *entry]{
		NumCounters:        cfg.NumCounters,
		MaxCost:            cfg.MaxBytes,
		BufferItems:        64,
		Metrics:            true,
		KeyToHash:          keyToHash,
		IgnoreInternalCost: true,
	})
	if err != nil {
		return nil, err
	}
	c := &Cache{rc: rc}
	if cfg.TrackKeys > 0 {
		c.top = NewTopKeys(cfg.TrackKeys)
		if cfg.TrackSampleEvery <= 0 {
			cfg.TrackSampleEvery = 64
		}
		every := uint32(1)
		for every < uint32(cfg.TrackSampleEvery) {
			every <<= 1
		}
		c.sampleMask = every - 1
	}
	return c, nil
}

// Get returns the value of key in generation v, from the cache when it holds
// an entry of that generation and from v otherwise. The returned slice is
// shared and immutable: callers must not modify or retain it beyond their
// request. A hit does not allocate.
func (c *Cache) Get(v registry.View, key *registry.Key) ([]byte, error) {
	kb := key.Bytes()
	ks := unsafe.String(unsafe.SliceData(kb), len(kb))
	seq := v.Seq()
	if c.top != nil && rand.Uint32()&c.sampleMask == 0 {
		c.top.Observe(key)
	}
	if e, ok := c.rc.Get(ks); ok {
		if e.seq == seq {
			return e.val, nil
		}
		if e.nseq == seq {
			return e.nval, nil
		}
		c.stale.Add(1)
	}
	val, err := v.Get(nil, key)
	if err != nil {
		if err != registry.ErrNotFound {
			c.readFails.Add(1)
		}
		return nil, err
	}
	c.rc.Set(ks, &entry{seq: seq, val: val}, int64(len(val))+entryOverhead)
	return val, nil
}

// Warm reads key from v, a generation about to be activated, into the
// cache beside the value the entry holds for the active generation (see the
// package comment). It reports whether v holds the key.
func (c *Cache) Warm(v registry.View, key *registry.Key) bool {
	kb := key.Bytes()
	ks := unsafe.String(unsafe.SliceData(kb), len(kb))
	seq := v.Seq()
	e, ok := c.rc.Get(ks)
	if ok && (e.seq == seq || e.nseq == seq) {
		return true
	}
	val, err := v.Get(nil, key)
	if err != nil {
		return false
	}
	ne := &entry{seq: seq, val: val}
	cost := int64(len(val)) + entryOverhead
	if ok {
		ne = &entry{seq: e.seq, val: e.val, nseq: seq, nval: val}
		cost += int64(len(e.val))
	}
	c.rc.Set(ks, ne, cost)
	c.warmed.Add(1)
	return true
}

// TopKeys returns up to n of the most requested keys (nil when tracking is
// off), most requested first.
func (c *Cache) TopKeys(n int) []registry.Key {
	if c.top == nil {
		return nil
	}
	return c.top.Top(n)
}

// DecayTopKeys halves the tracker's counts (after each activation), so the
// keys warmed next follow recent traffic.
func (c *Cache) DecayTopKeys() {
	if c.top != nil {
		c.top.Decay()
	}
}

// Wait blocks until buffered Sets are applied (tests).
func (c *Cache) Wait() { c.rc.Wait() }

// Clear drops every entry.
func (c *Cache) Clear() { c.rc.Clear() }

// Close stops the cache's goroutines.
func (c *Cache) Close() { c.rc.Close() }

// Metrics is a snapshot of the cache's counters.
type Metrics struct {
	Hits, Misses, Stale, KeysAdded, KeysEvicted, CostAdded, CostEvicted, ReadFailures uint64
	// Warmed counts values Warm read into the cache.
	Warmed uint64
}

// Metrics returns the counters.
func (c *Cache) Metrics() Metrics {
	m := c.rc.Metrics
	return Metrics{
		Hits: m.Hits(), Misses: m.Misses(), Stale: c.stale.Load(),
		KeysAdded: m.KeysAdded(), KeysEvicted: m.KeysEvicted(),
		CostAdded: m.CostAdded(), CostEvicted: m.CostEvicted(),
		ReadFailures: c.readFails.Load(), Warmed: c.warmed.Load(),
	}
}
