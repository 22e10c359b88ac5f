package cache

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/grunndata/grunndata/registry"
)

// view is an in-memory generation; gate, when set, holds every Get until
// it is closed (to stage the race of a slow miss against a swap).
type view struct {
	seq   uint64
	data  map[string]string
	gate  chan struct{}
	reads atomic.Int64
}

func (v *view) ID() string                                                { return fmt.Sprint(v.seq) }
func (v *view) Seq() uint64                                               { return v.seq }
func (v *view) Release()                                                  {}
func (v *view) Scan(prefix, from []byte, fn func(k, v []byte) bool) error { return nil }
func (v *view) Get(dst []byte, key *registry.Key) ([]byte, error) {
	v.reads.Add(1)
	if v.gate != nil {
		<-v.gate
	}
	s, ok := v.data[string(key.Bytes())]
	if !ok {
		return dst, registry.ErrNotFound
	}
	return append(dst, s...), nil
}

func key(i int) registry.Key { return registry.SerialKey(registry.RegParty, uint64(i)) }

func newCache(t testing.TB, cfg Config) *Cache {
	t.Helper()
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = 1 << 20
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func gen(seq uint64, tag string, n int) *view {
	v := &view{seq: seq, data: map[string]string{}}
	for i := 0; i < n; i++ {
		k := key(i)
		v.data[string(k.Bytes())] = fmt.Sprintf("%s-%d", tag, i)
	}
	return v
}

// TestSlowMissAcrossSwap: a miss that read the old generation and stores
// its value after the swap is never served to a reader of the new one.
func TestSlowMissAcrossSwap(t *testing.T) {
	c := newCache(t, Config{})
	old, cur := gen(1, "old", 10), gen(2, "new", 10)
	old.gate = make(chan struct{})
	k := key(3)
	done := make(chan []byte)
	go func() { // a request that acquired the old generation before the swap
		v, _ := c.Get(old, &k)
		done <- v
	}()
	// The swap happens; new requests read the new generation.
	if v, _ := c.Get(cur, &k); string(v) != "new-3" {
		t.Fatalf("new generation: %q", v)
	}
	c.Wait()
	close(old.gate) // the slow miss finishes and stores the old value
	if v := <-done; string(v) != "old-3" {
		t.Fatalf("the old reader got %q", v)
	}
	c.Wait()
	for i := 0; i < 100; i++ {
		if v, _ := c.Get(cur, &k); string(v) != "new-3" {
			t.Fatalf("after the slow miss, a new-generation read got %q", v)
		}
	}
	if c.Metrics().Stale == 0 {
		t.Fatal("the old entry was not seen as stale")
	}
}

// TestWarmKeepsBothGenerations: warming the next generation does not evict
// the active generation's values, and after the swap the warmed ones hit.
func TestWarmKeepsBothGenerations(t *testing.T) {
	c := newCache(t, Config{})
	old, next := gen(1, "old", 100), gen(2, "next", 100)
	for i := 0; i < 100; i++ {
		k := key(i)
		c.Get(old, &k)
	}
	c.Wait()
	oldReads := old.reads.Load()
	for i := 0; i < 100; i++ {
		k := key(i)
		if !c.Warm(next, &k) {
			t.Fatalf("warm %d", i)
		}
	}
	k := key(100)
	if c.Warm(next, &k) {
		t.Fatal("warmed an absent key")
	}
	c.Wait()
	for i := 0; i < 100; i++ {
		k := key(i)
		if v, _ := c.Get(old, &k); string(v) != fmt.Sprintf("old-%d", i) {
			t.Fatalf("old generation after warm-up: %q", v)
		}
		if v, _ := c.Get(next, &k); string(v) != fmt.Sprintf("next-%d", i) {
			t.Fatalf("next generation: %q", v)
		}
	}
	if n := old.reads.Load() - oldReads; n != 0 {
		t.Fatalf("the old generation was read %d times after the warm-up (warm-up evicted it)", n)
	}
	if n := next.reads.Load(); n != 101 {
		t.Fatalf("the next generation was read %d times, want 101 (the warm-up only)", n)
	}
}

// TestConcurrentSwapsNeverMix hammers one key from many goroutines while
// generations change, with warm-ups, and checks each answer matches the
// view it was asked with.
func TestConcurrentSwapsNeverMix(t *testing.T) {
	c := newCache(t, Config{TrackKeys: 64, TrackSampleEvery: 1})
	var cur atomic.Pointer[view]
	cur.Store(gen(1, "g1", 20))
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var bad atomic.Int64
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				v := cur.Load()
				i := rand.IntN(20)
				k := key(i)
				got, err := c.Get(v, &k)
				if err != nil || string(got) != fmt.Sprintf("g%d-%d", v.seq, i) {
					bad.Add(1)
				}
			}
		}()
	}
	for s := uint64(2); s < 300; s++ {
		next := gen(s, fmt.Sprint("g", s), 20)
		for _, k := range c.TopKeys(10) {
			c.Warm(next, &k)
		}
		cur.Store(next)
	}
	close(stop)
	wg.Wait()
	if bad.Load() != 0 {
		t.Fatalf("%d answers did not match their generation", bad.Load())
	}
}

// TestTopKeysFindsHeavyHitters feeds a skewed stream and checks the
// hottest keys come out first, against exact counts.
func TestTopKeysFindsHeavyHitters(t *testing.T) {
	tk := NewTopKeys(256)
	r := rand.New(rand.NewPCG(1, 2))
	z := rand.NewZipf(r, 1.2, 1, 100000)
	exact := map[registry.Key]int{}
	for i := 0; i < 200000; i++ {
		k := key(int(z.Uint64()))
		exact[k]++
		tk.Observe(&k)
	}
	if tk.Len() != 256 {
		t.Fatalf("tracking %d keys", tk.Len())
	}
	top := tk.Top(20)
	for i := range top { // the 20 hottest of a Zipf stream are keys 0..19
		if top[i] != key(i) {
			t.Fatalf("rank %d: got %v (count %d), want key %d (count %d)", i, top[i].Bytes(), exact[top[i]], i, exact[key(i)])
		}
	}
	// Every tracked key must still be findable (the index survived the
	// evictions): observing it again must not evict anything.
	before := tk.Top(256)
	for i := range before {
		tk.Observe(&before[i])
	}
	after := map[registry.Key]bool{}
	for _, k := range tk.Top(256) {
		after[k] = true
	}
	for _, k := range before {
		if !after[k] {
			t.Fatalf("key %v lost from the index", k.Bytes())
		}
	}
	tk.Decay()
	if got := tk.Top(1)[0]; got != key(0) {
		t.Fatalf("after decay, top is %v", got.Bytes())
	}
}
