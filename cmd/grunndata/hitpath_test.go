package main

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/grunndata/grunndata/loader/loadertest"
	"github.com/grunndata/grunndata/registry"
)

// The cache-hit path on the real serving stack: an index.Store (refcounted
// generations) over the small generation, the cache, token verification and
// the audit log all on, as `grunndata serve` runs them.

// hitMain serves the small generation with authentication and the audit log
// on; it returns the Main and a bearer header with every read scope.
func hitMain(tb testing.TB) (*Main, string) {
	tb.Helper()
	data, _ := loadertest.Snapshot(tb)
	keyDir := tb.TempDir()
	key, err := devKey(keyDir)
	if err != nil {
		tb.Fatal(err)
	}
	m := MustRunMain(tb, data, func(c *ServeConfig) {
		c.Cache.MaxBytes = 64 << 20
		c.Security.AuthOff = false
		c.Security.AuditOff = false
		c.Security.JWKS = filepath.Join(keyDir, devJWKSFile)
		c.Security.Auth.Issuer, c.Security.Auth.Audience = devIssuer, devAudience
		c.Security.Auth.RatePerSecond, c.Security.Auth.Burst = 1e9, 1e9
	})
	if m.Config.Security.AuditOff {
		tb.Fatal("the audit log is off")
	}
	tok, err := mintToken(key, TokenClaims{Scopes: []string{"grunndata:organisation.read", "grunndata:personnel.read",
		"grunndata:gp.read"}, ClientID: "epj-bench", TTL: time.Hour, Issuer: devIssuer, Audience: devAudience}, time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	return m, "Bearer " + tok
}

func hitRequest(method, uri, auth string) *fasthttp.RequestCtx {
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod(method)
	ctx.Request.SetRequestURI(uri)
	ctx.Request.Header.Set("Authorization", auth)
	return &ctx
}

// storedFull returns the stored full view of key in the active generation.
func storedFull(tb testing.TB, m *Main, key registry.Key) []byte {
	tb.Helper()
	v, err := m.Store().Acquire()
	if err != nil {
		tb.Fatal(err)
	}
	defer v.Release()
	val, err := v.Get(nil, &key)
	if err != nil {
		tb.Fatal(err)
	}
	_, full, _, err := registry.DecodeValue(val)
	if err != nil {
		tb.Fatal(err)
	}
	return full
}

// hitAllocs measures fn's allocations per run. testing.AllocsPerRun counts
// the whole process: the daemon's background work (Pebble, the follow loop)
// allocates meanwhile, so it takes the least of three measurements. An
// allocation of fn itself shows in every one.
func hitAllocs(fn func()) float64 {
	least := testing.AllocsPerRun(5000, fn)
	for range 2 {
		least = min(least, testing.AllocsPerRun(5000, fn))
	}
	return least
}

// TestCacheHitAllocatesNothing: on the real store with authentication and
// the audit log on, a cache hit answers 200 with the stored bytes and costs
// zero allocations per request.
func TestCacheHitAllocatesNothing(t *testing.T) {
	m, auth := hitMain(t)
	id := findIDs(t, m)
	o, err := registry.ParseOrgnr([]byte(id.orgnr))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, uri string
		key       registry.Key
	}{
		{"communication-party", "/v1/communication-parties/" + u(id.her), registry.SerialKey(registry.RegParty, id.her)},
		{"organisation", "/v1/organisations/" + id.orgnr, registry.OrgKey(o)},
		{"resh", "/v1/resh/" + u(id.resh), registry.SerialKey(registry.RegResh, id.resh)},
		{"gp-contract", "/v1/gp-contracts/" + u(id.contract), registry.SerialKey(registry.RegGPContract, id.contract)},
	} {
		want := storedFull(t, m, c.key)
		ctx := hitRequest("GET", c.uri, auth)
		m.api.Handle(ctx)
		m.cache.Wait()
		check := func() {
			if st := ctx.Response.StatusCode(); st != 200 || !bytes.Equal(ctx.Response.Body(), want) {
				t.Fatalf("%s: status %d, body %.200s; want 200 and the stored record", c.name, st, ctx.Response.Body())
			}
		}
		check()
		allocs := hitAllocs(func() {
			ctx.Response.Reset()
			m.api.Handle(ctx)
		})
		check()
		if allocs != 0 {
			t.Errorf("%s: %v allocations per cache hit, want 0", c.name, allocs)
		}
	}
}

// BenchmarkCacheHitParallel: the cache-hit path with authentication (and the
// audit log) on, from as many goroutines as GOMAXPROCS, each with its own
// connection context. Compare cores with -cpu:
//
//	go test -run '^$' -bench CacheHitParallel -benchmem -cpu 1,2 ./cmd/grunndata/
func BenchmarkCacheHitParallel(b *testing.B) {
	m, auth := hitMain(b)
	id := findIDs(b, m)
	uri := "/v1/communication-parties/" + u(id.her)
	warm := hitRequest("GET", uri, auth)
	m.api.Handle(warm)
	m.cache.Wait()
	if warm.Response.StatusCode() != 200 {
		b.Fatalf("status %d: %s", warm.Response.StatusCode(), warm.Response.Body())
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := hitRequest("GET", uri, auth)
		for pb.Next() {
			ctx.Response.Reset()
			m.api.Handle(ctx)
			if ctx.Response.StatusCode() != 200 {
				b.Errorf("status %d", ctx.Response.StatusCode())
				return
			}
		}
	})
}
