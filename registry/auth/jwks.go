package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// JWKS is a KeySource reading a JSON Web Key Set from a file or an HTTPS URL.
// Keys are cached; an unknown kid triggers a reload, at most once per
// MinRefresh, so a flood of tokens with made-up kids cannot hammer the issuer.
type JWKS struct {
	src        string
	isURL      bool
	client     *http.Client
	minRefresh time.Duration
	mu         struct {
		sync.Mutex
		set  jose.JSONWebKeySet
		last time.Time
	}
}

// NewJWKS loads the key set at src (a path, or an https:// URL; http:// is
// accepted only for loopback hosts, for tests).
func NewJWKS(src string, minRefresh time.Duration) (*JWKS, error) {
	j := &JWKS{src: src, minRefresh: minRefresh, client: &http.Client{Timeout: 10 * time.Second}}
	if strings.HasPrefix(src, "https://") || strings.HasPrefix(src, "http://") {
		u, err := url.Parse(src)
		if err != nil {
			return nil, fmt.Errorf("jwks url: %w", err)
		}
		if u.Scheme == "http" {
			ip := net.ParseIP(u.Hostname())
			if u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
				return nil, errors.New("jwks url must be https (http only for loopback)")
			}
		}
		j.isURL = true
	}
	if err := j.reload(); err != nil {
		return nil, err
	}
	return j, nil
}

func (j *JWKS) fetch() ([]byte, error) {
	if !j.isURL {
		return os.ReadFile(j.src)
	}
	res, err := j.client.Get(j.src)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		return nil, fmt.Errorf("jwks %s: HTTP %d", j.src, res.StatusCode)
	}
	return io.ReadAll(io.LimitReader(res.Body, 1<<20))
}

func (j *JWKS) reload() error {
	b, err := j.fetch()
	if err != nil {
		return fmt.Errorf("load jwks: %w", err)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(b, &set); err != nil {
		return fmt.Errorf("parse jwks %s: %w", j.src, err)
	}
	for _, k := range set.Keys {
		if !k.IsPublic() {
			return fmt.Errorf("jwks %s: key %q is not a public key", j.src, k.KeyID)
		}
	}
	j.mu.Lock()
	j.mu.set, j.mu.last = set, time.Now()
	j.mu.Unlock()
	return nil
}

// Key implements KeySource.
func (j *JWKS) Key(kid string, refresh bool) (*jose.JSONWebKey, error) {
	if refresh {
		j.mu.Lock()
		due := time.Since(j.mu.last) >= j.minRefresh
		j.mu.Unlock()
		if due {
			if err := j.reload(); err != nil {
				return nil, err
			}
		}
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	keys := j.mu.set.Key(kid)
	if len(keys) == 0 {
		return nil, fmt.Errorf("unknown kid %q", kid)
	}
	return &keys[0], nil
}
