//go:build !race

package server

import (
	"bytes"
	"testing"

	"github.com/grunndata/grunndata/registry"
	"github.com/grunndata/grunndata/registry/auth"
	"github.com/grunndata/grunndata/registry/auth/authtest"
)

// TestCacheHitAllocatesNothing proves the hot path's budget: a cache hit
// (and an invalid id) costs zero allocations per request.
func TestCacheHitAllocatesNothing(t *testing.T) {
	s, _ := newTestServer(t, 1<<20)
	for _, c := range []struct{ name, method, uri, body string }{
		{"party", "GET", "/v1/communication-parties/80001", ""},
		{"person", "POST", "/v1/persons/lookup", `{"nin":"01810050019"}`},
		{"personnel", "GET", "/v1/personnel/1000017", ""}, // the stored record (HPR encodes once)
		{"invalid-id", "GET", "/v1/communication-parties/80x01", ""},
		{"not-found-cached-miss-path", "GET", "/v1/organisations/923609016", ""},
	} {
		var body []byte
		if c.body != "" {
			body = []byte(c.body)
		}
		ctx := request(c.method, c.uri, body)
		s.Handle(ctx)
		s.cache.Wait()
		if c.name == "personnel" && (ctx.Response.StatusCode() != 200 || !bytes.Equal(ctx.Response.Body(), hprRecord)) {
			t.Fatalf("personnel: %d %s, want the stored record", ctx.Response.StatusCode(), ctx.Response.Body())
		}
		if c.name == "not-found-cached-miss-path" {
			continue // a miss reads the store; misses may allocate
		}
		allocs := testing.AllocsPerRun(1000, func() {
			ctx.Response.Reset()
			s.Handle(ctx)
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per request, want 0", c.name, allocs)
		}
	}
}

// TestAuthenticatedCacheHitAllocatesNothing: with authentication on, a
// keep-alive client's verified token is cached, so the hot path stays at
// zero allocations.
func TestAuthenticatedCacheHitAllocatesNothing(t *testing.T) {
	ti := authtest.NewIssuer(t)
	s, _ := newTestServer(t, 1<<20)
	s.cfg.Auth = ti.Authenticator(t, func(c *auth.Config) { c.RatePerSecond = 1e9; c.Burst = 1e9 })
	tok := "Bearer " + ti.Token(t, nil)
	ctx := request("GET", "/v1/communication-parties/80001", nil)
	ctx.Request.Header.Set("Authorization", tok)
	s.Handle(ctx)
	if ctx.Response.StatusCode() != 200 {
		t.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
	}
	s.cache.Wait()
	allocs := testing.AllocsPerRun(1000, func() {
		ctx.Response.Reset()
		s.Handle(ctx)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per authenticated request, want 0", allocs)
	}
}

// TestPersonnelAtTime: without ?atTime the stored record is served as
// stored; with it, the record as of the instant (registry.PersonnelAt).
func TestPersonnelAtTime(t *testing.T) {
	s, _ := newTestServer(t, 1<<20)
	for _, c := range []struct {
		uri    string
		status int
		want   string
	}{
		{"/v1/personnel/1000017", 200, string(hprRecord)},
		{"/v1/personnel/1000017?atTime=2019-01-01", 200, `"valid":true`},
		{"/v1/personnel/1000017?atTime=2021-01-01T00:00:00Z", 200, `"approvals":[],"atTime":"2021-01-01T00:00:00Z"`},
		{"/v1/personnel/1000017?atTime=yesterday", 400, `"field":"atTime"`},
	} {
		ctx := request("GET", c.uri, nil)
		s.Handle(ctx)
		if ctx.Response.StatusCode() != c.status || !bytes.Contains(ctx.Response.Body(), []byte(c.want)) {
			t.Errorf("%s: %d %s, want %d and %s", c.uri, ctx.Response.StatusCode(), ctx.Response.Body(), c.status, c.want)
		}
	}
}

// TestGPCacheHitAllocatesNothing: the GP lookup, including the check of the
// patient's current protection and the withheld answer, stays at zero
// allocations on a cache hit.
func TestGPCacheHitAllocatesNothing(t *testing.T) {
	s, st := newTestServer(t, 1<<20)
	n, _, _ := registry.ParseNIN([]byte(testNIN))
	k := registry.GPPatientKey(n)
	st.data[string(k.Bytes())] = registry.AppendValue(nil, 0, []byte(`{"patientNin":"`+testNIN+`","gpContractId":1}`), nil)
	z := registry.PersonExistsKey(n)
	for _, flags := range []byte{0, registry.FlagRestricted} {
		s.cache.Clear()
		st.data[string(z.Bytes())] = []byte{flags}
		ctx := request("POST", "/v1/gp/lookup", []byte(`{"nin":"`+testNIN+`"}`))
		s.Handle(ctx)
		s.cache.Wait()
		if allocs := testing.AllocsPerRun(1000, func() {
			ctx.Response.Reset()
			s.Handle(ctx)
		}); allocs != 0 {
			t.Errorf("flags %d: %v allocations per GP lookup, want 0", flags, allocs)
		}
	}
}
