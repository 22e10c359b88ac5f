package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// staticKeys is a KeySource over a fixed set.
type staticKeys struct{ set jose.JSONWebKeySet }

func (s staticKeys) Key(kid string, _ bool) (*jose.JSONWebKey, error) {
	if k := s.set.Key(kid); len(k) > 0 {
		return &k[0], nil
	}
	return nil, errUnknownKid
}

type testIssuer struct {
	ec, rsa jose.JSONWebKey
	keys    staticKeys
	now     time.Time
}

const (
	testIss = "https://helseid.test"
	testAud = "grunndata"
)

func newTestIssuer(tb testing.TB) *testIssuer {
	tb.Helper()
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	ti := &testIssuer{
		ec:  jose.JSONWebKey{Key: ek, KeyID: "ec-1", Algorithm: "ES256", Use: "sig"},
		rsa: jose.JSONWebKey{Key: rk, KeyID: "rsa-1", Use: "sig"},
		now: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC),
	}
	ti.keys = staticKeys{jose.JSONWebKeySet{Keys: []jose.JSONWebKey{ti.ec.Public(), ti.rsa.Public()}}}
	return ti
}

type tokenOpts struct {
	alg      jose.SignatureAlgorithm
	key      *jose.JSONWebKey
	kid      string
	typ      string
	iss, aud string
	nbf, exp time.Time
	scope    string
	clientID string
	noExp    bool
}

func (ti *testIssuer) token(tb testing.TB, mod func(*tokenOpts)) string {
	tb.Helper()
	o := tokenOpts{alg: jose.ES256, key: &ti.ec, kid: "ec-1", typ: "at+jwt", iss: testIss, aud: testAud,
		nbf: ti.now.Add(-time.Minute), exp: ti.now.Add(time.Hour), scope: "grunndata:organisation.read grunndata:person.read",
		clientID: "epj-vendor-1"}
	if mod != nil {
		mod(&o)
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: o.alg, Key: o.key.Key},
		(&jose.SignerOptions{}).WithType(jose.ContentType(o.typ)).WithHeader("kid", o.kid))
	if err != nil {
		tb.Fatal(err)
	}
	std := jwt.Claims{Issuer: o.iss, Audience: jwt.Audience{o.aud}, NotBefore: jwt.NewNumericDate(o.nbf)}
	if !o.noExp {
		std.Expiry = jwt.NewNumericDate(o.exp)
	}
	s, err := jwt.Signed(sig).Claims(std).Claims(map[string]any{"scope": o.scope, "client_id": o.clientID,
		"helseid://claims/client/claims/orgnr_parent": "999999999"}).Serialize()
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func (ti *testIssuer) authenticator(tb testing.TB, mod func(*AuthConfig)) *Authenticator {
	tb.Helper()
	cfg := DefaultAuthConfig()
	cfg.Keys, cfg.Issuer, cfg.Audience = ti.keys, testIss, testAud
	cfg.Now = func() time.Time { return ti.now }
	if mod != nil {
		mod(&cfg)
	}
	a, err := NewAuthenticator(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

func b64(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func TestTokenMatrix(t *testing.T) {
	ti := newTestIssuer(t)
	good := ti.token(t, nil)
	parts := strings.Split(good, ".")
	claims := map[string]any{"iss": testIss, "aud": testAud, "exp": ti.now.Add(time.Hour).Unix(), "client_id": "x",
		"scope": "grunndata:organisation.read"}
	algNone := b64(map[string]string{"alg": "none", "typ": "at+jwt", "kid": "ec-1"}) + "." + b64(claims) + "."
	// HS256 signed with the public key as the HMAC secret: the classic
	// algorithm-confusion attack.
	pub, _ := json.Marshal(ti.ec.Public())
	hsInput := b64(map[string]string{"alg": "HS256", "typ": "at+jwt", "kid": "ec-1"}) + "." + b64(claims)
	mac := hmac.New(sha256.New, pub)
	mac.Write([]byte(hsInput))
	hs256 := hsInput + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	tampered := parts[0] + "." + b64(map[string]any{"iss": testIss, "aud": testAud, "exp": ti.now.Add(time.Hour).Unix(),
		"client_id": "epj-vendor-1", "scope": "grunndata:person.read-protected"}) + "." + parts[2]

	cases := []struct {
		name   string
		header string
		want   *authError
	}{
		{"good", "Bearer " + good, nil},
		{"good-rs256", "Bearer " + ti.token(t, func(o *tokenOpts) { o.alg, o.key, o.kid = jose.RS256, &ti.rsa, "rsa-1" }), nil},
		{"good-ps256", "Bearer " + ti.token(t, func(o *tokenOpts) { o.alg, o.key, o.kid = jose.PS256, &ti.rsa, "rsa-1" }), nil},
		{"good-lowercase-scheme", "bearer " + good, nil},
		{"none", "", errNoToken},
		{"basic", "Basic dXNlcjpwYXNz", errNotBearer},
		{"empty-bearer", "Bearer ", errNoToken},
		{"garbage", "Bearer not.a.token", errMalformed},
		{"expired", "Bearer " + ti.token(t, func(o *tokenOpts) { o.exp = ti.now.Add(-time.Minute) }), errExpired},
		{"expired-within-leeway", "Bearer " + ti.token(t, func(o *tokenOpts) { o.exp = ti.now.Add(-10 * time.Second) }), nil},
		{"not-yet-valid", "Bearer " + ti.token(t, func(o *tokenOpts) { o.nbf = ti.now.Add(time.Minute) }), errNotYetValid},
		{"no-exp", "Bearer " + ti.token(t, func(o *tokenOpts) { o.noExp = true }), errNoExpiry},
		{"wrong-iss", "Bearer " + ti.token(t, func(o *tokenOpts) { o.iss = "https://evil.test" }), errIssuer},
		{"wrong-aud", "Bearer " + ti.token(t, func(o *tokenOpts) { o.aud = "someone-else" }), errAudience},
		{"wrong-typ", "Bearer " + ti.token(t, func(o *tokenOpts) { o.typ = "JWT" }), errType},
		{"typ-application-prefix", "Bearer " + ti.token(t, func(o *tokenOpts) { o.typ = "application/at+jwt" }), nil},
		{"no-client-id", "Bearer " + ti.token(t, func(o *tokenOpts) { o.clientID = "" }), errNoClientID},
		{"alg-none", "Bearer " + algNone, errMalformed},
		{"hs256-public-key-secret", "Bearer " + hs256, errMalformed},
		{"unknown-kid", "Bearer " + ti.token(t, func(o *tokenOpts) { o.kid = "nope" }), errUnknownKid},
		{"key-of-other-kid", "Bearer " + ti.token(t, func(o *tokenOpts) { o.kid = "rsa-1" }), errSignature},
		{"tampered-payload", "Bearer " + tampered, errSignature},
	}
	a := ti.authenticator(t, nil)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := a.Authenticate([]byte(c.header))
			if err != c.want {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if c.want == nil && (p == nil || p.ClientID == "" || p.Scopes&ScopeOrganisationRead == 0) {
				t.Fatalf("principal %+v", p)
			}
			if c.name == "good" && p.OrgnrParent != "999999999" {
				t.Fatalf("orgnr_parent %q", p.OrgnrParent)
			}
		})
	}
	// A cached token stops working when it expires.
	ti.now = ti.now.Add(2 * time.Hour)
	if _, err := a.Authenticate([]byte("Bearer " + good)); err != errExpired {
		t.Fatalf("cached token after expiry: %v", err)
	}
}

func TestRateLimit(t *testing.T) {
	ti := newTestIssuer(t)
	a := ti.authenticator(t, func(c *AuthConfig) { c.RatePerSecond, c.Burst = 1, 3 })
	h := []byte("Bearer " + ti.token(t, nil))
	p, err := a.Authenticate(h)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if ok, _ := p.bucket.take(ti.now); !ok {
			t.Fatalf("request %d limited within the burst", i)
		}
	}
	ok, retry := p.bucket.take(ti.now)
	if ok || retry <= 0 || retry > time.Second {
		t.Fatalf("4th request: ok=%v retry=%v", ok, retry)
	}
	if ok, _ := p.bucket.take(ti.now.Add(time.Second)); !ok {
		t.Fatal("not refilled after a second")
	}
}

func FuzzAuthenticate(f *testing.F) {
	ti := newTestIssuer(f)
	a := ti.authenticator(f, nil)
	f.Add([]byte("Bearer " + ti.token(f, nil)))
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

func FuzzParseNINBody(f *testing.F) {
	for _, s := range []string{`{"nin":"01810050019"}`, ` {"nin" : "1"} `, `{"nin":"\u0030"}`, `{}`, `[]`, `{"nin":1}`, `{"nin":"1","x":2}`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		nin, err := parseNINBody(b)
		if err == nil && nin == nil {
			t.Fatal("no nin and no error")
		}
		if err != nil {
			if _, ok := err.(*errBody); !ok {
				t.Fatalf("error %T is not a body error", err)
			}
			if strings.Contains(err.Error(), string(b)) && len(b) > 8 {
				t.Fatalf("error echoes the body: %v", err)
			}
		}
	})
}
