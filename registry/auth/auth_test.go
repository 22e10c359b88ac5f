package auth_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/grunndata/grunndata/registry/auth"
	"github.com/grunndata/grunndata/registry/auth/authtest"
)

func b64(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func TestTokenMatrix(t *testing.T) {
	ti := authtest.NewIssuer(t)
	good := ti.Token(t, nil)
	parts := strings.Split(good, ".")
	claims := map[string]any{"iss": authtest.Iss, "aud": authtest.Aud, "exp": ti.Now.Add(time.Hour).Unix(), "client_id": "x",
		"scope": "grunndata:organisation.read"}
	algNone := b64(map[string]string{"alg": "none", "typ": "at+jwt", "kid": "ec-1"}) + "." + b64(claims) + "."
	// HS256 signed with the public key as the HMAC secret: the classic
	// algorithm-confusion attack.
	pub, _ := json.Marshal(ti.EC.Public())
	hsInput := b64(map[string]string{"alg": "HS256", "typ": "at+jwt", "kid": "ec-1"}) + "." + b64(claims)
	mac := hmac.New(sha256.New, pub)
	mac.Write([]byte(hsInput))
	hs256 := hsInput + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	tampered := parts[0] + "." + b64(map[string]any{"iss": authtest.Iss, "aud": authtest.Aud, "exp": ti.Now.Add(time.Hour).Unix(),
		"client_id": "epj-vendor-1", "scope": "grunndata:person.read-protected"}) + "." + parts[2]

	cases := []struct {
		name   string
		header string
		want   *auth.Error
	}{
		{"good", "Bearer " + good, nil},
		{"good-rs256", "Bearer " + ti.Token(t, func(o *authtest.TokenOpts) { o.Alg, o.Key, o.Kid = jose.RS256, &ti.RSA, "rsa-1" }), nil},
		{"good-ps256", "Bearer " + ti.Token(t, func(o *authtest.TokenOpts) { o.Alg, o.Key, o.Kid = jose.PS256, &ti.RSA, "rsa-1" }), nil},
		{"good-lowercase-scheme", "bearer " + good, nil},
		{"none", "", auth.ErrNoToken},
		{"basic", "Basic dXNlcjpwYXNz", auth.ErrNotBearer},
		{"empty-bearer", "Bearer ", auth.ErrNoToken},
		{"garbage", "Bearer not.a.token", auth.ErrMalformed},
		{"expired", "Bearer " + ti.Token(t, func(o *authtest.TokenOpts) { o.Exp = ti.Now.Add(-time.Minute) }), auth.ErrExpired},
		{"expired-within-leeway", "Bearer " + ti.Token(t, func(o *authtest.TokenOpts) { o.Exp = ti.Now.Add(-10 * time.Second) }), nil},
		{"not-yet-valid", "Bearer " + ti.Token(t, func(o *authtest.TokenOpts) { o.Nbf = ti.Now.Add(time.Minute) }), auth.ErrNotYetValid},
		{"no-exp", "Bearer " + ti.Token(t, func(o *authtest.TokenOpts) { o.NoExp = true }), auth.ErrNoExpiry},
		{"wrong-iss", "Bearer " + ti.Token(t, func(o *authtest.TokenOpts) { o.Iss = "https://evil.test" }), auth.ErrIssuer},
		{"wrong-aud", "Bearer " + ti.Token(t, func(o *authtest.TokenOpts) { o.Aud = "someone-else" }), auth.ErrAudience},
		{"wrong-typ", "Bearer " + ti.Token(t, func(o *authtest.TokenOpts) { o.Typ = "JWT" }), auth.ErrType},
		{"typ-application-prefix", "Bearer " + ti.Token(t, func(o *authtest.TokenOpts) { o.Typ = "application/at+jwt" }), nil},
		{"no-client-id", "Bearer " + ti.Token(t, func(o *authtest.TokenOpts) { o.ClientID = "" }), auth.ErrNoClientID},
		{"alg-none", "Bearer " + algNone, auth.ErrMalformed},
		{"hs256-public-key-secret", "Bearer " + hs256, auth.ErrMalformed},
		{"unknown-kid", "Bearer " + ti.Token(t, func(o *authtest.TokenOpts) { o.Kid = "nope" }), auth.ErrUnknownKid},
		{"key-of-other-kid", "Bearer " + ti.Token(t, func(o *authtest.TokenOpts) { o.Kid = "rsa-1" }), auth.ErrSignature},
		{"tampered-payload", "Bearer " + tampered, auth.ErrSignature},
	}
	a := ti.Authenticator(t, nil)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := a.Authenticate([]byte(c.header))
			if err != c.want {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if c.want == nil && (p == nil || p.ClientID == "" || p.Scopes&auth.ScopeOrganisationRead == 0) {
				t.Fatalf("principal %+v", p)
			}
			if c.name == "good" && p.OrgnrParent != "999999999" {
				t.Fatalf("orgnr_parent %q", p.OrgnrParent)
			}
		})
	}
	// Verified: five distinct good tokens (the lowercase scheme reuses the
	// cached "good" one). Refused: every bad token; a missing or non-Bearer
	// header is no token and is not counted.
	if v, r := a.Stats(); v != 5 || r != 13 {
		t.Fatalf("stats: %d verified, %d refused", v, r)
	}
	// A cached token stops working when it expires.
	ti.Now = ti.Now.Add(2 * time.Hour)
	if _, err := a.Authenticate([]byte("Bearer " + good)); err != auth.ErrExpired {
		t.Fatalf("cached token after expiry: %v", err)
	}
}

// TestScopeClaims: the scope claim as a string or an array; unknown names
// are ignored; a token's scopes are exactly the known names it lists.
func TestScopeClaims(t *testing.T) {
	ti := authtest.NewIssuer(t)
	a := ti.Authenticator(t, nil)
	for _, c := range []struct {
		scope string
		want  auth.Scope
	}{
		{"", 0},
		{"grunndata:person.read", auth.ScopePersonRead},
		{"grunndata:person.read  grunndata:admin", auth.ScopePersonRead | auth.ScopeAdmin},
		{"grunndata:person.read-protected other:scope", auth.ScopePersonReadProtected},
		{"GRUNNDATA:PERSON.READ", 0}, // names are case-sensitive
		{strings.Join(auth.ScopeNames(), " "), auth.ScopeOrganisationRead | auth.ScopePersonnelRead | auth.ScopePersonRead |
			auth.ScopePersonReadProtected | auth.ScopeGPRead | auth.ScopeAINWrite | auth.ScopeAdmin | auth.ScopePersonFeed},
	} {
		p, err := a.Authenticate([]byte("Bearer " + ti.Token(t, func(o *authtest.TokenOpts) { o.Scope = c.scope })))
		if err != nil {
			t.Fatalf("%q: %v", c.scope, err)
		}
		if p.Scopes != c.want {
			t.Errorf("%q: scopes %v, want %v", c.scope, p.Scopes, c.want)
		}
	}
}

func TestScopeNames(t *testing.T) {
	names := auth.ScopeNames()
	if len(names) != 8 {
		t.Fatalf("%d scope names", len(names))
	}
	var all auth.Scope
	for _, n := range names {
		s, ok := auth.ParseScope(n)
		if !ok || s == 0 || s&(s-1) != 0 || all&s != 0 {
			t.Fatalf("%s: scope %b ok=%v (one new bit each)", n, s, ok)
		}
		all |= s
		if s.String() != n {
			t.Fatalf("%s prints as %q", n, s.String())
		}
	}
	if _, ok := auth.ParseScope("grunndata:everything"); ok {
		t.Fatal("unknown scope parsed")
	}
	if got := (auth.ScopePersonRead | auth.ScopePersonReadProtected).String(); got != "grunndata:person.read grunndata:person.read-protected" {
		t.Fatalf("String() = %q", got)
	}
}

func TestRateLimit(t *testing.T) {
	ti := authtest.NewIssuer(t)
	a := ti.Authenticator(t, func(c *auth.Config) { c.RatePerSecond, c.Burst = 1, 3 })
	p, err := a.Authenticate([]byte("Bearer " + ti.Token(t, nil)))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if ok, _ := p.Allow(ti.Now); !ok {
			t.Fatalf("request %d limited within the burst", i)
		}
	}
	ok, retry := p.Allow(ti.Now)
	if ok || retry <= 0 || retry > time.Second {
		t.Fatalf("4th request: ok=%v retry=%v", ok, retry)
	}
	if ok, _ := p.Allow(ti.Now.Add(time.Second)); !ok {
		t.Fatal("not refilled after a second")
	}
	// The limit is the client's, not the token's: a second token of the
	// same client shares it; another client has its own.
	p2, err := a.Authenticate([]byte("Bearer " + ti.Token(t, func(o *authtest.TokenOpts) { o.Exp = ti.Now.Add(2 * time.Hour) })))
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := p2.Allow(ti.Now.Add(time.Second)); ok {
		t.Fatal("a second token of the client escaped its limit")
	}
	p3, err := a.Authenticate([]byte("Bearer " + ti.Token(t, func(o *authtest.TokenOpts) { o.ClientID = "other" })))
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := p3.Allow(ti.Now.Add(time.Second)); !ok {
		t.Fatal("another client limited by the first one's requests")
	}
}

func TestRateLimitConfig(t *testing.T) {
	ti := authtest.NewIssuer(t)
	for _, c := range []struct {
		name        string
		rate, burst float64
		allowed     int // requests allowed at one instant
	}{
		{"off", 0, 0, 1000},
		{"burst", 10, 5, 5},
		{"burst-below-one-is-a-second", 4, 0, 4},
		{"fraction-rate-burst-below-one", 0.5, 0, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := ti.Authenticator(t, func(cf *auth.Config) { cf.RatePerSecond, cf.Burst = c.rate, c.burst })
			p, err := a.Authenticate([]byte("Bearer " + ti.Token(t, nil)))
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for n < 1000 {
				if ok, _ := p.Allow(ti.Now); !ok {
					break
				}
				n++
			}
			if n != c.allowed {
				t.Fatalf("%d requests allowed, want %d", n, c.allowed)
			}
		})
	}
}

func TestRequireAdmin(t *testing.T) {
	ti := authtest.NewIssuer(t)
	a := ti.Authenticator(t, nil)
	for _, c := range []struct {
		name, header string
		want         *auth.Error
	}{
		{"admin", "Bearer " + ti.Token(t, func(o *authtest.TokenOpts) { o.Scope = "grunndata:admin" }), nil},
		{"no-admin-scope", "Bearer " + ti.Token(t, nil), auth.ErrNotAdmin},
		{"no-token", "", auth.ErrNoToken},
		{"bad-token", "Bearer x.y.z", auth.ErrMalformed},
	} {
		p, err := a.RequireAdmin([]byte(c.header))
		if err != c.want || (err == nil) != (p != nil) {
			t.Errorf("%s: %v, %v; want %v", c.name, p, err, c.want)
		}
	}
	if auth.ErrNotAdmin.Status != 403 {
		t.Fatal("ErrNotAdmin is not a 403")
	}
}

func TestDisabledIsAnonymous(t *testing.T) {
	a, err := auth.New(auth.Config{})
	if err != nil {
		t.Fatal(err)
	}
	p, aerr := a.Authenticate(nil)
	if aerr != nil || p != auth.Anonymous() {
		t.Fatalf("%v %v", p, aerr)
	}
	if p.Scopes&auth.ScopePersonReadProtected != 0 || p.Scopes&auth.ScopePersonRead == 0 {
		t.Fatalf("anonymous scopes %v", p.Scopes)
	}
	if ok, _ := p.Allow(time.Now()); !ok {
		t.Fatal("anonymous rate limited")
	}
	if _, err := auth.New(auth.Config{Enabled: true}); err == nil {
		t.Fatal("enabled without keys accepted")
	}
}

func TestErrors(t *testing.T) {
	for _, e := range auth.TokenErrors() {
		if e.Status != 401 || e.Error() == "" {
			t.Errorf("%v: status %d", e, e.Status)
		}
		h := e.WWWAuthenticate()
		if !strings.HasPrefix(h, `Bearer realm="grunndata"`) {
			t.Errorf("%v: WWW-Authenticate %q", e, h)
		}
		if (e.Code == "invalid_token") != strings.Contains(h, `error="invalid_token"`) {
			t.Errorf("%v (%s): WWW-Authenticate %q", e, e.Code, h)
		}
	}
}

func TestJWKS(t *testing.T) {
	ti := authtest.NewIssuer(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "jwks.json")
	write := func(keys ...jose.JSONWebKey) {
		b, err := json.Marshal(jose.JSONWebKeySet{Keys: keys})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(ti.EC.Public())
	j, err := auth.NewJWKS(p, 0)
	if err != nil {
		t.Fatal(err)
	}
	if k, err := j.Key("ec-1", false); err != nil || k.KeyID != "ec-1" {
		t.Fatalf("ec-1: %v %v", k, err)
	}
	if _, err := j.Key("rsa-1", false); err == nil {
		t.Fatal("rsa-1 found before it was published")
	}
	// A key published later is found by the reload an unknown kid asks for.
	write(ti.EC.Public(), ti.RSA.Public())
	if k, err := j.Key("rsa-1", true); err != nil || k.KeyID != "rsa-1" {
		t.Fatalf("rsa-1 after reload: %v %v", k, err)
	}
	// Reloads are rate-limited.
	j2, err := auth.NewJWKS(p, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	write(ti.EC.Public())
	if _, err := j2.Key("rsa-1", true); err != nil {
		t.Fatalf("reload within MinRefresh dropped the key: %v", err)
	}
	// Private keys and non-loopback http are refused.
	write(ti.EC)
	if _, err := auth.NewJWKS(p, 0); err == nil || !strings.Contains(err.Error(), "not a public key") {
		t.Fatalf("private key: %v", err)
	}
	if _, err := auth.NewJWKS("http://example.test/jwks", 0); err == nil || !strings.Contains(err.Error(), "https") {
		t.Fatalf("plain http: %v", err)
	}
	if _, err := auth.NewJWKS(filepath.Join(dir, "missing.json"), 0); err == nil {
		t.Fatal("missing file accepted")
	}
}

func FuzzAuthenticate(f *testing.F) {
	ti := authtest.NewIssuer(f)
	a := ti.Authenticator(f, nil)
	f.Add([]byte("Bearer " + ti.Token(f, nil)))
	f.Add([]byte("Bearer a.b.c"))
	f.Add([]byte("Bearer eyJhbGciOiJub25lIn0.e30."))
	f.Add([]byte("bearer"))
	f.Fuzz(func(t *testing.T, h []byte) {
		p, err := a.Authenticate(h)
		if (p == nil) == (err == nil) {
			t.Fatalf("principal %v and error %v", p, err)
		}
	})
}

// BenchmarkAuthenticateCached is the per-request cost of a keep-alive
// client's cached token, on every core (the token cache is read by every
// request).
func BenchmarkAuthenticateCached(b *testing.B) {
	ti := authtest.NewIssuer(b)
	a := ti.Authenticator(b, func(c *auth.Config) { c.RatePerSecond = 0 })
	h := []byte("Bearer " + ti.Token(b, nil))
	if _, err := a.Authenticate(h); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := a.Authenticate(h); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// TestTokenCacheSecondLevel: cached tokens sharing a slot of the lock-free
// front (600 tokens in 4096 slots: about 40 pairs share one) are all
// answered from the cache, each with its own principal, without verifying a
// signature again; when the cache is full, tokens are verified again rather
// than refused.
func TestTokenCacheSecondLevel(t *testing.T) {
	ti := authtest.NewIssuer(t)
	const n = 600
	a := ti.Authenticator(t, nil)
	small := ti.Authenticator(t, func(c *auth.Config) { c.CacheEntries = 100 })
	hdrs := make([][]byte, n)
	first := make([]*auth.Principal, n)
	for i := range hdrs {
		id := "client-" + strconv.Itoa(i)
		hdrs[i] = []byte("Bearer " + ti.Token(t, func(o *authtest.TokenOpts) { o.ClientID = id }))
		p, err := a.Authenticate(hdrs[i])
		if err != nil {
			t.Fatal(err)
		}
		first[i] = p
	}
	for round := 0; round < 2; round++ {
		for i, h := range hdrs {
			p, err := a.Authenticate(h)
			if err != nil || p != first[i] || p.ClientID != "client-"+strconv.Itoa(i) {
				t.Fatalf("round %d token %d: %v %v", round, i, p, err)
			}
		}
	}
	if v, r := a.Stats(); v != n || r != 0 {
		t.Fatalf("%d verified, %d refused; want %d, 0", v, r, n)
	}
	for _, h := range hdrs[:300] {
		if _, err := small.Authenticate(h); err != nil {
			t.Fatal(err)
		}
	}
	for _, h := range hdrs[:300] {
		if _, err := small.Authenticate(h); err != nil {
			t.Fatal(err)
		}
	}
	// Every token expires at once, cached in the front or only behind it.
	ti.Now = ti.Now.Add(2 * time.Hour)
	for i, h := range hdrs {
		if _, err := a.Authenticate(h); err != auth.ErrExpired {
			t.Fatalf("token %d after expiry: %v", i, err)
		}
	}
}
