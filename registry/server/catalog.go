package server

import (
	"encoding/base64"
	"encoding/json"
	"sort"
	"strconv"
	"sync"

	"github.com/valyala/fasthttp"

	"github.com/grunndata/grunndata/registry"
)

// The search catalog of the small registers (registry.BuildCatalog) —
// Adresseregisteret (~100 k parties) and Fastlegeregisteret (~5 k contracts)
// — is built from a generation the first time it is searched (or by the
// background builder), and rebuilt when another generation becomes active.
// Searching it costs no store reads but the records of the page returned.

type catalogCache struct {
	mu  sync.Mutex
	cur *registry.Catalog
}

// tokens folds and splits a name (registry.NameTokens).
func tokens(s string) []string { return registry.NameTokens(s) }

// catalogFor returns the catalog of v, building it if needed.
func (s *Server) catalogFor(v registry.View) (*registry.Catalog, error) {
	s.catalog.mu.Lock()
	defer s.catalog.mu.Unlock()
	if c := s.catalog.cur; c != nil && c.Seq == v.Seq() {
		return c, nil
	}
	c, err := registry.BuildCatalog(v)
	if err != nil {
		return nil, err
	}
	s.catalog.cur = c
	return c, nil
}

func base64RawURL(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

func offsetCursor(ctx *fasthttp.RequestCtx) (limit, offset, status int) {
	limit, after, st := page(ctx)
	if st != 0 || after == nil {
		return limit, 0, st
	}
	if len(after) < 2 || after[0] != 'o' {
		writeProblem(ctx, 400, bodyBadCursor)
		return 0, 0, 400
	}
	n, ok := parseOffset(after[1:])
	if !ok {
		writeProblem(ctx, 400, bodyBadCursor)
		return 0, 0, 400
	}
	return limit, n, 0
}

// maxOffset bounds an offset cursor: far beyond any result list (searches
// examine at most maxCandidates entries), far below an int overflow when the
// page size is added.
const maxOffset = 1_000_000_000

// parseOffset parses the digits of an offset cursor: ASCII digits only (no
// sign), at most maxOffset.
func parseOffset(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 10 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, n <= maxOffset
}

func appendOffsetCursor(out []byte, next int, more bool) []byte {
	out = append(out, `,"nextCursor":`...)
	if !more {
		return append(out, "null"...)
	}
	out = append(out, '"')
	out = base64.RawURLEncoding.AppendEncode(out, []byte("o"+strconv.Itoa(next)))
	return append(out, '"')
}

var partySearchParams = map[string]bool{"orgnr": true, "name": true, "type": true, "serviceCode": true, "municipality": true,
	"businessType": true, "active": true, "limit": true, "cursor": true}

// searchParties answers GET /v1/communication-parties?orgnr=&name=&type=
// &serviceCode=&municipality=&businessType=&active=: every filter optional
// (at least one), the name matched word by word as prefixes in any order,
// tolerant of case and of æøå / ae oe aa spellings; results carry facet
// counts by type, business type and municipality over all matches.
func (s *Server) searchParties(ctx *fasthttp.RequestCtx) int {
	args := ctx.QueryArgs()
	bad := ""
	args.VisitAll(func(k, _ []byte) {
		if !partySearchParams[string(k)] {
			bad = string(k)
		}
	})
	if bad != "" {
		writeProblem(ctx, 400, problemBody(400, "invalid_parameter", "Unknown search parameter",
			"parameters: orgnr, name, type, serviceCode, municipality, businessType, active, limit, cursor", "", bad))
		return 400
	}
	q := registry.PartyQuery{Orgnr: string(args.Peek("orgnr")), Type: string(args.Peek("type")),
		ServiceCode: string(args.Peek("serviceCode")), Municipality: string(args.Peek("municipality")),
		BusinessType: string(args.Peek("businessType")), Active: string(args.Peek("active")), Name: tokens(string(args.Peek("name")))}
	if q.Orgnr != "" {
		if _, err := registry.ParseOrgnr([]byte(q.Orgnr)); err != nil {
			return writeError(ctx, err)
		}
	}
	if q.Active != "" && q.Active != "true" && q.Active != "false" {
		writeProblem(ctx, 400, problemBody(400, "invalid_parameter", "Invalid active", "active must be true or false", "", "active"))
		return 400
	}
	if q.Orgnr == "" && len(q.Name) == 0 && q.Type == "" && q.ServiceCode == "" && q.Municipality == "" && q.BusinessType == "" {
		writeProblem(ctx, 400, problemBody(400, "invalid_parameter", "No search filter", "give at least one of orgnr, name, type, serviceCode, municipality, businessType", "", ""))
		return 400
	}
	limit, offset, st := offsetCursor(ctx)
	if st != 0 {
		return st
	}
	v, err := s.store.Acquire()
	if err != nil {
		return writeError(ctx, err)
	}
	defer v.Release()
	c, err := s.catalogFor(v)
	if err != nil {
		return writeError(ctx, err)
	}
	type hit struct {
		p     *registry.PartyEntry
		exact bool
	}
	var hits []hit
	facets := map[string]map[string]int{"type": {}, "businessType": {}, "municipality": {}}
	for i := range c.Parties {
		p := &c.Parties[i]
		ok, exact := q.Match(p)
		if !ok {
			continue
		}
		hits = append(hits, hit{p, exact})
		facets["type"][p.Type]++
		if p.BusinessType != "" {
			facets["businessType"][p.BusinessType]++
		}
		if p.Municipality != "" {
			facets["municipality"][p.Municipality]++
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return registry.PartyBefore(hits[i].p, hits[j].p, hits[i].exact, hits[j].exact) })
	out := append(make([]byte, 0, 8192), `{"total":`...)
	out = strconv.AppendInt(out, int64(len(hits)), 10)
	fb, _ := json.Marshal(facets)
	out = append(out, `,"facets":`...)
	out = append(out, fb...)
	out = append(out, `,"items":[`...)
	out = s.appendPage(out, v, len(hits), offset, limit, func(i int) registry.Key {
		return registry.SerialKey(registry.RegParty, uint64(hits[i].p.HerID))
	}, restrictedView, nil)
	return writeJSON(ctx, out)
}

// restrictedView and fullView pick a stored value's view for appendPage.
func restrictedView(_ int, _, restricted []byte) []byte { return restricted }
func fullView(_ int, full, _ []byte) []byte             { return full }

// appendPage appends the records offset… of a ranked result of total, at most
// limit, as `…[items],"nextCursor":…}` (out holds the opening up to and
// including `"items":[`). key names the i-th record; view picks its bytes
// (nil skips it); took, when set, is told which were written. Records that
// vanished from the generation are skipped, never failing the page.
func (s *Server) appendPage(out []byte, v registry.View, total, offset, limit int, key func(i int) registry.Key,
	view func(i int, full, restricted []byte) []byte, took func(i int)) []byte {
	n := 0
	for i := offset; i < total && n < limit; i++ {
		k := key(i)
		val, err := s.cache.Get(v, &k)
		if err != nil {
			continue
		}
		_, full, restricted, err := registry.DecodeValue(val)
		if err != nil {
			continue
		}
		body := view(i, full, restricted)
		if body == nil {
			continue
		}
		if n > 0 {
			out = append(out, ',')
		}
		out = append(out, body...)
		if took != nil {
			took(i)
		}
		n++
	}
	out = append(out, ']')
	out = appendOffsetCursor(out, offset+limit, offset+limit < total)
	return append(out, '}')
}

// listContracts answers GET /v1/gp-contracts?orgnr=&municipality=.
func (s *Server) listContracts(ctx *fasthttp.RequestCtx) int {
	args := ctx.QueryArgs()
	orgnr, municipality := string(args.Peek("orgnr")), string(args.Peek("municipality"))
	if orgnr != "" {
		if _, err := registry.ParseOrgnr([]byte(orgnr)); err != nil {
			return writeError(ctx, err)
		}
	}
	limit, offset, st := offsetCursor(ctx)
	if st != 0 {
		return st
	}
	v, err := s.store.Acquire()
	if err != nil {
		return writeError(ctx, err)
	}
	defer v.Release()
	c, err := s.catalogFor(v)
	if err != nil {
		return writeError(ctx, err)
	}
	var ids []uint64
	for _, g := range c.Contracts {
		if (orgnr == "" || g.Orgnr == orgnr) && (municipality == "" || g.Municipality == municipality) {
			ids = append(ids, g.ID)
		}
	}
	out := append(make([]byte, 0, 8192), `{"total":`...)
	out = strconv.AppendInt(out, int64(len(ids)), 10)
	out = append(out, `,"items":[`...)
	out = s.appendPage(out, v, len(ids), offset, limit, func(i int) registry.Key {
		return registry.SerialKey(registry.RegGPContract, ids[i])
	}, fullView, nil)
	return writeJSON(ctx, out)
}
