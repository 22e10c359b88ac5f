package auth

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Principal is an authenticated caller: the HelseID client and the
// organisations it acts for, as the audit log records them.
type Principal struct {
	ClientID      string
	OrgnrParent   string
	OrgnrChild    string
	OrgnrSupplier string
	Scopes        Scope
	Expiry        time.Time
	limit         *limiter
	sum           [32]byte // the token's SHA-256 (the cache key)
}

// Allow takes one request from the client's rate limit at now; when the
// limit is exhausted it returns false and how long to wait. A principal
// without a limit (rate limiting off, anonymous) is always allowed.
func (p *Principal) Allow(now time.Time) (ok bool, retry time.Duration) {
	if p.limit == nil {
		return true, 0
	}
	return p.limit.allow(now)
}

// anonymous is the principal when authentication is off: every scope except
// person.read-protected, so that protected addresses stay withheld even in
// local experiments.
var anonymous = &Principal{ClientID: "anonymous", Scopes: AnyScope &^ ScopePersonReadProtected}

// Anonymous returns the caller of a service without authentication.
func Anonymous() *Principal { return anonymous }

// KeySource supplies verification keys by key id (a JWKS file or URL).
type KeySource interface {
	// Key returns the key with id kid; refresh asks the source to reload
	// (rate-limited by the source) when kid is unknown.
	Key(kid string, refresh bool) (*jose.JSONWebKey, error)
}

// Config configures token verification.
type Config struct {
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
	// RatePerSecond and Burst configure the per-client_id rate limit (a
	// token bucket); RatePerSecond 0 disables rate limiting.
	RatePerSecond float64
	Burst         float64
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// DefaultConfig returns the defaults (authentication on, no keys yet).
func DefaultConfig() Config {
	return Config{Enabled: true, Leeway: 30 * time.Second, Types: []string{"at+jwt"}, CacheEntries: 100000,
		RatePerSecond: 2000, Burst: 4000}
}

// The JWS algorithms accepted; "none" and HMAC are never in this list.
var allowedAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.PS256, jose.ES256}

// Error is a refused caller; its text goes into WWW-Authenticate and the
// problem body (never the token itself). The errors are the values below,
// so callers can map each to a prepared response.
type Error struct {
	// Status is 401 (no valid token) or 403 (a valid token without the
	// scope needed).
	Status int
	// Code is "unauthorized" (no usable credentials), "invalid_token" or
	// "forbidden".
	Code string
	msg  string
}

func (e *Error) Error() string { return e.msg }

// WWWAuthenticate is the WWW-Authenticate header value of a 401.
func (e *Error) WWWAuthenticate() string {
	if e.Code != "invalid_token" {
		return `Bearer realm="grunndata"`
	}
	return fmt.Sprintf(`Bearer realm="grunndata", error="invalid_token", error_description=%q`, e.msg)
}

// The refusals.
var (
	ErrNoToken     = &Error{401, "unauthorized", "missing bearer token"}
	ErrNotBearer   = &Error{401, "unauthorized", "authorization scheme must be Bearer"}
	ErrMalformed   = &Error{401, "invalid_token", "malformed token or unsupported algorithm (RS256, PS256, ES256 only)"}
	ErrType        = &Error{401, "invalid_token", "wrong token type (typ must be at+jwt)"}
	ErrUnknownKid  = &Error{401, "invalid_token", "unknown signing key (kid)"}
	ErrSignature   = &Error{401, "invalid_token", "bad signature"}
	ErrIssuer      = &Error{401, "invalid_token", "wrong issuer"}
	ErrAudience    = &Error{401, "invalid_token", "wrong audience"}
	ErrExpired     = &Error{401, "invalid_token", "token expired"}
	ErrNotYetValid = &Error{401, "invalid_token", "token not yet valid"}
	ErrNoExpiry    = &Error{401, "invalid_token", "token has no exp"}
	ErrNoClientID  = &Error{401, "invalid_token", "token has no client_id"}
	// ErrNotAdmin is a valid token without grunndata:admin (RequireAdmin).
	ErrNotAdmin = &Error{403, "forbidden", "this route needs the scope grunndata:admin"}
)

// TokenErrors lists every 401 refusal Authenticate returns.
func TokenErrors() []*Error {
	return []*Error{ErrNoToken, ErrNotBearer, ErrMalformed, ErrType, ErrUnknownKid, ErrSignature, ErrIssuer,
		ErrAudience, ErrExpired, ErrNotYetValid, ErrNoExpiry, ErrNoClientID}
}

// Authenticator verifies bearer tokens and caches verified ones by the
// token's SHA-256 until they expire, so a keep-alive client pays for the
// signature check once and a cached check allocates nothing.
//
// The cache has two levels. front is direct-mapped by the hash and read
// without a lock: a cached check is one atomic load of a slot no request
// writes. (A read lock there made every request of every core write the
// lock's cache line: 3.6 % of the CPU of BenchmarkAuthenticateCached at
// -cpu 2 in a profile of 2026-12-02, with SHA-256 of the token at 78 %;
// gone from the profile without it.) Behind it
// the map under mu holds every verified token (up to CacheEntries), so two
// tokens sharing a slot are not verified again, only moved to the front.
type Authenticator struct {
	cfg   Config
	front [frontSlots]atomic.Pointer[Principal]
	mu    struct {
		sync.Mutex
		tokens map[[32]byte]*Principal
		limits map[string]*limiter
	}
	verified atomic.Int64
	refused  atomic.Int64
}

// New returns an Authenticator.
func New(cfg Config) (*Authenticator, error) {
	if cfg.Enabled && (cfg.Keys == nil || cfg.Issuer == "" || cfg.Audience == "") {
		return nil, errors.New("authentication needs keys (--jwks), an issuer (--issuer) and an audience (--audience)")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.CacheEntries <= 0 {
		cfg.CacheEntries = DefaultConfig().CacheEntries
	}
	if len(cfg.Types) == 0 {
		cfg.Types = DefaultConfig().Types
	}
	a := &Authenticator{cfg: cfg}
	a.mu.tokens = make(map[[32]byte]*Principal)
	a.mu.limits = make(map[string]*limiter)
	return a, nil
}

// frontSlots is the size of the lock-free front of the token cache (a
// power of two; 32 KiB of pointers).
const frontSlots = 1 << 12

var bearerPrefix = []byte("bearer ")

// Authenticate checks the Authorization header value h.
func (a *Authenticator) Authenticate(h []byte) (*Principal, *Error) {
	if !a.cfg.Enabled {
		return anonymous, nil
	}
	if len(h) == 0 {
		return nil, ErrNoToken
	}
	if len(h) < len(bearerPrefix) || !bytes.EqualFold(h[:len(bearerPrefix)], bearerPrefix) {
		return nil, ErrNotBearer
	}
	tok := bytes.TrimSpace(h[len(bearerPrefix):])
	if len(tok) == 0 {
		return nil, ErrNoToken
	}
	sum := sha256.Sum256(tok)
	now := a.cfg.Now()
	slot := &a.front[binary.LittleEndian.Uint32(sum[:4])&(frontSlots-1)]
	p := slot.Load()
	front := p != nil && p.sum == sum
	if !front {
		a.mu.Lock()
		p = a.mu.tokens[sum]
		a.mu.Unlock()
	}
	if p != nil {
		if now.Before(p.Expiry.Add(a.cfg.Leeway)) {
			if !front {
				slot.Store(p) // the hot path never writes
			}
			return p, nil
		}
		slot.CompareAndSwap(p, nil)
		a.mu.Lock()
		delete(a.mu.tokens, sum)
		a.mu.Unlock()
		a.refused.Add(1)
		return nil, ErrExpired
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
	l := a.mu.limits[p.ClientID]
	if l == nil && a.cfg.RatePerSecond > 0 {
		l = newLimiter(a.cfg.RatePerSecond, a.cfg.Burst, now)
		a.mu.limits[p.ClientID] = l
	}
	p.limit, p.sum = l, sum
	a.mu.tokens[sum] = p
	a.mu.Unlock()
	slot.Store(p)
	return p, nil
}

// RequireAdmin checks that the Authorization header value h carries a valid
// token with grunndata:admin (the admin listener's rule); the refusal is a
// 401 error of Authenticate or ErrNotAdmin.
func (a *Authenticator) RequireAdmin(h []byte) (*Principal, *Error) {
	p, err := a.Authenticate(h)
	if err != nil {
		return nil, err
	}
	if p.Scopes&ScopeAdmin == 0 {
		return nil, ErrNotAdmin
	}
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
func (a *Authenticator) verify(tok string, now time.Time) (*Principal, *Error) {
	t, err := jwt.ParseSigned(tok, allowedAlgs)
	if err != nil || len(t.Headers) != 1 {
		return nil, ErrMalformed
	}
	hdr := t.Headers[0]
	typ, _ := hdr.ExtraHeaders[jose.HeaderType].(string)
	if !a.typeOK(typ) {
		return nil, ErrType
	}
	key, kerr := a.cfg.Keys.Key(hdr.KeyID, false)
	if kerr != nil || key == nil {
		key, kerr = a.cfg.Keys.Key(hdr.KeyID, true)
		if kerr != nil || key == nil {
			return nil, ErrUnknownKid
		}
	}
	if key.Algorithm != "" && key.Algorithm != hdr.Algorithm {
		return nil, ErrMalformed
	}
	var std jwt.Claims
	var extra extraClaims
	if err := t.Claims(key.Key, &std, &extra); err != nil {
		return nil, ErrSignature
	}
	if std.Expiry == nil {
		return nil, ErrNoExpiry
	}
	err = std.ValidateWithLeeway(jwt.Expected{Issuer: a.cfg.Issuer, AnyAudience: jwt.Audience{a.cfg.Audience}, Time: now}, a.cfg.Leeway)
	switch {
	case err == nil:
	case errors.Is(err, jwt.ErrInvalidIssuer):
		return nil, ErrIssuer
	case errors.Is(err, jwt.ErrInvalidAudience):
		return nil, ErrAudience
	case errors.Is(err, jwt.ErrExpired):
		return nil, ErrExpired
	case errors.Is(err, jwt.ErrNotValidYet):
		return nil, ErrNotYetValid
	default:
		return nil, ErrMalformed
	}
	p := &Principal{ClientID: extra.ClientID, Expiry: std.Expiry.Time()}
	p.OrgnrParent = firstNonEmpty(extra.OrgnrParent, extra.OrgnrParent2)
	p.OrgnrChild = firstNonEmpty(extra.OrgnrChild, extra.OrgnrChild2)
	p.OrgnrSupplier = firstNonEmpty(extra.OrgnrSupplier, extra.OrgnrSupp2)
	if p.ClientID == "" {
		return nil, ErrNoClientID
	}
	p.Scopes = parseScopes(extra.Scope)
	return p, nil
}

// parseScopes maps the scope claim (a space-separated string or an array of
// strings) to the scopes this service knows; unknown names are ignored.
func parseScopes(claim any) Scope {
	var names []string
	switch s := claim.(type) {
	case string:
		names = strings.Fields(s)
	case []any:
		for _, v := range s {
			if n, ok := v.(string); ok {
				names = append(names, n)
			}
		}
	}
	var out Scope
	for _, n := range names {
		if sc, ok := ParseScope(n); ok {
			out |= sc
		}
	}
	return out
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Stats returns verified and refused token counts.
func (a *Authenticator) Stats() (verified, refused int64) { return a.verified.Load(), a.refused.Load() }
