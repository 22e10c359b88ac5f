package server

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Scope is a set of API scopes (one bit each).
type Scope uint16

// The scopes of DESIGN.md, one per register family.
const (
	ScopeOrganisationRead Scope = 1 << iota
	ScopePersonnelRead
	ScopePersonRead
	ScopePersonReadProtected
	ScopeGPRead
	ScopeAINWrite
	ScopeAdmin
	ScopePersonFeed
)

var scopeNames = []struct {
	s    Scope
	name string
}{
	{ScopeOrganisationRead, "grunndata:organisation.read"},
	{ScopePersonnelRead, "grunndata:personnel.read"},
	{ScopePersonRead, "grunndata:person.read"},
	{ScopePersonReadProtected, "grunndata:person.read-protected"},
	{ScopeGPRead, "grunndata:gp.read"},
	{ScopeAINWrite, "grunndata:ain.write"},
	{ScopeAdmin, "grunndata:admin"},
	{ScopePersonFeed, "grunndata:person.feed"},
}

// ScopeNames lists every scope name.
func ScopeNames() []string {
	out := make([]string, len(scopeNames))
	for i, s := range scopeNames {
		out[i] = s.name
	}
	return out
}

// ParseScope returns the scope with name n.
func ParseScope(n string) (Scope, bool) {
	for _, s := range scopeNames {
		if s.name == n {
			return s.s, true
		}
	}
	return 0, false
}

// String names the scopes in s, space separated.
func (s Scope) String() string {
	var parts []string
	for _, sn := range scopeNames {
		if s&sn.s != 0 {
			parts = append(parts, sn.name)
		}
	}
	return strings.Join(parts, " ")
}

// Principal is an authenticated caller: the HelseID client and the
// organisations it acts for, as the audit log records them.
type Principal struct {
	ClientID      string
	OrgnrParent   string
	OrgnrChild    string
	OrgnrSupplier string
	Scopes        Scope
	Expiry        time.Time
	bucket        *bucket
}

// anonymous is the principal when authentication is off: every scope except
// person.read-protected, so that protected addresses stay withheld even in
// local experiments.
var anonymous = &Principal{ClientID: "anonymous", Scopes: ^Scope(0) &^ ScopePersonReadProtected}

// KeySource supplies verification keys by key id (a JWKS file or URL).
type KeySource interface {
	// Key returns the key with id kid; refresh asks the source to reload
	// (rate-limited by the source) when kid is unknown.
	Key(kid string, refresh bool) (*jose.JSONWebKey, error)
}

// AuthConfig configures token verification.
type AuthConfig struct {
	// Enabled turns authentication on; off means every caller is
	// "anonymous" with every scope but person.read-protected (local
	// experiments only).
	Enabled  bool
	Keys     KeySource
	Issuer   string
	Audience string
	// Leeway tolerates clock skew on exp and nbf.
	Leeway time.Duration
	// Types are the accepted JOSE "typ" headers (compared case-insensitively,
	// with or without "application/").
	Types []string
	// CacheEntries bounds the verified-token cache.
	CacheEntries int
	// RatePerSecond and Burst configure the per-client_id token bucket;
	// RatePerSecond 0 disables rate limiting.
	RatePerSecond float64
	Burst         float64
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// DefaultAuthConfig returns the defaults (authentication on, no keys yet).
func DefaultAuthConfig() AuthConfig {
	return AuthConfig{Enabled: true, Leeway: 30 * time.Second, Types: []string{"at+jwt"}, CacheEntries: 100000,
		RatePerSecond: 2000, Burst: 4000}
}

// The JWS algorithms accepted; "none" and HMAC are never in this list.
var allowedAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.PS256, jose.ES256}

// authError is a refused token; its text goes into WWW-Authenticate and the
// problem body (never the token itself).
type authError struct {
	status int // 401
	code   string
	msg    string
}

func (e *authError) Error() string { return e.msg }

var (
	errNoToken     = &authError{401, "unauthorized", "missing bearer token"}
	errNotBearer   = &authError{401, "unauthorized", "authorization scheme must be Bearer"}
	errMalformed   = &authError{401, "invalid_token", "malformed token or unsupported algorithm (RS256, PS256, ES256 only)"}
	errType        = &authError{401, "invalid_token", "wrong token type (typ must be at+jwt)"}
	errUnknownKid  = &authError{401, "invalid_token", "unknown signing key (kid)"}
	errSignature   = &authError{401, "invalid_token", "bad signature"}
	errIssuer      = &authError{401, "invalid_token", "wrong issuer"}
	errAudience    = &authError{401, "invalid_token", "wrong audience"}
	errExpired     = &authError{401, "invalid_token", "token expired"}
	errNotYetValid = &authError{401, "invalid_token", "token not yet valid"}
	errNoExpiry    = &authError{401, "invalid_token", "token has no exp"}
	errNoClientID  = &authError{401, "invalid_token", "token has no client_id"}
)

// Authenticator verifies bearer tokens and caches verified ones by the
// token's SHA-256 until they expire, so a keep-alive client pays for the
// signature check once and a cached check allocates nothing.
type Authenticator struct {
	cfg AuthConfig
	mu  struct {
		sync.RWMutex
		tokens  map[[32]byte]*Principal
		buckets map[string]*bucket
	}
	verified atomic.Int64
	refused  atomic.Int64
}

// NewAuthenticator returns an Authenticator.
func NewAuthenticator(cfg AuthConfig) (*Authenticator, error) {
	if cfg.Enabled && (cfg.Keys == nil || cfg.Issuer == "" || cfg.Audience == "") {
		return nil, errors.New("authentication needs keys (--jwks), an issuer (--issuer) and an audience (--audience)")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.CacheEntries <= 0 {
		cfg.CacheEntries = DefaultAuthConfig().CacheEntries
	}
	if len(cfg.Types) == 0 {
		cfg.Types = DefaultAuthConfig().Types
	}
	a := &Authenticator{cfg: cfg}
	a.mu.tokens = make(map[[32]byte]*Principal)
	a.mu.buckets = make(map[string]*bucket)
	return a, nil
}

var bearerPrefix = []byte("bearer ")

// Authenticate checks the Authorization header value h.
func (a *Authenticator) Authenticate(h []byte) (*Principal, *authError) {
	if !a.cfg.Enabled {
		return anonymous, nil
	}
	if len(h) == 0 {
		return nil, errNoToken
	}
	if len(h) < len(bearerPrefix) || !bytes.EqualFold(h[:len(bearerPrefix)], bearerPrefix) {
		return nil, errNotBearer
	}
	tok := bytes.TrimSpace(h[len(bearerPrefix):])
	if len(tok) == 0 {
		return nil, errNoToken
	}
	sum := sha256.Sum256(tok)
	now := a.cfg.Now()
	a.mu.RLock()
	p := a.mu.tokens[sum]
	a.mu.RUnlock()
	if p != nil {
		if now.Before(p.Expiry.Add(a.cfg.Leeway)) {
			return p, nil
		}
		a.mu.Lock()
		delete(a.mu.tokens, sum)
		a.mu.Unlock()
		a.refused.Add(1)
		return nil, errExpired
	}
	p, err := a.verify(string(tok), now)
	if err != nil {
		a.refused.Add(1)
		return nil, err
	}
	a.verified.Add(1)
	a.mu.Lock()
	if len(a.mu.tokens) >= a.cfg.CacheEntries {
		for k, v := range a.mu.tokens { // drop expired ones, then arbitrary ones
			if !now.Before(v.Expiry) || len(a.mu.tokens) >= a.cfg.CacheEntries {
				delete(a.mu.tokens, k)
			}
			if len(a.mu.tokens) < a.cfg.CacheEntries*9/10 {
				break
			}
		}
	}
	b := a.mu.buckets[p.ClientID]
	if b == nil && a.cfg.RatePerSecond > 0 {
		b = newBucket(a.cfg.RatePerSecond, a.cfg.Burst, now)
		a.mu.buckets[p.ClientID] = b
	}
	p.bucket = b
	a.mu.tokens[sum] = p
	a.mu.Unlock()
	return p, nil
}

type extraClaims struct {
	Scope         any    `json:"scope"`
	ClientID      string `json:"client_id"`
	OrgnrParent   string `json:"helseid://claims/client/claims/orgnr_parent"`
	OrgnrChild    string `json:"helseid://claims/client/claims/orgnr_child"`
	OrgnrSupplier string `json:"helseid://claims/client/claims/orgnr_supplier"`
	OrgnrParent2  string `json:"orgnr_parent"`
	OrgnrChild2   string `json:"orgnr_child"`
	OrgnrSupp2    string `json:"orgnr_supplier"`
}

func (a *Authenticator) typeOK(typ string) bool {
	t := strings.TrimPrefix(strings.ToLower(typ), "application/")
	for _, want := range a.cfg.Types {
		if t == strings.TrimPrefix(strings.ToLower(want), "application/") {
			return true
		}
	}
	return false
}

// verify is the cold path: parse, check typ, find the key, check the
// signature and the claims.
func (a *Authenticator) verify(tok string, now time.Time) (*Principal, *authError) {
	t, err := jwt.ParseSigned(tok, allowedAlgs)
	if err != nil || len(t.Headers) != 1 {
		return nil, errMalformed
	}
	hdr := t.Headers[0]
	typ, _ := hdr.ExtraHeaders[jose.HeaderType].(string)
	if !a.typeOK(typ) {
		return nil, errType
	}
	key, kerr := a.cfg.Keys.Key(hdr.KeyID, false)
	if kerr != nil || key == nil {
		key, kerr = a.cfg.Keys.Key(hdr.KeyID, true)
		if kerr != nil || key == nil {
			return nil, errUnknownKid
		}
	}
	if key.Algorithm != "" && key.Algorithm != hdr.Algorithm {
		return nil, errMalformed
	}
	var std jwt.Claims
	var extra extraClaims
	if err := t.Claims(key.Key, &std, &extra); err != nil {
		return nil, errSignature
	}
	if std.Expiry == nil {
		return nil, errNoExpiry
	}
	err = std.ValidateWithLeeway(jwt.Expected{Issuer: a.cfg.Issuer, AnyAudience: jwt.Audience{a.cfg.Audience}, Time: now}, a.cfg.Leeway)
	switch {
	case err == nil:
	case errors.Is(err, jwt.ErrInvalidIssuer):
		return nil, errIssuer
	case errors.Is(err, jwt.ErrInvalidAudience):
		return nil, errAudience
	case errors.Is(err, jwt.ErrExpired):
		return nil, errExpired
	case errors.Is(err, jwt.ErrNotValidYet):
		return nil, errNotYetValid
	default:
		return nil, errMalformed
	}
	p := &Principal{ClientID: extra.ClientID, Expiry: std.Expiry.Time()}
	p.OrgnrParent = firstNonEmpty(extra.OrgnrParent, extra.OrgnrParent2)
	p.OrgnrChild = firstNonEmpty(extra.OrgnrChild, extra.OrgnrChild2)
	p.OrgnrSupplier = firstNonEmpty(extra.OrgnrSupplier, extra.OrgnrSupp2)
	if p.ClientID == "" {
		return nil, errNoClientID
	}
	var names []string
	switch s := extra.Scope.(type) {
	case string:
		names = strings.Fields(s)
	case []any:
		for _, v := range s {
			if n, ok := v.(string); ok {
				names = append(names, n)
			}
		}
	}
	for _, n := range names {
		if sc, ok := ParseScope(n); ok {
			p.Scopes |= sc
		}
	}
	return p, nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Stats returns verified and refused token counts.
func (a *Authenticator) Stats() (verified, refused int64) { return a.verified.Load(), a.refused.Load() }

// bucket is a token bucket for one client_id.
type bucket struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

func newBucket(rate, burst float64, now time.Time) *bucket {
	if burst < 1 {
		burst = max(rate, 1)
	}
	return &bucket{rate: rate, burst: burst, tokens: burst, last: now}
}

// take removes one token; when none is left it returns how long to wait.
func (b *bucket) take(now time.Time) (ok bool, retry time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = min(b.burst, b.tokens+el*b.rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
}

func (e *authError) wwwAuthenticate() string {
	if e.code == "unauthorized" {
		return `Bearer realm="grunndata"`
	}
	return fmt.Sprintf(`Bearer realm="grunndata", error="invalid_token", error_description=%q`, e.msg)
}
