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

// BenchmarkPersonSearch: person search on the small preset by its most
// common family-name word alone, and with a birth date of one of those
// persons (the search then reads that day's births, not every bearer of
// the name: registry/query/rarest.go). Audit off: the search's cost only.
//
//	go test -run '^$' -bench PersonSearch -benchmem ./cmd/grunndata/
func BenchmarkPersonSearch(b *testing.B) {
	data, _ := loadertest.Snapshot(b)
	m := MustRunMain(b, data, func(c *ServeConfig) { c.Security.AuditOff = true })
	v, err := m.Store().Acquire()
	if err != nil {
		b.Fatal(err)
	}
	counts := map[string]int{}
	birth := map[string]string{}
	v.Scan([]byte{byte(registry.IdxPersonFamily)}, nil, func(k, val []byte) bool {
		w := string(k[1 : len(k)-12])
		counts[w]++
		var s registry.PersonSummary
		if registry.DecodePersonSummary(val, &s) && s.BirthDate != "" {
			birth[w] = s.BirthDate
		}
		return true
	})
	v.Release()
	common := ""
	for w, n := range counts {
		if n > counts[common] || n == counts[common] && w < common {
			common = w
		}
	}
	b.Logf("family word %q: %d persons", common, counts[common])
	for _, c := range []struct{ name, body string }{
		{"common-family", `{"familyName":"` + common + `","limit":10}`},
		{"common-family+birthDate", `{"familyName":"` + common + `","birthDate":"` + birth[common] + `","limit":10}`},
	} {
		b.Run(c.name, func(b *testing.B) {
			var ctx fasthttp.RequestCtx
			b.ReportAllocs()
			for b.Loop() {
				ctx.Request.Reset()
				ctx.Response.Reset()
				ctx.Request.Header.SetMethod("POST")
				ctx.Request.Header.SetContentType("application/json")
				ctx.Request.SetRequestURI("/v1/persons/search")
				ctx.Request.SetBodyString(c.body)
				m.api.Handle(&ctx)
				if ctx.Response.StatusCode() != 200 {
					b.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
				}
			}
		})
	}
}
