package main

import (
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/grunndata/grunndata/loader/loadertest"
	"github.com/grunndata/grunndata/registry"
)

// Benchmarks of the lookup handler over a real Pebble generation (the small
// preset). Cache hit: one ristretto lookup and a copy. Cache miss: the cache
// is too small to admit anything, so every request is one Pebble point read.
//
//	go test -run '^$' -bench Lookup -benchmem ./cmd/grunndata/

func benchLookup(b *testing.B, cacheBytes int64, uri func(id ids, i int) string) {
	data, _ := loadertest.Snapshot(b)
	m := MustRunMain(b, data, func(c *ServeConfig) {
		c.Cache.MaxBytes = cacheBytes
		c.Cache.NumCounters = 1 << 16
		c.Index.BlockCacheBytes = 64 << 20
		c.Security.AuditOff = true
	})
	id := findIDs(b, m)
	// Every HER-id of the dataset, so misses walk the whole key range.
	v, _ := m.Store().Acquire()
	var hers []uint64
	v.Scan([]byte{byte(registry.RegParty)}, nil, func(k, _ []byte) bool {
		hers = append(hers, uint64(k[1])<<24|uint64(k[2])<<16|uint64(k[3])<<8|uint64(k[4]))
		return true
	})
	v.Release()
	ctxs := make([]*fasthttp.RequestCtx, len(hers))
	for i, h := range hers {
		id.her = h
		var ctx fasthttp.RequestCtx
		ctx.Request.Header.SetMethod("GET")
		ctx.Request.SetRequestURI(uri(id, i))
		ctxs[i] = &ctx
	}
	for _, ctx := range ctxs { // warm the cache (and Pebble's block cache)
		m.api.Handle(ctx)
	}
	m.cache.Wait()
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		ctx := ctxs[i%len(ctxs)]
		ctx.Response.Reset()
		m.api.Handle(ctx)
		if ctx.Response.StatusCode() != 200 {
			b.Fatalf("status %d", ctx.Response.StatusCode())
		}
		i++
	}
}

func BenchmarkLookupPartyCacheHit(b *testing.B) {
	benchLookup(b, 64<<20, func(id ids, _ int) string { return "/v1/communication-parties/" + u(id.her) })
}

func BenchmarkLookupPartyCacheMiss(b *testing.B) {
	benchLookup(b, 1, func(id ids, _ int) string { return "/v1/communication-parties/" + u(id.her) })
}
