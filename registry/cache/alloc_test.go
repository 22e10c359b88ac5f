//go:build !race

package cache

import (
	"testing"

	"github.com/grunndata/grunndata/registry"
)

// TestTrackedHitAllocatesNothing: with the top-keys tracker counting every
// Get (the worst case of sampling), a cache hit still allocates nothing.
func TestTrackedHitAllocatesNothing(t *testing.T) {
	for _, every := range []int{1, 64} {
		c := newCache(t, Config{TrackKeys: 1024, TrackSampleEvery: every})
		v := gen(1, "g", 2000)
		for i := 0; i < 2000; i++ { // fill the tracker so Observe evicts
			k := key(i)
			c.Get(v, &k)
		}
		c.Wait()
		k := key(7)
		c.Get(v, &k)
		c.Wait()
		allocs := testing.AllocsPerRun(10000, func() {
			if _, err := c.Get(v, &k); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("sample 1/%d: %v allocations per hit", every, allocs)
		}
		// Eviction path of the tracker: new keys every time.
		i := 0
		allocs = testing.AllocsPerRun(10000, func() {
			k := key(i % 2000)
			i++
			c.top.Observe(&k)
		})
		if allocs != 0 {
			t.Errorf("Observe: %v allocations", allocs)
		}
	}
}

func BenchmarkTrackedHit(b *testing.B) {
	for _, every := range []int{0, 1, 64} {
		b.Run(map[int]string{0: "off", 1: "every", 64: "1in64"}[every], func(b *testing.B) {
			cfg := Config{TrackKeys: 1024, TrackSampleEvery: every}
			if every == 0 {
				cfg.TrackKeys = 0
			}
			c := newCache(b, cfg)
			v := gen(1, "g", 100)
			keys := make([]registry.Key, 100) // on the heap, as the server's pooled scratch
			for i := range keys {
				keys[i] = key(i)
				c.Get(v, &keys[i])
			}
			c.Wait()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					c.Get(v, &keys[i%100])
					i++
				}
			})
		})
	}
}
