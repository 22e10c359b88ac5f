package server

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
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
	return s.certFallback(ctx, uint32(her))
}

// now is the request's instant.
func (s *Server) now() time.Time {
	if s.cfg.Clock != nil {
		return s.cfg.Clock()
	}
	return time.Now()
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

// partyCerts writes {"herId","evaluatedAt","certificates":[…]}: the party's
// own certificates, then the slots it inherits from its parent organisation
// (inherited: true). orgnr, when her is 0, names the party by its AR
// organisation's number. A known party without certificates answers an
// empty list; an unknown one 404.
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
	if her == 0 {
		sc.key = registry.CertOrgnrKey(orgnr)
		hv, err := s.cache.Get(v, &sc.key)
		if err != nil {
			return writeError(ctx, err)
		}
		if len(hv) != 4 {
			s.log.Error("BUG: malformed orgnr index value")
			return writeError(ctx, registry.ErrBadValue)
		}
		her = binary.BigEndian.Uint32(hv)
	}
	sc.key = registry.SerialKey(fam, uint64(her))
	val, err := s.cache.Get(v, &sc.key)
	switch {
	case err == registry.ErrNotFound:
		sc.key = registry.SerialKey(registry.RegParty, uint64(her))
		if _, err := s.cache.Get(v, &sc.key); err != nil {
			return writeError(ctx, err)
		}
		val = nil
	case err != nil:
		return writeError(ctx, err)
	}
	now := s.now()
	out := append(sc.buf[:0], `{"herId":`...)
	out = strconv.AppendUint(out, uint64(her), 10)
	out = append(out, `,"evaluatedAt":"`...)
	out = now.UTC().AppendFormat(out, time.RFC3339)
	out = append(out, `","certificates":[`...)
	if val != nil {
		first := true
		var owner uint32
		var mask byte
		out, owner, mask, err = registry.AppendCertEntries(out, val, u, 0xff, now.Unix(), false, &first)
		if err == nil && owner != 0 && (u == 0 || mask&registry.CertMask(u) != 0) {
			sc.key = registry.SerialKey(fam, uint64(owner))
			ov, gerr := s.cache.Get(v, &sc.key)
			switch {
			case gerr == nil:
				out, _, _, err = registry.AppendCertEntries(out, ov, u, mask, now.Unix(), true, &first)
			case gerr != registry.ErrNotFound: // a parent without certificates: nothing inherited
				sc.buf = out
				return writeError(ctx, gerr)
			}
		}
		if err != nil {
			sc.buf = out
			s.log.Error("BUG: undecodable certificate value", "herId", her)
			return writeError(ctx, err)
		}
	}
	out = append(out, "]}"...)
	sc.buf = out
	return writeJSON(ctx, out)
}

// certSearch answers GET /v1/certificates?cn=|ou=|serialNumber=: current
// certificates whose subject field starts with the value (case-insensitive),
// like AR's SearchCertificatesFor*(sn, cn, ou), paged by cursor.
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
	limit, after, st := page(ctx)
	if st != 0 {
		return st
	}
	norm := registry.NormaliseCertField(nil, string(q))
	v, err := s.store.Acquire()
	if err != nil {
		return writeError(ctx, err)
	}
	defer v.Release()
	return s.writeCertHits(ctx, v, registry.CertSearchPrefix(nil, field, norm), norm, u, after, limit, "", s.now().Unix())
}

// writeCertHits writes the search hits under prefix whose full field value
// starts with norm, as {"items":[…],"nextCursor"}.
func (s *Server) writeCertHits(ctx *fasthttp.RequestCtx, v registry.View, prefix, norm []byte, u registry.CertUsage,
	after []byte, limit int, source string, now int64) int {
	out := append(make([]byte, 0, 4096), `{"items":[`...)
	first := true
	out, next, err := appendCertHits(out, v, prefix, norm, u, after, limit, source, now, &first)
	if err != nil {
		return writeError(ctx, err)
	}
	out = append(out, `],"nextCursor":`...)
	if next != nil {
		out = append(out, '"')
		out = base64.RawURLEncoding.AppendEncode(out, next)
		out = append(out, '"')
	} else {
		out = append(out, "null"...)
	}
	out = append(out, '}')
	return writeJSON(ctx, out)
}

// appendCertHits appends up to limit hits, each preceded by a comma unless
// *first; it returns the cursor of the next page (nil: none).
func appendCertHits(out []byte, v registry.View, prefix, norm []byte, u registry.CertUsage, after []byte, limit int,
	source string, now int64, first *bool) ([]byte, []byte, error) {
	var from []byte
	if after != nil {
		from = append(append([]byte(nil), after...), 0)
	}
	n := 0
	var next, last []byte
	var bad error
	err := v.Scan(prefix, from, func(k, val []byte) bool {
		full, e, err := registry.DecodeCertSearchValue(val)
		if err != nil {
			bad = err
			return false
		}
		if !bytes.HasPrefix(full, norm) || (u != 0 && e.Usage != u) {
			return true
		}
		if n == limit {
			next = last
			return false
		}
		if !*first {
			out = append(out, ',')
		}
		*first = false
		out = append(out, `{"usage":"`...)
		out = append(out, e.Usage.String()...)
		out = append(out, `","status":"`...)
		out = append(out, e.Times.StatusAt(now).String()...)
		out = append(out, `","usageMatches":`...)
		out = strconv.AppendBool(out, !e.UsageMismatch)
		if source != "" {
			out = append(out, `,"fallbackSource":"`...)
			out = append(out, source...)
			out = append(out, '"')
		}
		out = append(out, ',')
		out = append(out, e.Body[1:]...)
		last = append(last[:0], k[len(prefix):]...)
		n++
		return true
	})
	if err == nil {
		err = bad
	}
	return out, next, err
}

// certFallback answers GET /v1/communication-parties/{herId}/certificates/fallback,
// as AR's GetFallbackCertificates: when a party's certificate cannot be
// used, the candidates a client may fall back to — current certificates
// whose subject carries the party's organisation number (OrgNo) or whose
// common name is the party's name (ComPartName).
func (s *Server) certFallback(ctx *fasthttp.RequestCtx, her uint32) int {
	v, err := s.store.Acquire()
	if err != nil {
		return writeError(ctx, err)
	}
	defer v.Release()
	k := registry.SerialKey(registry.RegParty, uint64(her))
	val, err := s.cache.Get(v, &k)
	if err != nil {
		return writeError(ctx, err)
	}
	_, full, _, err := registry.DecodeValue(val)
	if err != nil {
		return writeError(ctx, err)
	}
	var p struct {
		Name   string `json:"name"`
		Orgnr  string `json:"organizationNumber"`
		Parent *struct {
			Orgnr string `json:"organizationNumber"`
		} `json:"parent"`
	}
	if err := json.Unmarshal(full, &p); err != nil {
		s.log.Error("BUG: undecodable party", "herId", her)
		return writeError(ctx, registry.ErrBadValue)
	}
	if p.Orgnr == "" && p.Parent != nil {
		p.Orgnr = p.Parent.Orgnr
	}
	now := s.now()
	out := append(make([]byte, 0, 4096), `{"herId":`...)
	out = strconv.AppendUint(out, uint64(her), 10)
	out = append(out, `,"evaluatedAt":"`...)
	out = now.UTC().AppendFormat(out, time.RFC3339)
	out = append(out, `","candidates":[`...)
	first := true
	for _, c := range []struct {
		field  byte
		value  string
		source string
	}{{registry.CertFieldSerial, p.Orgnr, "OrgNo"}, {registry.CertFieldCN, p.Name, "ComPartName"}} {
		if c.value == "" {
			continue
		}
		norm := registry.NormaliseCertField(nil, c.value)
		prefix := registry.CertSearchPrefix(nil, c.field, norm)
		out, _, err = appendCertHits(out, v, prefix, norm, 0, nil, maxLimit, c.source, now.Unix(), &first)
		if err != nil {
			return writeError(ctx, err)
		}
	}
	out = append(out, "]}"...)
	return writeJSON(ctx, out)
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

// CertCollector exports the certificate gauges for alerts:
// grunndata_certificates_expiring_soon (valid certificates that expire within
// 30 days) and grunndata_certificates_revoked. The certificates' instants
// are read once per generation; a scrape compares them with the clock.
type CertCollector struct {
	store registry.Store
	clock func() time.Time
	mu    struct {
		sync.Mutex
		seq   uint64
		times []registry.CertTimes
	}
}

var (
	dCertsExpiring = prometheus.NewDesc("grunndata_certificates_expiring_soon",
		"Certificates held by communication parties that are valid and expire within 30 days.", nil, nil)
	dCertsRevoked = prometheus.NewDesc("grunndata_certificates_revoked",
		"Certificates held by communication parties that a loaded CRL revokes.", nil, nil)
)

// CertExpiryHorizon is the horizon of grunndata_certificates_expiring_soon.
const CertExpiryHorizon = 30 * 24 * time.Hour

// NewCertCollector returns the collector; clock nil is time.Now.
func NewCertCollector(store registry.Store, clock func() time.Time) *CertCollector {
	if clock == nil {
		clock = time.Now
	}
	return &CertCollector{store: store, clock: clock}
}

// Describe implements prometheus.Collector.
func (c *CertCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- dCertsExpiring
	ch <- dCertsRevoked
}

// Collect implements prometheus.Collector.
func (c *CertCollector) Collect(ch chan<- prometheus.Metric) {
	var v registry.View
	var err error
	if q, ok := c.store.(interface{ AcquireUncounted() (registry.View, error) }); ok {
		v, err = q.AcquireUncounted()
	} else {
		v, err = c.store.Acquire()
	}
	if err != nil {
		return // no generation: no gauges
	}
	defer v.Release()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mu.times == nil || c.mu.seq != v.Seq() {
		ts, err := registry.CollectCertTimes(v)
		if err != nil {
			return
		}
		if ts == nil {
			ts = []registry.CertTimes{}
		}
		c.mu.seq, c.mu.times = v.Seq(), ts
	}
	soon, revoked := registry.CountCerts(c.mu.times, c.clock(), CertExpiryHorizon)
	ch <- prometheus.MustNewConstMetric(dCertsExpiring, prometheus.GaugeValue, float64(soon))
	ch <- prometheus.MustNewConstMetric(dCertsRevoked, prometheus.GaugeValue, float64(revoked))
}

// appendCertEvent appends the entity of a certificate change in the
// communication-parties feed: the party's certificates as the lookup
// answers them now (own and inherited). Parties that inherit the changed
// certificates get no event of their own: their answers follow the owner's.
func (s *Server) appendCertEvent(out []byte, v registry.View, pk, val []byte) []byte {
	her := binary.BigEndian.Uint32(pk[1:])
	now := s.now()
	start := len(out)
	out = append(out, `,"type":"upsert","entity":{"herId":`...)
	out = strconv.AppendUint(out, uint64(her), 10)
	out = append(out, `,"evaluatedAt":"`...)
	out = now.UTC().AppendFormat(out, time.RFC3339)
	out = append(out, `","certificates":[`...)
	first := true
	out, owner, mask, err := registry.AppendCertEntries(out, val, 0, 0xff, now.Unix(), false, &first)
	if err == nil && owner != 0 && mask != 0 {
		k := registry.SerialKey(registry.RegCertificates, uint64(owner))
		if ov, gerr := s.cache.Get(v, &k); gerr == nil {
			out, _, _, err = registry.AppendCertEntries(out, ov, 0, mask, now.Unix(), true, &first)
		}
	}
	if err != nil {
		return append(out[:start], `,"type":"delete"}`...)
	}
	return append(out, "]}}"...)
}
