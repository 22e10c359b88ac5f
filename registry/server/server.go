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
	"encoding/binary"
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
	// Clock is the instant certificate statuses are evaluated at; nil is
	// time.Now.
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
	log     *slog.Logger
	metrics *Metrics
	srv     *fasthttp.Server
	catalog catalogCache
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
// the active generation in the background, so the first search after an
// activation does not pay for building it (about a second at national size).
func (s *Server) startCatalogs() {
	s.catalogOnce.Do(func() {
		s.catalogStop = make(chan struct{})
		go func() {
			t := time.NewTicker(500 * time.Millisecond)
			defer t.Stop()
			for {
				if v, err := s.acquireBackground(); err == nil {
					if _, err := s.catalogFor(v); err != nil {
						s.log.Error("build search catalog", "err", err)
					}
					v.Release()
				}
				select {
				case <-s.catalogStop:
					return
				case <-t.C:
				}
			}
		}()
	})
}

// scratch is per-request state from a pool (never kept after the handler).
type scratch struct {
	key   registry.Key
	key2  registry.Key // the patient's person flags (GP answers)
	nin   registry.NIN // the person answered (current number)
	asked registry.NIN // the number the caller sent
	entry audit.Entry
	buf   []byte
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
	switch p, aerr := s.authenticate(ctx); {
	case rt == routeNone:
		writeProblem(ctx, 404, bodyNoRoute)
		status = 404
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
		if children || ancestors {
			return s.reshTree(ctx, id, children, ancestors)
		}
	}
	sc := scratchPool.Get().(*scratch)
	sc.key = registry.SerialKey(reg, id)
	status, _ := s.write(ctx, &sc.key, false)
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
	status, _ := s.write(ctx, &sc.key, false)
	scratchPool.Put(sc)
	return status
}

var ctJSONPrefix = []byte("application/json")

// lookupByNIN answers POST {"nin":"…"} routes. reg is the key family; for
// IdxPersonnelByNIN the secondary value (an HPR-number) is followed. Any of
// a person's numbers finds them (an old D-number finds the person, their GP
// and their HPR record like the current fødselsnummer does). Every request
// that names a valid person number is audited under the person answered (the
// current number) and the number asked; its response is released only once
// the audit record is durable.
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
	sc.nin, sc.asked = n, n
	status, gen := 0, ""
	if v, err := s.store.Acquire(); err != nil {
		status = writeError(ctx, err)
	} else {
		gen = v.ID()
		status = s.answerNIN(ctx, v, reg, info, sc, c.p.Scopes&auth.ScopePersonReadProtected != 0)
		v.Release()
	}
	if s.cfg.Audit != nil {
		sc.entry = audit.Entry{Caller: caller(c.p), Route: c.r.name, Subject: sc.nin[:], Asked: sc.asked[:], Status: status,
			Duration: time.Since(c.start), Generation: gen}
		if err := s.cfg.Audit.Record(&sc.entry); err != nil {
			s.log.Error("audit log unavailable: refusing person lookups", "err", err)
			ctx.Response.Reset()
			writeProblem(ctx, 503, bodyAuditDown)
			return 503
		}
	}
	return status
}

// answerNIN writes the answer about sc.asked from v and leaves in sc.nin the
// person answered (their current number; the number asked when v does not
// know the person).
func (s *Server) answerNIN(ctx *fasthttp.RequestCtx, v registry.View, reg registry.Register, info registry.NINInfo, sc *scratch, seeProtected bool) int {
	n := sc.asked
	switch reg {
	case registry.RegPerson:
		sc.key = registry.PersonKey(n)
		status := s.writeFrom(ctx, v, &sc.key, seeProtected)
		if status == 404 && info.Kind == registry.NINAin {
			ctx.Response.Reset()
			status = s.ainLookup(ctx, &sc.key) // allocated by this service, not in Freg
		}
		if status == 200 {
			// Both views start with the current number.
			if cur, ok := registry.CurrentNIN(ctx.Response.Body()); ok {
				sc.nin = cur
			}
		}
		return status
	case registry.RegGPPatient:
		sc.key = registry.GPPatientKey(n)
		status := s.writeGP(ctx, v, sc, seeProtected)
		if status != 404 && s.cfg.Audit == nil {
			return status
		}
		full, ok := s.resolvePerson(v, sc)
		if status == 404 && ok {
			status = s.retryOtherNumbers(ctx, full, n, func(o registry.NIN) int {
				sc.key = registry.GPPatientKey(o)
				return s.writeGP(ctx, v, sc, seeProtected)
			})
		}
		return status
	case registry.IdxPersonnelByNIN:
		sc.key = registry.PersonnelByNINKey(n)
		status := s.writePersonnelByNIN(ctx, v, sc)
		if status != 404 && s.cfg.Audit == nil {
			return status
		}
		full, ok := s.resolvePerson(v, sc)
		if status == 404 && ok {
			status = s.retryOtherNumbers(ctx, full, n, func(o registry.NIN) int {
				sc.key = registry.PersonnelByNINKey(o)
				return s.writePersonnelByNIN(ctx, v, sc)
			})
		}
		return status
	}
	return writeError(ctx, registry.ErrNotFound)
}

// writeGP writes the GP answer under sc.key (a GP patient key) as the
// caller may see it (gpBody).
func (s *Server) writeGP(ctx *fasthttp.RequestCtx, v registry.View, sc *scratch, seeProtected bool) int {
	val, err := s.cache.Get(v, &sc.key)
	if err != nil {
		return writeError(ctx, err)
	}
	flags, full, restricted, err := registry.DecodeValue(val)
	if err != nil {
		s.log.Error("BUG: undecodable stored value", "register", string(sc.key.Register()))
		return writeError(ctx, err)
	}
	if flags&registry.FlagGone != 0 {
		return writeError(ctx, registry.ErrGone)
	}
	body := s.gpBody(v, sc.key.Bytes()[1:], flags, full, restricted, seeProtected, &sc.key2, &sc.buf)
	ctx.SetStatusCode(200)
	ctx.Response.Header.SetContentTypeBytes(ctJSON)
	ctx.SetBody(body)
	return 200
}

// gpBody chooses the GP answer of patient (11 digits) a caller may see:
// the full one with grunndata:person.read-protected, else the withheld one
// for a protected patient. The loader stores the withheld view of patients
// protected at load time; a patient protected since (a Freg delta changes
// the address protection, not the GP answers) is recognised by the person's
// current flags, and answered the same withheld view. zk and buf are scratch.
func (s *Server) gpBody(v registry.View, patient []byte, flags byte, full, restricted []byte, seeProtected bool, zk *registry.Key, buf *[]byte) []byte {
	switch {
	case seeProtected:
		return full
	case flags&registry.FlagRestricted != 0:
		return restricted
	case len(patient) != len(registry.NIN{}):
		return full
	}
	var n registry.NIN
	copy(n[:], patient)
	*zk = registry.PersonExistsKey(n)
	if pv, err := s.cache.Get(v, zk); err == nil && len(pv) > 0 && pv[0]&registry.FlagRestricted != 0 {
		*buf = registry.AppendWithheldGP((*buf)[:0], patient)
		return *buf
	}
	return full
}

// resolvePerson reads the person sc.asked names and sets sc.nin to their
// current number; it returns the stored full view (aliasing the cache) and
// whether the person is in v.
func (s *Server) resolvePerson(v registry.View, sc *scratch) ([]byte, bool) {
	sc.key = registry.PersonKey(sc.asked)
	val, err := s.cache.Get(v, &sc.key)
	if err != nil {
		return nil, false
	}
	_, full, _, err := registry.DecodeValue(val)
	if err != nil {
		return nil, false
	}
	if cur, ok := registry.CurrentNIN(full); ok {
		sc.nin = cur
	}
	return full, true
}

// retryOtherNumbers tries the person's other numbers (from their stored
// view) after the number asked answered 404: registers other than Freg may
// hold the person under an earlier or a later number. It returns the first
// answer that is not 404.
func (s *Server) retryOtherNumbers(ctx *fasthttp.RequestCtx, view []byte, asked registry.NIN, try func(registry.NIN) int) int {
	status := 404
	registry.EachPersonNumber(view, func(o registry.NIN) bool {
		if o == asked {
			return true
		}
		ctx.Response.Reset()
		status = try(o)
		return status == 404
	})
	if status == 404 {
		ctx.Response.Reset()
		return writeError(ctx, registry.ErrNotFound)
	}
	return status
}

func (s *Server) writePersonnelByNIN(ctx *fasthttp.RequestCtx, v registry.View, sc *scratch) int {
	hv, err := s.cache.Get(v, &sc.key)
	if err != nil {
		return writeError(ctx, err)
	}
	if len(hv) != 4 {
		s.log.Error("BUG: malformed personnel index value")
		return writeError(ctx, registry.ErrBadValue)
	}
	sc.key = registry.SerialKey(registry.RegPersonnel, uint64(binary.BigEndian.Uint32(hv)))
	st, _, _ := s.writePersonnel(ctx, v, &sc.key)
	return st
}

// write looks key up in the active generation and writes the stored view;
// it returns the status and the generation that answered.
func (s *Server) write(ctx *fasthttp.RequestCtx, key *registry.Key, seeProtected bool) (int, string) {
	v, err := s.store.Acquire()
	if err != nil {
		return writeError(ctx, err), ""
	}
	status := s.writeFrom(ctx, v, key, seeProtected)
	gen := v.ID()
	v.Release()
	return status, gen
}

// writeFrom writes key's value from generation v. seeProtected selects the
// full view of a value that has a restricted one (address protection).
func (s *Server) writeFrom(ctx *fasthttp.RequestCtx, v registry.View, key *registry.Key, seeProtected bool) int {
	val, err := s.cache.Get(v, key)
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
