package server

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/grunndata/grunndata/registry"
)

// maxCandidates bounds the index entries one person search examines; a
// broader query reports "capped": true and should be narrowed.
const maxCandidates = 200000

type personQuery struct {
	GivenName    string `json:"givenName"`
	FamilyName   string `json:"familyName"`
	BirthDate    string `json:"birthDate"` // yyyy, yyyy-mm or yyyy-mm-dd
	Gender       string `json:"gender"`
	PostalCode   string `json:"postalCode"`
	Municipality string `json:"municipality"`
	Limit        int    `json:"limit"`
	Cursor       string `json:"cursor"`
}

func (q *personQuery) validate() string {
	if q.FamilyName == "" && q.GivenName == "" && q.BirthDate == "" {
		return "give familyName, givenName or birthDate (postal code and municipality only narrow a search)"
	}
	for _, f := range []string{q.GivenName, q.FamilyName} {
		if len(f) > 200 {
			return "names are at most 200 characters"
		}
	}
	if b := q.BirthDate; b != "" {
		ok := false
		for _, layout := range []string{"2006", "2006-01", "2006-01-02"} {
			if len(b) == len(layout) {
				_, err := time.Parse(layout, b)
				ok = err == nil
			}
		}
		if !ok {
			return "birthDate is yyyy, yyyy-mm or yyyy-mm-dd"
		}
	}
	switch q.Gender {
	case "", "kvinne", "mann":
	default:
		return `gender is "kvinne" or "mann"`
	}
	if q.PostalCode != "" && (len(q.PostalCode) != 4 || strings.Trim(q.PostalCode, "0123456789") != "") {
		return "postalCode is 4 digits"
	}
	if q.Municipality != "" && (len(q.Municipality) != 4 || strings.Trim(q.Municipality, "0123456789") != "") {
		return "municipality is a 4-digit municipality number"
	}
	if q.Limit < 0 || q.Limit > maxLimit {
		return "limit is 1 to 1000"
	}
	return ""
}

type personHit struct {
	nin   registry.NIN
	exact bool
	sum   registry.PersonSummary
}

// searchPersons answers POST /v1/persons/search: name prefixes (folded, any
// word), birth date (year, year-month or date), gender, postal code and
// municipality; ranked (exact name words first, then by family and given
// name) and paged. Location filters never match a person whose addresses
// the caller may not see, so a search cannot tell where a protected person
// lives.
func (s *Server) searchPersons(ctx *fasthttp.RequestCtx, p *Principal, start time.Time) int {
	if !ctx.IsPost() {
		return writeMethodNotAllowed(ctx, "POST")
	}
	if ct := ctx.Request.Header.ContentType(); len(ct) > 0 && !bytes.HasPrefix(ct, ctJSONPrefix) {
		writeProblem(ctx, 415, bodyMediaType)
		return 415
	}
	var q personQuery
	dec := json.NewDecoder(bytes.NewReader(ctx.PostBody()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&q); err != nil || dec.More() {
		return writeInvalidBody(ctx, "body must be a JSON object with givenName, familyName, birthDate, gender, postalCode, municipality, limit, cursor")
	}
	if msg := q.validate(); msg != "" {
		return writeInvalidBody(ctx, msg)
	}
	limit := q.Limit
	if limit == 0 {
		limit = defaultLimit
	}
	offset := 0
	if q.Cursor != "" {
		c, ok := decodeOffsetCursor(q.Cursor)
		if !ok {
			writeProblem(ctx, 400, bodyBadCursor)
			return 400
		}
		offset = c
	}
	seeProtected := p.Scopes&ScopePersonReadProtected != 0
	family, given := registry.NameTokens(q.FamilyName), registry.NameTokens(q.GivenName)
	var prefix []byte
	switch {
	case len(family) > 0:
		prefix = append([]byte{byte(registry.IdxPersonFamily)}, truncWord(family[0])...)
	case len(given) > 0:
		prefix = append([]byte{byte(registry.IdxPersonGiven)}, truncWord(given[0])...)
	default:
		prefix = append([]byte{byte(registry.IdxPersonBirth)}, q.BirthDate...)
	}
	v, err := s.store.Acquire()
	if err != nil {
		return writeError(ctx, err)
	}
	defer v.Release()
	seen := map[registry.NIN]bool{}
	var hits []personHit
	examined, capped := 0, false
	err = v.Scan(prefix, nil, func(k, val []byte) bool {
		examined++
		if examined > maxCandidates {
			capped = true
			return false
		}
		var h personHit
		copy(h.nin[:], k[len(k)-11:])
		if seen[h.nin] || !registry.DecodePersonSummary(val, &h.sum) {
			return true
		}
		sm := &h.sum
		if len(family) > 0 && !matchTokens(strings.Fields(sm.Family), family) ||
			len(given) > 0 && !matchTokens(strings.Fields(sm.Given), given) ||
			q.BirthDate != "" && !strings.HasPrefix(sm.BirthDate, q.BirthDate) ||
			q.Gender != "" && sm.Gender != q.Gender[0] {
			return true
		}
		if q.PostalCode != "" || q.Municipality != "" {
			if sm.Protected && !seeProtected {
				return true // a location filter never matches a protected person
			}
			if q.PostalCode != "" && sm.Postnummer != q.PostalCode || q.Municipality != "" && sm.Kommunenummer != q.Municipality {
				return true
			}
		}
		seen[h.nin] = true
		h.exact = (len(family) == 0 || matchExact(strings.Fields(sm.Family), family)) &&
			(len(given) == 0 || matchExact(strings.Fields(sm.Given), given))
		hits = append(hits, h)
		return true
	})
	if err != nil {
		return writeError(ctx, err)
	}
	// AINs this service allocated are searchable at once (they live in the
	// AIN store, not in the generation; there are few of them).
	var ainVals map[registry.NIN][]byte
	if s.cfg.AIN != nil && q.PostalCode == "" && q.Municipality == "" {
		ainVals = map[registry.NIN][]byte{}
		s.cfg.AIN.Scan(func(n registry.NIN, val []byte) bool {
			_, full, _, err := registry.DecodeValue(val)
			if err != nil {
				return true
			}
			var a struct {
				Name struct {
					Given  string `json:"given"`
					Family string `json:"family"`
				} `json:"name"`
				BirthDate string `json:"birthDate"`
				BirthYear int    `json:"birthYear"`
				Gender    string `json:"gender"`
			}
			if json.Unmarshal(full, &a) != nil {
				return true
			}
			h := personHit{nin: n}
			h.sum = registry.PersonSummary{Given: registry.Fold(a.Name.Given), Family: registry.Fold(a.Name.Family), BirthDate: a.BirthDate}
			if h.sum.BirthDate == "" && a.BirthYear != 0 {
				h.sum.BirthDate = strconv.Itoa(a.BirthYear)
			}
			sm := &h.sum
			if len(family) > 0 && !matchTokens(strings.Fields(sm.Family), family) ||
				len(given) > 0 && !matchTokens(strings.Fields(sm.Given), given) ||
				q.BirthDate != "" && !strings.HasPrefix(sm.BirthDate, q.BirthDate) ||
				q.Gender != "" && a.Gender != q.Gender {
				return true
			}
			h.exact = (len(family) == 0 || matchExact(strings.Fields(sm.Family), family)) &&
				(len(given) == 0 || matchExact(strings.Fields(sm.Given), given))
			hits = append(hits, h)
			ainVals[n] = append([]byte(nil), val...)
			return true
		})
	}
	sort.Slice(hits, func(i, j int) bool {
		a, b := &hits[i], &hits[j]
		if a.exact != b.exact {
			return a.exact
		}
		if a.sum.Family != b.sum.Family {
			return a.sum.Family < b.sum.Family
		}
		if a.sum.Given != b.sum.Given {
			return a.sum.Given < b.sum.Given
		}
		return bytes.Compare(a.nin[:], b.nin[:]) < 0
	})
	out := append(make([]byte, 0, 16384), `{"total":`...)
	out = strconv.AppendInt(out, int64(len(hits)), 10)
	out = append(out, `,"capped":`...)
	out = strconv.AppendBool(out, capped)
	out = append(out, `,"items":[`...)
	var subjects [][]byte
	n := 0
	for i := offset; i < len(hits) && n < limit; i++ {
		val := ainVals[hits[i].nin]
		if val == nil {
			k := registry.PersonKey(hits[i].nin)
			if val, err = s.cache.Get(v, &k); err != nil {
				continue
			}
		}
		_, full, restricted, err := registry.DecodeValue(val)
		if err != nil {
			continue
		}
		body := restricted
		if seeProtected {
			body = full
		}
		if n > 0 {
			out = append(out, ',')
		}
		out = append(out, body...)
		subjects = append(subjects, append([]byte(nil), hits[i].nin[:]...))
		n++
	}
	out = append(out, ']')
	out = appendOffsetCursor(out, offset+limit, offset+limit < len(hits))
	out = append(out, '}')
	writeJSON(ctx, out)
	if s.cfg.Audit != nil && len(subjects) > 0 {
		e := Entry{Principal: p, Route: routeNames[routePersonSearch], Subjects: subjects, Status: 200, Duration: time.Since(start), Generation: v.ID()}
		if err := s.cfg.Audit.Record(&e); err != nil {
			ctx.Response.Reset()
			writeProblem(ctx, 503, bodyAuditDown)
			return 503
		}
	}
	return 200
}

func truncWord(w string) string {
	if len(w) > registry.MaxWordKey {
		return w[:registry.MaxWordKey]
	}
	return w
}

func decodeOffsetCursor(c string) (int, bool) {
	b, err := base64RawURL(c)
	if err != nil || len(b) < 2 || b[0] != 'o' {
		return 0, false
	}
	n, err := strconv.Atoi(string(b[1:]))
	return n, err == nil && n >= 0
}
