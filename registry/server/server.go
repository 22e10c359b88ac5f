// Package server serves the lookup API over fasthttp and the admin endpoints
// over net/http. It never imports index: it reads generations through
// registry.Store and a cache.
//
// The hot path (a cache hit) parses the id from the path or body bytes,
// builds the key in pooled scratch, does one cache lookup and writes the
// stored bytes, choosing between a value's views without rendering: zero
// allocations per request (see alloc_test.go).
package server

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/grunndata/grunndata/registry"
	"github.com/grunndata/grunndata/registry/cache"
)

// Config configures a Server.
type Config struct {
	// MaxBodyBytes limits request bodies; larger ones get 413.
	MaxBodyBytes int
	// ReadTimeout, WriteTimeout and IdleTimeout bound slow clients.
	ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// MaxConnsPerIP limits connections from one address (0: unlimited).
	MaxConnsPerIP int
	// Concurrency limits concurrent connections served.
	Concurrency int
	// ReadBufferSize bounds request headers.
	ReadBufferSize int
}

// DefaultConfig returns production defaults.
func DefaultConfig() Config {
	return Config{
		MaxBodyBytes:   64 << 10,
		ReadTimeout:    10 * time.Second,
		WriteTimeout:   10 * time.Second,
		IdleTimeout:    120 * time.Second,
		Concurrency:    64 * 1024,
		ReadBufferSize: 8 << 10,
	}
}

// Server is the lookup API.
type Server struct {
	cfg     Config
	store   registry.Store
	cache   *cache.Cache
	log     *slog.Logger
	metrics *Metrics
	srv     *fasthttp.Server
}

// New returns a Server reading store through c. metrics may be nil.
func New(cfg Config, store registry.Store, c *cache.Cache, m *Metrics, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if m == nil {
		m = NewMetrics(nil)
	}
	s := &Server{cfg: cfg, store: store, cache: c, log: log, metrics: m}
	s.srv = &fasthttp.Server{
		Handler:                       s.Handle,
		Name:                          "grunndata",
		MaxRequestBodySize:            cfg.MaxBodyBytes,
		ReadTimeout:                   cfg.ReadTimeout,
		WriteTimeout:                  cfg.WriteTimeout,
		IdleTimeout:                   cfg.IdleTimeout,
		MaxConnsPerIP:                 cfg.MaxConnsPerIP,
		Concurrency:                   cfg.Concurrency,
		ReadBufferSize:                cfg.ReadBufferSize,
		DisableHeaderNamesNormalizing: true,
		NoDefaultDate:                 false,
		NoDefaultContentType:          true,
		ErrorHandler:                  s.transportError,
		Logger:                        fasthttpLogger{log},
	}
	return s
}

type fasthttpLogger struct{ log *slog.Logger }

func (l fasthttpLogger) Printf(format string, args ...any) {
	l.log.Debug("fasthttp", "msg", format)
}

// transportError answers requests fasthttp could not parse or accept.
func (s *Server) transportError(ctx *fasthttp.RequestCtx, err error) {
	if errors.Is(err, fasthttp.ErrBodyTooLarge) {
		writeProblem(ctx, 413, bodyTooLarge)
		return
	}
	writeProblem(ctx, 400, problemBody(400, CodeInvalidBody, "Malformed request", "the request could not be parsed", "", ""))
}

// Serve serves on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error { return s.srv.Serve(ln) }

// ServeTLS serves HTTPS on ln.
func (s *Server) ServeTLS(ln net.Listener, certFile, keyFile string) error {
	return s.srv.ServeTLS(ln, certFile, keyFile)
}

// Shutdown stops accepting and waits for requests in flight.
func (s *Server) Shutdown(ctx context.Context) error { return s.srv.ShutdownWithContext(ctx) }

// scratch is per-request state from a pool (never kept after the handler).
type scratch struct {
	key registry.Key
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// Routes.
var (
	pCommParties = []byte("/v1/communication-parties/")
	pOrgs        = []byte("/v1/organisations/")
	pResh        = []byte("/v1/resh/")
	pPersonnel   = []byte("/v1/personnel/")
	pGPContracts = []byte("/v1/gp-contracts/")
	pPersons     = []byte("/v1/persons/lookup")
	pPersonnelBy = []byte("/v1/personnel/lookup")
	pGPLookup    = []byte("/v1/gp/lookup")
)

// Handle is the fasthttp handler of the API.
func (s *Server) Handle(ctx *fasthttp.RequestCtx) {
	start := time.Now()
	path := ctx.Path()
	route, status := routeNone, 0
	switch {
	case bytes.Equal(path, pPersons):
		route = routePersonLookup
		status = s.lookupByNIN(ctx, registry.RegPerson)
	case bytes.Equal(path, pPersonnelBy):
		route = routePersonnelLookup
		status = s.lookupByNIN(ctx, registry.IdxPersonnelByNIN)
	case bytes.Equal(path, pGPLookup):
		route = routeGPLookup
		status = s.lookupByNIN(ctx, registry.RegGPPatient)
	case bytes.HasPrefix(path, pCommParties):
		route = routeParty
		status = s.getSerial(ctx, path[len(pCommParties):], registry.IDHerID, registry.RegParty)
	case bytes.HasPrefix(path, pOrgs):
		route = routeOrganisation
		status = s.getOrg(ctx, path[len(pOrgs):])
	case bytes.HasPrefix(path, pResh):
		route = routeResh
		status = s.getSerial(ctx, path[len(pResh):], registry.IDReshID, registry.RegResh)
	case bytes.HasPrefix(path, pPersonnel):
		route = routePersonnel
		status = s.getSerial(ctx, path[len(pPersonnel):], registry.IDHPR, registry.RegPersonnel)
	case bytes.HasPrefix(path, pGPContracts):
		route = routeGPContract
		status = s.getSerial(ctx, path[len(pGPContracts):], registry.IDGPContract, registry.RegGPContract)
	default:
		writeProblem(ctx, 404, bodyNoRoute)
		status = 404
	}
	s.metrics.observe(route, status, time.Since(start))
}

// getSerial answers GET /v1/<register>/{id} for serial ids.
func (s *Server) getSerial(ctx *fasthttp.RequestCtx, idb []byte, t registry.IDType, reg registry.Register) int {
	if !ctx.IsGet() && !ctx.IsHead() {
		return writeMethodNotAllowed(ctx, "GET, HEAD")
	}
	id, err := registry.ParseSerial(t, idb)
	if err != nil {
		return writeError(ctx, err)
	}
	sc := scratchPool.Get().(*scratch)
	sc.key = registry.SerialKey(reg, id)
	status := s.write(ctx, &sc.key, false)
	scratchPool.Put(sc)
	return status
}

func (s *Server) getOrg(ctx *fasthttp.RequestCtx, idb []byte) int {
	if !ctx.IsGet() && !ctx.IsHead() {
		return writeMethodNotAllowed(ctx, "GET, HEAD")
	}
	o, err := registry.ParseOrgnr(idb)
	if err != nil {
		return writeError(ctx, err)
	}
	sc := scratchPool.Get().(*scratch)
	sc.key = registry.OrgKey(o)
	status := s.write(ctx, &sc.key, false)
	scratchPool.Put(sc)
	return status
}

var ctJSONPrefix = []byte("application/json")

// lookupByNIN answers POST {"nin":"…"} routes. reg is the key family; for
// IdxPersonnelByNIN the secondary value (an HPR-number) is followed.
func (s *Server) lookupByNIN(ctx *fasthttp.RequestCtx, reg registry.Register) int {
	if !ctx.IsPost() {
		return writeMethodNotAllowed(ctx, "POST")
	}
	if ct := ctx.Request.Header.ContentType(); len(ct) > 0 && !bytes.HasPrefix(ct, ctJSONPrefix) {
		writeProblem(ctx, 415, bodyMediaType)
		return 415
	}
	nb, err := parseNINBody(ctx.PostBody())
	if err != nil {
		var eb *errBody
		if errors.As(err, &eb) {
			return writeInvalidBody(ctx, eb.msg)
		}
		return writeError(ctx, err)
	}
	n, _, err := registry.ParseNIN(nb)
	if err != nil {
		return writeError(ctx, err)
	}
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	switch reg {
	case registry.RegPerson:
		sc.key = registry.PersonKey(n)
	case registry.RegGPPatient:
		sc.key = registry.GPPatientKey(n)
	case registry.IdxPersonnelByNIN:
		sc.key = registry.PersonnelByNINKey(n)
		v, err := s.store.Acquire()
		if err != nil {
			return writeError(ctx, err)
		}
		hv, err := s.cache.Get(v, &sc.key)
		v.Release()
		if err != nil {
			return writeError(ctx, err)
		}
		if len(hv) != 4 {
			s.log.Error("BUG: malformed personnel index value")
			return writeError(ctx, registry.ErrBadValue)
		}
		sc.key = registry.SerialKey(registry.RegPersonnel, uint64(binary.BigEndian.Uint32(hv)))
	}
	return s.write(ctx, &sc.key, false)
}

// write looks key up in the active generation and writes the stored view.
// seeProtected selects the full view of a value that has a restricted one.
func (s *Server) write(ctx *fasthttp.RequestCtx, key *registry.Key, seeProtected bool) int {
	v, err := s.store.Acquire()
	if err != nil {
		return writeError(ctx, err)
	}
	val, err := s.cache.Get(v, key)
	v.Release()
	if err != nil {
		return writeError(ctx, err)
	}
	flags, full, restricted, err := registry.DecodeValue(val)
	if err != nil {
		s.log.Error("BUG: undecodable stored value", "register", string(key.Register()))
		return writeError(ctx, err)
	}
	if flags&registry.FlagGone != 0 {
		return writeError(ctx, registry.ErrGone)
	}
	body := restricted
	if seeProtected {
		body = full
	}
	ctx.SetStatusCode(200)
	ctx.Response.Header.SetContentTypeBytes(ctJSON)
	ctx.SetBody(body)
	return 200
}
