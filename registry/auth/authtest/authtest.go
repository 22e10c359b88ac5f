// Package authtest issues test tokens: an issuer with an ES256 and an RS256
// key, tokens with every claim adjustable, and an Authenticator that trusts
// them at the issuer's clock.
package authtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/grunndata/grunndata/registry/auth"
)

// The issuer and audience the test tokens carry.
const (
	Iss = "https://helseid.test"
	Aud = "grunndata"
)

// Keys is a KeySource over a fixed set.
type Keys struct{ Set jose.JSONWebKeySet }

// Key implements auth.KeySource.
func (s Keys) Key(kid string, _ bool) (*jose.JSONWebKey, error) {
	if k := s.Set.Key(kid); len(k) > 0 {
		return &k[0], nil
	}
	return nil, auth.ErrUnknownKid
}

// Issuer signs test tokens. Now is the clock of the tokens and of the
// Authenticators it makes; tests move it.
type Issuer struct {
	EC, RSA jose.JSONWebKey
	Keys    Keys
	Now     time.Time
}

// NewIssuer returns an issuer with fresh keys and the clock at
// 2026-11-26 10:00 UTC.
func NewIssuer(tb testing.TB) *Issuer {
	tb.Helper()
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	ti := &Issuer{
		EC:  jose.JSONWebKey{Key: ek, KeyID: "ec-1", Algorithm: "ES256", Use: "sig"},
		RSA: jose.JSONWebKey{Key: rk, KeyID: "rsa-1", Use: "sig"},
		Now: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC),
	}
	ti.Keys = Keys{jose.JSONWebKeySet{Keys: []jose.JSONWebKey{ti.EC.Public(), ti.RSA.Public()}}}
	return ti
}

// TokenOpts are a token's header and claims.
type TokenOpts struct {
	Alg      jose.SignatureAlgorithm
	Key      *jose.JSONWebKey
	Kid      string
	Typ      string
	Iss, Aud string
	Nbf, Exp time.Time
	Scope    string
	ClientID string
	NoExp    bool
}

// Token returns a signed token: by default ES256, typ at+jwt, valid for an
// hour, client "epj-vendor-1" of organisation 999999999 with
// organisation.read and person.read; mod adjusts it.
func (ti *Issuer) Token(tb testing.TB, mod func(*TokenOpts)) string {
	tb.Helper()
	o := TokenOpts{Alg: jose.ES256, Key: &ti.EC, Kid: "ec-1", Typ: "at+jwt", Iss: Iss, Aud: Aud,
		Nbf: ti.Now.Add(-time.Minute), Exp: ti.Now.Add(time.Hour), Scope: "grunndata:organisation.read grunndata:person.read",
		ClientID: "epj-vendor-1"}
	if mod != nil {
		mod(&o)
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: o.Alg, Key: o.Key.Key},
		(&jose.SignerOptions{}).WithType(jose.ContentType(o.Typ)).WithHeader("kid", o.Kid))
	if err != nil {
		tb.Fatal(err)
	}
	std := jwt.Claims{Issuer: o.Iss, Audience: jwt.Audience{o.Aud}, NotBefore: jwt.NewNumericDate(o.Nbf)}
	if !o.NoExp {
		std.Expiry = jwt.NewNumericDate(o.Exp)
	}
	s, err := jwt.Signed(sig).Claims(std).Claims(map[string]any{"scope": o.Scope, "client_id": o.ClientID,
		"helseid://claims/client/claims/orgnr_parent": "999999999"}).Serialize()
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// Authenticator returns an Authenticator trusting ti at ti.Now (read at
// each request); mod adjusts its configuration.
func (ti *Issuer) Authenticator(tb testing.TB, mod func(*auth.Config)) *auth.Authenticator {
	tb.Helper()
	cfg := auth.DefaultConfig()
	cfg.Keys, cfg.Issuer, cfg.Audience = ti.Keys, Iss, Aud
	cfg.Now = func() time.Time { return ti.Now }
	if mod != nil {
		mod(&cfg)
	}
	a, err := auth.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return a
}
