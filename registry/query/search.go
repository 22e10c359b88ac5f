package query

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/grunndata/grunndata/registry"
)

// PersonSearch is the body of POST /v1/persons/search.
type PersonSearch struct {
	GivenName    string `json:"givenName"`
	FamilyName   string `json:"familyName"`
	BirthDate    string `json:"birthDate"` // yyyy, yyyy-mm or yyyy-mm-dd
	Gender       string `json:"gender"`
	PostalCode   string `json:"postalCode"`
	Municipality string `json:"municipality"`
	Limit        int    `json:"limit"`
	Cursor       string `json:"cursor"`
}

// Validate returns what is wrong with q ("" when nothing is).
func (q *PersonSearch) Validate() string {
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
	if q.Limit < 0 || q.Limit > MaxLimit {
		return "limit is 1 to 1000"
	}
	return ""
}

// MinNameLetters is the fewest letters a name term (a word of a name
// filter) must have. A term without letters ("*", "-", ".", "\u0000",
// digits) folds to nothing and would match every person; a one-letter term
// is a prefix of a large share of them.
const MinNameLetters = 2

// CheckNames returns the first field of a name filter (pairs of field name
// and value; empty values are not given) with a term of fewer than
// MinNameLetters letters, or "". Terms are the space-separated words as the
// caller spelled them ("Aa" and "O'Brien" qualify, "-", "K." and "12" do not).
func CheckNames(fieldValue ...string) string {
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
			ok = ok && letters >= MinNameLetters
		}
		if !ok {
			return field
		}
	}
	return ""
}

func truncWord(w string) string {
	if len(w) > registry.MaxWordKey {
		return w[:registry.MaxWordKey]
	}
	return w
}

// wordPrefix is the scan prefix of a name term in the word index r.
func wordPrefix(r registry.Register, w string) []byte {
	return append([]byte{byte(r)}, truncWord(w)...)
}

type personHit struct {
	nin   registry.NIN
	exact bool
	sum   registry.PersonSummary
}

func (h *personHit) name() registry.NameHit {
	return registry.NameHit{Exact: h.exact, Family: h.sum.Family, Given: h.sum.Given}
}

// SearchPersons answers a person search (q valid): name prefixes (folded,
// any word), birth date (year, year-month or date), gender, postal code and
// municipality; ranked (exact name words first, then by family and given
// name) and paged from offset. Location filters never match a person whose
// addresses the caller may not see (registry.LocationVisible), so a search
// cannot tell where a protected person lives. It returns the answer and the
// persons on the page (for the audit log).
func (e *Engine) SearchPersons(v registry.View, q *PersonSearch, offset, limit int, seeProtected bool) ([]byte, [][]byte, error) {
	family, given := registry.NameTokens(q.FamilyName), registry.NameTokens(q.GivenName)
	rq := registry.PersonQuery{Family: family, Given: given, BirthDate: q.BirthDate, PostalCode: q.PostalCode, Municipality: q.Municipality}
	if q.Gender != "" {
		rq.Gender = q.Gender[0]
	}
	var ds []driver
	for _, w := range family {
		ds = addDriver(ds, driver{wordPrefix(registry.IdxPersonFamily, w)})
	}
	for _, w := range given {
		ds = addDriver(ds, driver{wordPrefix(registry.IdxPersonGiven, w)})
	}
	if q.BirthDate != "" {
		ds = addDriver(ds, driver{append([]byte{byte(registry.IdxPersonBirth)}, q.BirthDate...)})
	}
	found := make([][]personHit, len(ds))
	seen := make([]map[registry.NIN]bool, len(ds))
	winner, capped, err := scanRarest(v, ds, MaxCandidates, func(d int, k, val []byte) {
		var h personHit
		copy(h.nin[:], k[len(k)-11:])
		if seen[d][h.nin] || !registry.DecodePersonSummary(val, &h.sum) {
			return
		}
		ok := false
		if ok, h.exact = rq.Match(&h.sum, seeProtected); !ok {
			return
		}
		if seen[d] == nil {
			seen[d] = map[registry.NIN]bool{}
		}
		seen[d][h.nin] = true
		found[d] = append(found[d], h)
	})
	if err != nil {
		return nil, nil, err
	}
	hits := found[winner]
	// AINs this service allocated are searchable at once (they live in the
	// AIN store, not in the generation; there are few of them).
	var ainVals map[registry.NIN][]byte
	if e.ain != nil && !rq.HasLocation() {
		ainVals = map[registry.NIN][]byte{}
		e.ain.Scan(func(n registry.NIN, val []byte) bool {
			h := personHit{nin: n}
			if !ainSummary(val, &h.sum) {
				return true
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
			if val, err = e.cache.Get(v, &k); err != nil {
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
	return append(out, '}'), subjects, nil
}

// ainSummary reads the search summary of an allocated AIN's stored value.
func ainSummary(val []byte, s *registry.PersonSummary) bool {
	_, full, _, err := registry.DecodeValue(val)
	if err != nil {
		return false
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
		return false
	}
	*s = registry.PersonSummary{Given: registry.Fold(a.Name.Given), Family: registry.Fold(a.Name.Family), BirthDate: a.BirthDate}
	if s.BirthDate == "" && a.BirthYear != 0 {
		s.BirthDate = strconv.Itoa(a.BirthYear)
	}
	if a.Gender == "kvinne" || a.Gender == "mann" {
		s.Gender = a.Gender[0]
	}
	return true
}

// PersonnelSearch is the body of POST /v1/personnel/search.
type PersonnelSearch struct {
	Name       string `json:"name"` // words matched against given and family names
	GivenName  string `json:"givenName"`
	FamilyName string `json:"familyName"`
	Category   string `json:"category"`   // 9060 code, e.g. LE
	Speciality string `json:"speciality"` // 7426 code
	Limit      int    `json:"limit"`
	Cursor     string `json:"cursor"`
}

// Validate returns what is wrong with q ("" when nothing is); CheckNames
// is asked first.
func (q *PersonnelSearch) Validate() string {
	switch {
	case len(registry.NameTokens(q.Name)) == 0 && len(registry.NameTokens(q.GivenName)) == 0 &&
		len(registry.NameTokens(q.FamilyName)) == 0 && q.Category == "":
		return "give a name (name, givenName or familyName) or a category"
	case q.Limit < 0 || q.Limit > MaxLimit:
		return "limit is 1 to 1000"
	case len(q.Category) > 8 || len(q.Speciality) > 8:
		return "category and speciality are code values (9060, 7426)"
	}
	return ""
}

type personnelHit struct {
	hpr   uint32
	exact bool
	sum   registry.PersonnelSummary
}

func (h *personnelHit) name() registry.NameHit {
	return registry.NameHit{Exact: h.exact, Family: h.sum.Family, Given: h.sum.Given}
}

// SearchPersonnel answers a personnel search (q valid): name prefixes
// (folded, any word order), profession category (9060) and speciality
// (7426), ranked and paged, each record as of at. HPR records carry
// fødselsnumre: it returns them too, for the audit log. A bad at is
// ErrBadAtTime (after the search, as the API always answered).
func (e *Engine) SearchPersonnel(v registry.View, q *PersonnelSearch, offset, limit int, at At) ([]byte, [][]byte, error) {
	name, given, family := registry.NameTokens(q.Name), registry.NameTokens(q.GivenName), registry.NameTokens(q.FamilyName)
	var ds []driver
	for _, w := range family {
		ds = addDriver(ds, driver{wordPrefix(registry.IdxPersonnelFamily, w)})
	}
	for _, w := range given {
		ds = addDriver(ds, driver{wordPrefix(registry.IdxPersonnelGiven, w)})
	}
	for _, w := range name {
		// A free name word is a family-name or a given-name word.
		ds = addDriver(ds, driver{wordPrefix(registry.IdxPersonnelFamily, w), wordPrefix(registry.IdxPersonnelGiven, w)})
	}
	if q.Category != "" {
		ds = addDriver(ds, driver{append(append([]byte{byte(registry.IdxPersonnelCategory)}, q.Category...), 0)})
	}
	rq := registry.PersonnelQuery{Name: name, Given: given, Family: family, Category: q.Category, Speciality: q.Speciality}
	found := make([][]personnelHit, len(ds))
	seen := make([]map[uint32]bool, len(ds))
	winner, capped, err := scanRarest(v, ds, MaxCandidates, func(d int, k, val []byte) {
		var h personnelHit
		h.hpr = binary.BigEndian.Uint32(k[len(k)-4:])
		if seen[d][h.hpr] || !registry.DecodePersonnelSummary(val, &h.sum) {
			return
		}
		ok := false
		if ok, h.exact = rq.Match(&h.sum); !ok {
			return
		}
		if seen[d] == nil {
			seen[d] = map[uint32]bool{}
		}
		seen[d][h.hpr] = true
		found[d] = append(found[d], h)
	})
	if err != nil {
		return nil, nil, err
	}
	hits := found[winner]
	sort.Slice(hits, func(i, j int) bool {
		a, b := &hits[i], &hits[j]
		if before, tie := registry.RankBefore(a.name(), b.name()); !tie {
			return before
		}
		return a.hpr < b.hpr
	})
	if at.Bad {
		return nil, nil, ErrBadAtTime
	}
	out := append(make([]byte, 0, 16384), `{"total":`...)
	out = strconv.AppendInt(out, int64(len(hits)), 10)
	out = append(out, `,"capped":`...)
	out = strconv.AppendBool(out, capped)
	out = append(out, `,"items":[`...)
	var subjects [][]byte
	out = e.appendPage(out, v, len(hits), offset, limit, func(i int) registry.Key {
		return registry.SerialKey(registry.RegPersonnel, uint64(hits[i].hpr))
	}, func(_ int, full, _ []byte) []byte {
		body := full
		if at.Given {
			var err error
			if body, err = registry.PersonnelAt(nil, full, at.T); err != nil {
				return nil // skipped: it does not decode
			}
		}
		if n, ok := registry.HPRNIN(full); ok {
			subjects = append(subjects, append([]byte(nil), n[:]...))
		}
		return body
	})
	return out, subjects, nil
}
