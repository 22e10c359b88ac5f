//go:build !race

package server

import (
	"testing"

	"github.com/grunndata/grunndata/registry/cache"
	"github.com/grunndata/grunndata/registry/query"
)

// TestWarmTrackingCacheHitAllocatesNothing: with the warm-up's key tracker
// on and counting every request (its worst case; serve samples 1 in 64),
// a cache hit through the whole handler still allocates nothing.
func TestWarmTrackingCacheHitAllocatesNothing(t *testing.T) {
	s, _ := newTestServer(t, 1<<20)
	c, err := cache.New(cache.Config{MaxBytes: 1 << 20, TrackKeys: 1024, TrackSampleEvery: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	s.cache, s.q = c, query.New(c, nil, nil, nil) // the engine reads through the tracking cache
	for _, r := range []struct{ method, uri, body string }{
		{"GET", "/v1/communication-parties/80001", ""},
		{"POST", "/v1/persons/lookup", `{"nin":"01810050019"}`},
	} {
		var body []byte
		if r.body != "" {
			body = []byte(r.body)
		}
		ctx := request(r.method, r.uri, body)
		s.Handle(ctx)
		c.Wait()
		if ctx.Response.StatusCode() != 200 {
			t.Fatalf("%s: %d", r.uri, ctx.Response.StatusCode())
		}
		allocs := testing.AllocsPerRun(1000, func() {
			ctx.Response.Reset()
			s.Handle(ctx)
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per tracked request, want 0", r.uri, allocs)
		}
	}
	if keys := c.TopKeys(10); len(keys) != 2 {
		t.Fatalf("tracked %d keys, want 2", len(keys))
	}
}
