package server

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/grunndata/grunndata/registry"
)

// Certificate routes (Adresseregisteret EDI certificates, evaluated here):
//
//	GET /v1/communication-parties/{herId}/certificates[?usage=]          current, own and inherited
//	GET /v1/communication-parties/{herId}/certificates/history[?usage=]  current and replaced
//	GET /v1/communication-parties/{herId}/certificates/fallback          candidates by orgnr and name
//	GET /v1/organisations/{orgnr}/certificates[?usage=]                  the AR organisation's
//	GET /v1/certificates?cn=|ou=|serialNumber=[&usage=&limit=&cursor=]   search by subject field
//
// The status of every certificate is evaluated at the request's instant
// (Config.Clock) from the instants stored with it, so a cache hit is a
// comparison per certificate and a copy: zero allocations (certs_alloc_test.go).

var (
	bodyBadUsage     = problemBody(400, "invalid_parameter", "Invalid usage", "usage is encryption or signature", "", "usage")
	bodyBadCertQuery = problemBody(400, "invalid_parameter", "Invalid certificate search",
		"give exactly one of cn, ou and serialNumber (a prefix, case-insensitive)", "", "")
)

// herCerts answers the current (fam RegCertificates) or the history
// (IdxCertHistory) certificates of a party by HER-id.
func (s *Server) herCerts(ctx *fasthttp.RequestCtx, idb []byte, fam registry.Register) int {
	her, err := registry.ParseSerial(registry.IDHerID, idb)
	if err != nil {
		return writeError(ctx, err)
	}
	return s.partyCerts(ctx, uint32(her), registry.Orgnr{}, fam)
}

// orgCerts answers the certificates of the AR organisation with an orgnr.
func (s *Server) orgCerts(ctx *fasthttp.RequestCtx, idb []byte) int {
	o, err := registry.ParseOrgnr(idb)
	if err != nil {
		return writeError(ctx, err)
	}
	return s.partyCerts(ctx, 0, o, registry.RegCertificates)
}

// herCertFallback answers the fallback candidates of a party by HER-id.
func (s *Server) herCertFallback(ctx *fasthttp.RequestCtx, idb []byte) int {
	her, err := registry.ParseSerial(registry.IDHerID, idb)
	if err != nil {
		return writeError(ctx, err)
	}
	return s.withView(ctx, func(v registry.View) int {
		out, err := s.q.CertFallback(v, uint32(her))
		return writeAnswer(ctx, out, err)
	})
}

// certUsage reads ?usage=; 0 means both slots.
func certUsage(ctx *fasthttp.RequestCtx) (registry.CertUsage, int) {
	b := ctx.QueryArgs().Peek("usage")
	if len(b) == 0 {
		return 0, 0
	}
	u, ok := registry.ParseCertUsage(b)
	if !ok {
		writeProblem(ctx, 400, bodyBadUsage)
		return 0, 400
	}
	return u, 0
}

// certScratch is per-request state of the certificate routes.
type certScratch struct {
	key registry.Key
	buf []byte
}

var certPool = sync.Pool{New: func() any { return &certScratch{buf: make([]byte, 0, 16<<10)} }}

// partyCerts answers the certificates of a party (query.Engine.PartyCerts).
func (s *Server) partyCerts(ctx *fasthttp.RequestCtx, her uint32, orgnr registry.Orgnr, fam registry.Register) int {
	u, st := certUsage(ctx)
	if st != 0 {
		return st
	}
	v, err := s.store.Acquire()
	if err != nil {
		return writeError(ctx, err)
	}
	defer v.Release()
	sc := certPool.Get().(*certScratch)
	defer certPool.Put(sc)
	sc.buf, err = s.q.PartyCerts(sc.buf[:0], &sc.key, v, her, orgnr, fam, u)
	return writeAnswer(ctx, sc.buf, err)
}

// certSearch answers GET /v1/certificates?cn=|ou=|serialNumber= (query.Engine.CertSearch).
func (s *Server) certSearch(ctx *fasthttp.RequestCtx) int {
	args := ctx.QueryArgs()
	var field byte
	var q []byte
	for _, f := range []struct {
		name string
		code byte
	}{{"cn", registry.CertFieldCN}, {"ou", registry.CertFieldOU}, {"serialNumber", registry.CertFieldSerial}} {
		if b := args.Peek(f.name); len(b) > 0 {
			if field != 0 {
				writeProblem(ctx, 400, bodyBadCertQuery)
				return 400
			}
			field, q = f.code, b
		}
	}
	if field == 0 {
		writeProblem(ctx, 400, bodyBadCertQuery)
		return 400
	}
	u, st := certUsage(ctx)
	if st != 0 {
		return st
	}
	return s.pagedView(ctx, func(v registry.View, after []byte, limit int) ([]byte, error) {
		return s.q.CertSearch(v, field, q, u, after, limit)
	})
}

// CertReportHandler serves GET /admin/certificates?days=N (default 30): the
// certificate report of the active generation at the clock's instant (nil:
// time.Now), the same as `grunndata certs report --json`.
func CertReportHandler(store registry.Store, clock func() time.Time) http.Handler {
	if clock == nil {
		clock = time.Now
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", "GET")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		days := 30
		if d := r.URL.Query().Get("days"); d != "" {
			n, err := strconv.Atoi(d)
			if err != nil || n < 0 || n > 3650 {
				http.Error(w, "days: an integer from 0 to 3650", http.StatusBadRequest)
				return
			}
			days = n
		}
		v, err := store.Acquire()
		if err != nil {
			http.Error(w, "no active generation", http.StatusServiceUnavailable)
			return
		}
		defer v.Release()
		rep, err := registry.BuildCertReport(v, clock(), days)
		if err != nil {
			http.Error(w, "certificate report failed", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(rep)
	})
}
