package server

import (
	"bytes"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/grunndata/grunndata/registry"
	"github.com/grunndata/grunndata/registry/cache"
)

// memStore is a one-generation in-memory registry.Store.
type memStore struct {
	data  map[string][]byte
	reads atomic.Int64
}

func (m *memStore) Acquire() (registry.View, error) { return m, nil }
func (m *memStore) ID() string                      { return "000001" }
func (m *memStore) Seq() uint64                     { return 1 }
func (m *memStore) Release()                        {}
func (m *memStore) Get(dst []byte, key *registry.Key) ([]byte, error) {
	m.reads.Add(1)
	v, ok := m.data[string(key.Bytes())]
	if !ok {
		return dst, registry.ErrNotFound
	}
	return append(dst, v...), nil
}
func (m *memStore) Scan(prefix, from []byte, fn func(k, v []byte) bool) error { return nil }

const (
	testHer = 80001
	testHPR = 1000017
	testNIN = "01810050019" // synthetic (month + 80)
)

var (
	partyBody  = []byte(`{"herId":80001,"name":"Test legesenter"}`)
	personFull = []byte(`{"nin":"01810050019","residentialAddress":{"adressenavn":"Hemmeligveien"}}`)
	hprRecord  = []byte(`{"hprNumber":1000017,"nin":"01810050019","givenName":"Kari","familyName":"Nordmann","approvals":[` +
		`{"authorization":{"code":"1"},"valid":{"from":"1996-06-01","to":"2020-12-31"},"ended":false,"specialities":[],"suspensions":[]}]}`)
	personRest = []byte(`{"nin":"01810050019","addressProtection":"fortrolig","addressesWithheld":true,"residentialAddress":null}`)
)

func newTestServer(tb testing.TB, cacheBytes int64) (*Server, *memStore) {
	tb.Helper()
	n, _, err := registry.ParseNIN([]byte(testNIN))
	if err != nil {
		tb.Fatal(err)
	}
	st := &memStore{data: map[string][]byte{}}
	k := registry.SerialKey(registry.RegParty, testHer)
	st.data[string(k.Bytes())] = registry.AppendValue(nil, 0, partyBody, nil)
	k = registry.PersonKey(n)
	st.data[string(k.Bytes())] = registry.AppendValue(nil, 0, personFull, personRest)
	k = registry.SerialKey(registry.RegPersonnel, testHPR)
	st.data[string(k.Bytes())] = registry.AppendValue(nil, 0, hprRecord, nil)
	c, err := cache.New(cache.Config{MaxBytes: cacheBytes})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	return New(DefaultConfig(), st, c, nil, slog.New(slog.DiscardHandler)), st
}

func request(method, uri string, body []byte) *fasthttp.RequestCtx {
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod(method)
	ctx.Request.SetRequestURI(uri)
	if body != nil {
		ctx.Request.Header.SetContentType("application/json")
		ctx.Request.SetBody(body)
	}
	return &ctx
}

func TestHandlerViewsAndErrors(t *testing.T) {
	s, _ := newTestServer(t, 1<<20)
	cases := []struct {
		name, method, uri, body string
		status                  int
		want                    string
	}{
		{"party", "GET", "/v1/communication-parties/80001", "", 200, string(partyBody)},
		{"party-unknown", "GET", "/v1/communication-parties/80002", "", 404, `"code":"not_found"`},
		{"party-nondigit", "GET", "/v1/communication-parties/8x", "", 400, `"rule":"non-digit"`},
		{"party-leading-zero", "GET", "/v1/communication-parties/080001", "", 400, `"rule":"leading-zero"`},
		{"party-range", "GET", "/v1/communication-parties/99999999999", "", 400, `"rule":"range"`},
		{"party-post", "POST", "/v1/communication-parties/80001", "{}", 405, `"code":"method_not_allowed"`},
		{"org-check-digit", "GET", "/v1/organisations/923609017", "", 400, `"rule":"check-digit"`},
		{"person-restricted", "POST", "/v1/persons/lookup", `{"nin":"01810050019"}`, 200, string(personRest)},
		{"person-spaces", "POST", "/v1/persons/lookup", " { \"nin\" : \"01810050019\" }\n", 200, string(personRest)},
		{"person-k2", "POST", "/v1/persons/lookup", `{"nin":"01810050018"}`, 400, `"rule":"second-check-digit"`},
		{"person-get", "GET", "/v1/persons/lookup", "", 405, `method_not_allowed`},
		{"person-bad-json", "POST", "/v1/persons/lookup", `{"nin":`, 400, `"code":"invalid_body"`},
		{"person-unknown-field", "POST", "/v1/persons/lookup", `{"nin":"01810050019","x":1}`, 400, `unknown field`},
		{"person-no-nin", "POST", "/v1/persons/lookup", `{}`, 400, `missing field`},
		{"person-nin-number", "POST", "/v1/persons/lookup", `{"nin":1810050019}`, 400, `must be a string`},
		{"person-empty", "POST", "/v1/persons/lookup", ``, 400, `empty body`},
		{"no-route", "GET", "/v2/nothing", "", 404, `"code":"no_route"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var body []byte
			if c.body != "" || c.method == "POST" {
				body = []byte(c.body)
			}
			ctx := request(c.method, c.uri, body)
			s.Handle(ctx)
			if got := ctx.Response.StatusCode(); got != c.status {
				t.Fatalf("status %d, want %d: %s", got, c.status, ctx.Response.Body())
			}
			if !bytes.Contains(ctx.Response.Body(), []byte(c.want)) {
				t.Fatalf("body %s lacks %s", ctx.Response.Body(), c.want)
			}
			if c.status >= 400 && string(ctx.Response.Header.ContentType()) != "application/problem+json" {
				t.Fatalf("error content type %q", ctx.Response.Header.ContentType())
			}
			if bytes.Contains(ctx.Response.Body(), []byte("Hemmeligveien")) {
				t.Fatal("protected address in a response to a restricted caller")
			}
		})
	}
}

func TestCacheHitReadsStoreOnce(t *testing.T) {
	s, st := newTestServer(t, 1<<20)
	for i := 0; i < 5; i++ {
		ctx := request("GET", "/v1/communication-parties/80001", nil)
		s.Handle(ctx)
		s.cache.Wait()
	}
	if n := st.reads.Load(); n != 1 {
		t.Fatalf("store reads %d, want 1", n)
	}
}

func BenchmarkHandlerCacheHit(b *testing.B) {
	s, _ := newTestServer(b, 1<<20)
	ctx := request("GET", "/v1/communication-parties/80001", nil)
	s.Handle(ctx)
	s.cache.Wait()
	b.ReportAllocs()
	for b.Loop() {
		ctx.Response.Reset()
		s.Handle(ctx)
	}
}

func BenchmarkHandlerPersonCacheHit(b *testing.B) {
	s, _ := newTestServer(b, 1<<20)
	ctx := request("POST", "/v1/persons/lookup", []byte(`{"nin":"01810050019"}`))
	s.Handle(ctx)
	s.cache.Wait()
	b.ReportAllocs()
	for b.Loop() {
		ctx.Response.Reset()
		s.Handle(ctx)
	}
}

func BenchmarkHandlerInvalidID(b *testing.B) {
	s, _ := newTestServer(b, 1<<20)
	ctx := request("GET", "/v1/communication-parties/80x01", nil)
	b.ReportAllocs()
	for b.Loop() {
		ctx.Response.Reset()
		s.Handle(ctx)
	}
}
