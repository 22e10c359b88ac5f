package server

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/valyala/fasthttp"

	"github.com/grunndata/grunndata/registry"
	"github.com/grunndata/grunndata/registry/audit"
	"github.com/grunndata/grunndata/registry/auth"
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

func (h *personHit) name() registry.NameHit {
	return registry.NameHit{Exact: h.exact, Family: h.sum.Family, Given: h.sum.Given}
}

// searchPersons answers POST /v1/persons/search: name prefixes (folded, any
// word), birth date (year, year-month or date), gender, postal code and
// municipality; ranked (exact name words first, then by family and given
// name) and paged. Location filters never match a person whose addresses
// the caller may not see, so a search cannot tell where a protected person
// lives.
func (s *Server) searchPersons(ctx *fasthttp.RequestCtx, c call) int {
	p, start := c.p, c.start
	if st := checkJSONPost(ctx); st != 0 {
		return st
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
	if st := checkNames(ctx, "familyName", q.FamilyName, "givenName", q.GivenName); st != 0 {
		return st
	}
	limit, offset, st := bodyPage(ctx, q.Limit, q.Cursor)
	if st != 0 {
		return st
	}
	seeProtected := p.Scopes&auth.ScopePersonReadProtected != 0
	family, given := registry.NameTokens(q.FamilyName), registry.NameTokens(q.GivenName)
	rq := registry.PersonQuery{Family: family, Given: given, BirthDate: q.BirthDate, PostalCode: q.PostalCode, Municipality: q.Municipality}
	if q.Gender != "" {
		rq.Gender = q.Gender[0]
	}
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
		ok := false
		if ok, h.exact = rq.Match(&h.sum, seeProtected); !ok {
			return true
		}
		seen[h.nin] = true
		hits = append(hits, h)
		return true
	})
	if err != nil {
		return writeError(ctx, err)
	}
	// AINs this service allocated are searchable at once (they live in the
	// AIN store, not in the generation; there are few of them).
	var ainVals map[registry.NIN][]byte
	if s.cfg.AIN != nil && !rq.HasLocation() {
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
			if a.Gender == "kvinne" || a.Gender == "mann" {
				h.sum.Gender = a.Gender[0]
			}
			ok := false
			if ok, h.exact = rq.Match(&h.sum, seeProtected); !ok {
				return true
			}
			hits = append(hits, h)
			ainVals[n] = append([]byte(nil), val...)
			return true
		})
	}
	sort.Slice(hits, func(i, j int) bool {
		a, b := &hits[i], &hits[j]
		if before, tie := registry.RankBefore(a.name(), b.name()); !tie {
			return before
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
		e := audit.Entry{Caller: caller(p), Route: c.r.name, Subjects: subjects, Status: 200, Duration: time.Since(start), Generation: v.ID()}
		if err := s.cfg.Audit.Record(&e); err != nil {
			ctx.Response.Reset()
			writeProblem(ctx, 503, bodyAuditDown)
			return 503
		}
	}
	return 200
}

// bodyPage reads limit and cursor given in a POST body (as page does for
// query parameters); it returns the status written on a bad cursor, or 0.
func bodyPage(ctx *fasthttp.RequestCtx, limit int, cursor string) (int, int, int) {
	if limit == 0 {
		limit = defaultLimit
	}
	if cursor == "" {
		return limit, 0, 0
	}
	offset, ok := decodeOffsetCursor(cursor)
	if !ok {
		writeProblem(ctx, 400, bodyBadCursor)
		return 0, 0, 400
	}
	return limit, offset, 0
}

// minNameLetters is the fewest letters a name term (a word of a name
// filter) must have. A term without letters ("*", "-", ".", "\u0000",
// digits) folds to nothing and would match every person; a one-letter term
// is a prefix of a large share of them.
const minNameLetters = 2

// checkNames answers 400 invalid_name when a given name filter (pairs of
// field name and value; empty values are not given) has a term with fewer
// than minNameLetters letters; it returns the status written, or 0. Terms
// are the space-separated words as the caller spelled them ("Aa" and
// "O'Brien" qualify, "-", "K." and "12" do not).
func checkNames(ctx *fasthttp.RequestCtx, fieldValue ...string) int {
	for i := 0; i+1 < len(fieldValue); i += 2 {
		field, v := fieldValue[i], fieldValue[i+1]
		if v == "" {
			continue
		}
		terms := strings.Fields(v)
		ok := len(terms) > 0
		for _, t := range terms {
			letters := 0
			for _, r := range t {
				if unicode.IsLetter(r) {
					letters++
				}
			}
			ok = ok && letters >= minNameLetters
		}
		if !ok {
			writeProblem(ctx, 400, problemBody(400, CodeInvalidName, "Invalid name",
				"every word of "+field+" needs at least "+strconv.Itoa(minNameLetters)+" letters (a name without letters would match everyone)", "", field))
			return 400
		}
	}
	return 0
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
	return parseOffset(b[1:])
}

type personnelQuery struct {
	Name       string `json:"name"` // words matched against given and family names
	GivenName  string `json:"givenName"`
	FamilyName string `json:"familyName"`
	Category   string `json:"category"`   // 9060 code, e.g. LE
	Speciality string `json:"speciality"` // 7426 code
	Limit      int    `json:"limit"`
	Cursor     string `json:"cursor"`
}

type personnelHit struct {
	hpr   uint32
	exact bool
	sum   registry.PersonnelSummary
}

func (h *personnelHit) name() registry.NameHit {
	return registry.NameHit{Exact: h.exact, Family: h.sum.Family, Given: h.sum.Given}
}

// searchPersonnel answers POST /v1/personnel/search: name prefixes (folded,
// any word order), profession category (9060) and speciality (7426), ranked
// and paged — no manual paging loops to count (the total is in the answer).
func (s *Server) searchPersonnel(ctx *fasthttp.RequestCtx, c call) int {
	p, start := c.p, c.start
	if st := checkJSONPost(ctx); st != 0 {
		return st
	}
	var q personnelQuery
	dec := json.NewDecoder(bytes.NewReader(ctx.PostBody()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&q); err != nil || dec.More() {
		return writeInvalidBody(ctx, "body must be a JSON object with name, givenName, familyName, category, speciality, limit, cursor")
	}
	if st := checkNames(ctx, "name", q.Name, "givenName", q.GivenName, "familyName", q.FamilyName); st != 0 {
		return st
	}
	name, given, family := registry.NameTokens(q.Name), registry.NameTokens(q.GivenName), registry.NameTokens(q.FamilyName)
	switch {
	case len(name) == 0 && len(given) == 0 && len(family) == 0 && q.Category == "":
		return writeInvalidBody(ctx, "give a name (name, givenName or familyName) or a category")
	case q.Limit < 0 || q.Limit > maxLimit:
		return writeInvalidBody(ctx, "limit is 1 to 1000")
	case len(q.Category) > 8 || len(q.Speciality) > 8:
		return writeInvalidBody(ctx, "category and speciality are code values (9060, 7426)")
	}
	limit, offset, st := bodyPage(ctx, q.Limit, q.Cursor)
	if st != 0 {
		return st
	}
	var prefix []byte
	switch {
	case len(family) > 0:
		prefix = append([]byte{byte(registry.IdxPersonnelFamily)}, truncWord(family[0])...)
	case len(given) > 0:
		prefix = append([]byte{byte(registry.IdxPersonnelGiven)}, truncWord(given[0])...)
	case len(name) > 0:
		prefix = append([]byte{byte(registry.IdxPersonnelFamily)}, truncWord(name[0])...)
	default:
		prefix = append(append([]byte{byte(registry.IdxPersonnelCategory)}, q.Category...), 0)
	}
	v, err := s.store.Acquire()
	if err != nil {
		return writeError(ctx, err)
	}
	defer v.Release()
	rq := registry.PersonnelQuery{Name: name, Given: given, Family: family, Category: q.Category, Speciality: q.Speciality}
	seen := map[uint32]bool{}
	var hits []personnelHit
	examined, capped := 0, false
	scan := func(prefix []byte) error {
		return v.Scan(prefix, nil, func(k, val []byte) bool {
			if examined++; examined > maxCandidates {
				capped = true
				return false
			}
			var h personnelHit
			h.hpr = binary.BigEndian.Uint32(k[len(k)-4:])
			if seen[h.hpr] || !registry.DecodePersonnelSummary(val, &h.sum) {
				return true
			}
			ok := false
			if ok, h.exact = rq.Match(&h.sum); !ok {
				return true
			}
			seen[h.hpr] = true
			hits = append(hits, h)
			return true
		})
	}
	err = scan(prefix)
	if err == nil && len(name) > 0 && len(family) == 0 && len(given) == 0 {
		// A free name may start with a given name too.
		err = scan(append([]byte{byte(registry.IdxPersonnelGiven)}, truncWord(name[0])...))
	}
	if err != nil {
		return writeError(ctx, err)
	}
	sort.Slice(hits, func(i, j int) bool {
		a, b := &hits[i], &hits[j]
		if before, tie := registry.RankBefore(a.name(), b.name()); !tie {
			return before
		}
		return a.hpr < b.hpr
	})
	at, atGiven, ok := parseAtTime(ctx)
	if !ok {
		writeProblem(ctx, 400, bodyBadAtTime)
		return 400
	}
	out := append(make([]byte, 0, 16384), `{"total":`...)
	out = strconv.AppendInt(out, int64(len(hits)), 10)
	out = append(out, `,"capped":`...)
	out = strconv.AppendBool(out, capped)
	out = append(out, `,"items":[`...)
	var subjects [][]byte // HPR records carry fødselsnumre: the page is audited
	out = s.appendPage(out, v, len(hits), offset, limit, func(i int) registry.Key {
		return registry.SerialKey(registry.RegPersonnel, uint64(hits[i].hpr))
	}, func(_ int, full, _ []byte) []byte {
		body := full
		if atGiven {
			var err error
			if body, err = registry.PersonnelAt(nil, full, at); err != nil {
				return nil // skipped: it does not decode
			}
		}
		if n, ok := registry.HPRNIN(full); ok {
			subjects = append(subjects, append([]byte(nil), n[:]...))
		}
		return body
	}, nil)
	writeJSON(ctx, out)
	if len(subjects) == 0 {
		return 200
	}
	return s.audit(ctx, &audit.Entry{Caller: caller(p), Route: c.r.name, Subjects: subjects, Status: 200,
		Duration: time.Since(start), Generation: v.ID()}, 200)
}
