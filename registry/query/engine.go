// Package query is the query engine of the lookup API. It answers what the
// API asks of a snapshot generation — lookups by any of a person's numbers,
// searches, lists, trees, bulk lookups, change feeds and certificate answers
// — as the JSON bytes the API serves, reading through the cache.
//
// It knows nothing of HTTP (registry/server parses a request, calls the
// engine and writes the answer), of tokens (callers pass what the principal
// may see: seeProtected) or of the audit log (answers return the persons
// they name; the server records them before releasing the answer).
//
// A lookup that hits the cache allocates nothing: answers alias the cached
// value or scratch the caller pools.
package query

import (
	"errors"
	"log/slog"
	"time"

	"github.com/grunndata/grunndata/registry"
	"github.com/grunndata/grunndata/registry/cache"
)

// Engine answers queries of the active generation's views through a cache.
type Engine struct {
	cache   *cache.Cache
	ain     registry.AINStore // nil: no AINs allocated here
	clock   func() time.Time
	log     *slog.Logger
	catalog catalogCache
}

// New returns an engine reading through c. ain (nil: none) serves the AINs
// this service allocated; clock (nil: time.Now) is the instant certificate
// statuses are evaluated at; log receives reports of damaged values.
func New(c *cache.Cache, ain registry.AINStore, clock func() time.Time, log *slog.Logger) *Engine {
	if clock == nil {
		clock = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Engine{cache: c, ain: ain, clock: clock, log: log}
}

// Now is the instant of a request.
func (e *Engine) Now() time.Time { return e.clock() }

// HasAIN reports whether the engine serves allocated AINs.
func (e *Engine) HasAIN() bool { return e.ain != nil }

// Limits of the lists and searches.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
	MaxBulk      = 1000
	// MaxCandidates bounds the index entries one person or personnel search
	// examines; a broader query reports "capped": true.
	MaxCandidates = 200000
)

// ErrBadAtTime reports an ?atTime that is neither an RFC 3339 instant nor a
// date. An answer about a record checks it before reading the record.
var ErrBadAtTime = errors.New("atTime must be an RFC 3339 instant (2026-01-05T12:00:00Z) or a date (2026-01-05)")

// Record returns the view of key in v the caller may see: the full one with
// seeProtected, else the restricted one (addresses of protected persons
// withheld). A record removed for legal reasons is ErrGone.
func (e *Engine) Record(v registry.View, key *registry.Key, seeProtected bool) ([]byte, error) {
	flags, full, restricted, err := e.decoded(v, key)
	if err != nil {
		return nil, err
	}
	if flags&registry.FlagGone != 0 {
		return nil, registry.ErrGone
	}
	if seeProtected {
		return full, nil
	}
	return restricted, nil
}

// decoded reads and splits the value of key.
func (e *Engine) decoded(v registry.View, key *registry.Key) (byte, []byte, []byte, error) {
	val, err := e.cache.Get(v, key)
	if err != nil {
		return 0, nil, nil, err
	}
	flags, full, restricted, err := registry.DecodeValue(val)
	if err != nil {
		e.log.Error("BUG: undecodable stored value", "register", string(key.Register()))
	}
	return flags, full, restricted, err
}

// full returns the full view of key (nil when it is missing or damaged).
func (e *Engine) full(v registry.View, key registry.Key) []byte {
	val, err := e.cache.Get(v, &key)
	if err != nil {
		return nil
	}
	_, full, _, err := registry.DecodeValue(val)
	if err != nil {
		return nil
	}
	return full
}

// Get reads key's stored value through the cache.
func (e *Engine) Get(v registry.View, key *registry.Key) ([]byte, error) { return e.cache.Get(v, key) }
