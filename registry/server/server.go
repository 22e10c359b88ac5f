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
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/grunndata/grunndata/registry"
	"github.com/grunndata/grunndata/registry/audit"
	"github.com/grunndata/grunndata/registry/auth"
	"github.com/grunndata/grunndata/registry/cache"
	"github.com/grunndata/grunndata/registry/query"
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
	// Auth verifies bearer tokens; nil means authentication is off (every
	// caller is "anonymous" with every scope).
	Auth *auth.Authenticator
	// Audit records every request that touches a person; nil disables it.
	// Its Record returns once the record is durable.
	Audit audit.Auditor
	// AIN is the store of allocated AINs; nil disables POST /v1/ain.
	AIN registry.AINStore
	// Clock is the instant certificate statuses and HPR history statuses
	// (without atTime) are evaluated at; nil is time.Now.
	Clock func() time.Time
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
	q       *query.Engine
	log     *slog.Logger
	metrics *Metrics
	srv     *fasthttp.Server
	// catalogOnce starts the catalog builder once; catalogStop ends it.
	catalogOnce sync.Once
	catalogStop chan struct{}
	stopOnce    sync.Once
}

// New returns a Server reading store through c. metrics may be nil.
func New(cfg Config, store registry.Store, c *cache.Cache, m *Metrics, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if m == nil {
		m = NewMetrics(nil)
	}
	s := &Server{cfg: cfg, store: store, cache: c, q: query.New(c, cfg.AIN, cfg.Clock, log), log: log, metrics: m}
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
func (s *Server) Serve(ln net.Listener) error {
	s.startCatalogs()
	return s.srv.Serve(ln)
}

// ServeTLS serves HTTPS on ln.
func (s *Server) ServeTLS(ln net.Listener, certFile, keyFile string) error {
	s.startCatalogs()
	return s.srv.ServeTLS(ln, certFile, keyFile)
}

// Shutdown stops accepting and waits for requests in flight.
func (s *Server) Shutdown(ctx context.Context) error {
	s.catalogOnce.Do(func() {}) // no builder starts after this
	s.stopOnce.Do(func() {
		if s.catalogStop != nil {
			close(s.catalogStop)
		}
	})
	return s.srv.ShutdownWithContext(ctx)
}

// acquireBackground takes the active generation for background work,
// without counting it as a request when the store can tell them apart.
func (s *Server) acquireBackground() (registry.View, error) {
	if q, ok := s.store.(interface{ AcquireUncounted() (registry.View, error) }); ok {
		return q.AcquireUncounted()
	}
	return s.store.Acquire()
}

// startCatalogs keeps the search catalog of the small registers built for
// the active generation in the background (query.Engine.KeepCatalogs).
func (s *Server) startCatalogs() {
	s.catalogOnce.Do(func() {
		s.catalogStop = make(chan struct{})
		go s.q.KeepCatalogs(s.acquireBackground, s.catalogStop)
	})
}

// scratch is per-request state from a pool (never kept after the handler).
type scratch struct {
	key   registry.Key
	l     query.Lookup
	entry audit.Entry
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

var hdrAuthorization = []byte("Authorization")

// Handle is the fasthttp handler of the API: it matches the path against
// the route table, authenticates, checks the route's scope, the client's
// rate and the method, and calls the route's handler.
func (s *Server) Handle(ctx *fasthttp.RequestCtx) {
	start := time.Now()
	rt, idb := match(ctx.Path())
	r := &routes[rt]
	status := 0
	var p *auth.Principal
	var aerr *auth.Error
	if !r.public {
		p, aerr = s.authenticate(ctx)
	}
	switch {
	case rt == routeNone:
		writeProblem(ctx, 404, bodyNoRoute)
		status = 404
	case r.public:
		if !r.allowed(ctx) {
			status = writeMethodNotAllowed(ctx, allowHeader(r.method))
			break
		}
		status = r.handle(s, ctx, call{r: r, start: start})
	case aerr != nil:
		status = writeAuthError(ctx, aerr)
	case p.Scopes&r.scope == 0:
		writeProblem(ctx, 403, r.forbidden)
		status = 403
	default:
		if ok, retry := p.Allow(start); !ok {
			status = writeRateLimited(ctx, retry)
			break
		}
		if !r.allowed(ctx) {
			status = writeMethodNotAllowed(ctx, allowHeader(r.method))
			break
		}
		status = r.handle(s, ctx, call{r: r, id: idb, p: p, start: start})
	}
	s.metrics.observe(rt, status, time.Since(start))
}

// allowHeader is the Allow header of a route's method.
func allowHeader(m string) string {
	if m == mGet {
		return "GET, HEAD"
	}
	return m
}

func (s *Server) authenticate(ctx *fasthttp.RequestCtx) (*auth.Principal, *auth.Error) {
	if s.cfg.Auth == nil {
		return auth.Anonymous(), nil
	}
	return s.cfg.Auth.Authenticate(ctx.Request.Header.PeekBytes(hdrAuthorization))
}

// getSerial answers GET /v1/<register>/{id} for serial ids.
func (s *Server) getSerial(ctx *fasthttp.RequestCtx, idb []byte, t registry.IDType, reg registry.Register) int {
	id, err := registry.ParseSerial(t, idb)
	if err != nil {
		return writeError(ctx, err)
	}
	switch reg {
	case registry.RegResh:
		children, ok1 := boolArg(ctx, "children")
		if !ok1 {
			return 400
		}
		ancestors, ok2 := boolArg(ctx, "ancestors")
		if !ok2 {
			return 400
		}
		// ?atTime: the unit (and tree) of that instant; a cold path.
		at := query.ParseAt(ctx.QueryArgs().Peek("atTime"))
		if at.Bad {
			return writeError(ctx, query.ErrBadAtTime)
		}
		if children || ancestors {
			return s.reshTree(ctx, id, children, ancestors, at)
		}
		if at.Given {
			return s.reshAt(ctx, id, at)
		}
	}
	sc := scratchPool.Get().(*scratch)
	sc.key = registry.SerialKey(reg, id)
	status := s.write(ctx, &sc.key, false)
	scratchPool.Put(sc)
	return status
}

// boolArg reads a boolean query parameter: absent, "true" or "false";
// anything else answers 400 (as active= does on the search) and ok is false.
func boolArg(ctx *fasthttp.RequestCtx, name string) (v, ok bool) {
	switch b := ctx.QueryArgs().Peek(name); string(b) {
	case "", "false":
		return false, true
	case "true":
		return true, true
	}
	writeProblem(ctx, 400, problemBody(400, "invalid_parameter", "Invalid "+name, name+" must be true or false", "", name))
	return false, false
}

// withView runs fn with the active generation.
func (s *Server) withView(ctx *fasthttp.RequestCtx, fn func(v registry.View) int) int {
	v, err := s.store.Acquire()
	if err != nil {
		return writeError(ctx, err)
	}
	defer v.Release()
	return fn(v)
}

func (s *Server) getOrg(ctx *fasthttp.RequestCtx, idb []byte) int {
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

// lookupByNIN answers POST {"nin":"…"} routes (query.Engine.ByNIN): any of
// a person's numbers finds them, their GP and their HPR record. Every
// request that names a valid person number is audited under the person
// answered (the current number) and the number asked; its response is
// released only once the audit record is durable.
func (s *Server) lookupByNIN(ctx *fasthttp.RequestCtx, c call, reg registry.Register) int {
	if st := checkJSONPost(ctx); st != 0 {
		return st
	}
	nb, err := parseNINBody(ctx.PostBody())
	if err != nil {
		if eb, ok := err.(*errBody); ok {
			return writeInvalidBody(ctx, eb.msg)
		}
		return writeError(ctx, err)
	}
	n, info, err := registry.ParseNIN(nb)
	if err != nil {
		return writeError(ctx, err)
	}
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	sc.l.Asked, sc.l.NIN = n, n
	status, gen := 0, ""
	if v, err := s.store.Acquire(); err != nil {
		status = writeError(ctx, err)
	} else {
		gen = v.ID()
		at := query.At{}
		if reg == registry.IdxPersonnelByNIN {
			at = query.ParseAt(ctx.QueryArgs().Peek("atTime"))
		}
		body, err := s.q.ByNIN(v, reg, info.Kind, &sc.l, c.p.Scopes&auth.ScopePersonReadProtected != 0, s.cfg.Audit != nil, at)
		status = writeAnswer(ctx, body, err)
		v.Release()
	}
	if s.cfg.Audit == nil {
		return status
	}
	sc.entry = audit.Entry{Caller: caller(c.p), Route: c.r.name, Subject: sc.l.NIN[:], Asked: sc.l.Asked[:], Status: status,
		Duration: time.Since(c.start), Generation: gen}
	return s.audit(ctx, &sc.entry, status)
}

// write looks key up in the active generation and writes the view the
// caller may see.
func (s *Server) write(ctx *fasthttp.RequestCtx, key *registry.Key, seeProtected bool) int {
	v, err := s.store.Acquire()
	if err != nil {
		return writeError(ctx, err)
	}
	body, err := s.q.Record(v, key, seeProtected)
	status := writeAnswer(ctx, body, err)
	v.Release()
	return status
}
