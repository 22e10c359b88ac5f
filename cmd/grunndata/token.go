package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/grunndata/grunndata/registry/auth"
)

// Development tokens: a local ES256 key, created on first use, signs
// HelseID-style access tokens for `make run` and tests. Never use it in
// production: configure --jwks with your HelseID tenant's JWKS instead.
const (
	devIssuer      = "https://grunndata.local/dev-issuer"
	devAudience    = "grunndata"
	devKeyFile     = "dev-signing-key.jwk.json"
	devJWKSFile    = "dev-jwks.json"
	devDefaultDir  = "data/devkey"
	devClientID    = "grunndata-dev-client"
	devOrgnrParent = "999999999"
)

// devKey loads or creates the development key in dir; it returns the private
// JWK and writes the public JWKS next to it.
func devKey(dir string) (*jose.JSONWebKey, error) {
	p := filepath.Join(dir, devKeyFile)
	if b, err := os.ReadFile(p); err == nil {
		var k jose.JSONWebKey
		if err := json.Unmarshal(b, &k); err != nil {
			return nil, fmt.Errorf("read development key %s: %w", p, err)
		}
		return &k, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	k := jose.JSONWebKey{Key: priv, Algorithm: string(jose.ES256), Use: "sig"}
	tp, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, err
	}
	k.KeyID = base64.RawURLEncoding.EncodeToString(tp)[:16]
	kb, _ := json.MarshalIndent(k, "", "  ")
	if err := os.WriteFile(p, kb, 0o600); err != nil {
		return nil, err
	}
	pub := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{k.Public()}}
	pb, _ := json.MarshalIndent(pub, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, devJWKSFile), pb, 0o644); err != nil {
		return nil, err
	}
	return &k, nil
}

// TokenClaims are the claims of a minted token.
type TokenClaims struct {
	Scopes        []string
	ClientID      string
	OrgnrParent   string
	OrgnrChild    string
	OrgnrSupplier string
	TTL           time.Duration
	Issuer        string
	Audience      string
}

// mintToken signs an at+jwt with key.
func mintToken(key *jose.JSONWebKey, c TokenClaims, now time.Time) (string, error) {
	alg := jose.SignatureAlgorithm(key.Algorithm)
	opts := (&jose.SignerOptions{}).WithType("at+jwt").WithHeader("kid", key.KeyID)
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key.Key}, opts)
	if err != nil {
		return "", err
	}
	std := jwt.Claims{Issuer: c.Issuer, Audience: jwt.Audience{c.Audience}, Subject: c.ClientID,
		IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(c.TTL))}
	extra := map[string]any{"scope": strings.Join(c.Scopes, " "), "client_id": c.ClientID}
	if c.OrgnrParent != "" {
		extra["orgnr_parent"] = c.OrgnrParent
	}
	if c.OrgnrChild != "" {
		extra["orgnr_child"] = c.OrgnrChild
	}
	if c.OrgnrSupplier != "" {
		extra["orgnr_supplier"] = c.OrgnrSupplier
	}
	return jwt.Signed(sig).Claims(std).Claims(extra).Serialize()
}

func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("key-dir", devDefaultDir, "`DIR` of the development key (created on first use, with its JWKS)")
	scope := fs.String("scope", "", "space- or comma-separated scopes, or \"all\" ("+strings.Join(auth.ScopeNames(), ", ")+")")
	ttl := fs.Duration("ttl", time.Hour, "lifetime")
	client := fs.String("client-id", devClientID, "client_id claim")
	parent := fs.String("orgnr-parent", devOrgnrParent, "orgnr_parent claim")
	child := fs.String("orgnr-child", "", "orgnr_child claim")
	supplier := fs.String("orgnr-supplier", "", "orgnr_supplier claim")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *scope == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: grunndata token --scope 'grunndata:organisation.read …'|all [--ttl 1h] [--key-dir DIR]")
		return 2
	}
	var scopes []string
	if *scope == "all" {
		scopes = auth.ScopeNames()
	} else {
		for _, s := range strings.FieldsFunc(*scope, func(r rune) bool { return r == ' ' || r == ',' }) {
			if _, ok := auth.ParseScope(s); !ok {
				fmt.Fprintf(stderr, "grunndata token: unknown scope %q (known: %s)\n", s, strings.Join(auth.ScopeNames(), ", "))
				return 2
			}
			scopes = append(scopes, s)
		}
	}
	key, err := devKey(*dir)
	if err != nil {
		fmt.Fprintf(stderr, "grunndata token: %v\n", err)
		return 1
	}
	tok, err := mintToken(key, TokenClaims{Scopes: scopes, ClientID: *client, OrgnrParent: *parent, OrgnrChild: *child,
		OrgnrSupplier: *supplier, TTL: *ttl, Issuer: devIssuer, Audience: devAudience}, time.Now())
	if err != nil {
		fmt.Fprintf(stderr, "grunndata token: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, tok)
	return 0
}
