package query

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/grunndata/grunndata/registry"
	"github.com/grunndata/grunndata/registry/cache"
)

// memView is an in-memory generation with ordered scans: the engine's
// answers are tested without a server or a store.
type memView map[string][]byte

func (m memView) ID() string                      { return "000001" }
func (m memView) Seq() uint64                     { return 1 }
func (m memView) Release()                        {}
func (m memView) Acquire() (registry.View, error) { return m, nil }
func (m memView) Get(dst []byte, key *registry.Key) ([]byte, error) {
	v, ok := m[string(key.Bytes())]
	if !ok {
		return dst, registry.ErrNotFound
	}
	return append(dst, v...), nil
}
func (m memView) Scan(prefix, from []byte, fn func(k, v []byte) bool) error {
	var keys []string
	start := string(prefix) + string(from)
	for k := range m {
		if strings.HasPrefix(k, string(prefix)) && k >= start {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !fn([]byte(k), m[k]) {
			break
		}
	}
	return nil
}

func (m memView) put(k registry.Key, v []byte) { m[string(k.Bytes())] = v }

func nin(t testing.TB, s string) registry.NIN {
	t.Helper()
	n, _, err := registry.ParseNIN([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func newEngine(t testing.TB) *Engine {
	t.Helper()
	c, err := cache.New(cache.Config{MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return New(c, nil, func() time.Time { return time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC) }, nil)
}

// Synthetic persons (month + 80). oldDnr is an earlier number of current.
const (
	current   = "01810050019"
	protected = "02810050058"
)

// TestGPViewWithheld is the rule of GP answers about protected patients:
// a caller without grunndata:person.read-protected gets the withheld view
// of a patient protected at load time (the stored restricted view) and of
// one protected since (by the person's current flags); everyone else gets
// the full answer.
func TestGPViewWithheld(t *testing.T) {
	e := newEngine(t)
	v := memView{}
	gpFull := []byte(`{"patientNin":"02810050058","gp":{"hprNumber":9}}`)
	stored := []byte(`{"patientNin":"02810050058","gpWithheld":true}`)
	p := nin(t, protected)
	withheld := registry.AppendWithheldGP(nil, p[:])
	for _, c := range []struct {
		name         string
		flags        byte
		restricted   []byte
		nowProtected bool
		seeProtected bool
		want         []byte
	}{
		{"unprotected", 0, gpFull, false, false, gpFull},
		{"protected at load", registry.FlagRestricted, stored, true, false, stored},
		{"protected at load, caller may see", registry.FlagRestricted, stored, true, true, gpFull},
		{"protected since the load", 0, gpFull, true, false, withheld},
		{"protected since, caller may see", 0, gpFull, true, true, gpFull},
	} {
		t.Run(c.name, func(t *testing.T) {
			zk := registry.PersonExistsKey(p)
			delete(v, string(zk.Bytes()))
			e.cache.Clear()
			if c.nowProtected {
				v.put(registry.PersonExistsKey(p), []byte{registry.FlagRestricted})
			}
			var buf []byte
			got := e.gpView(v, p[:], c.flags, gpFull, c.restricted, c.seeProtected, &zk, &buf)
			if !bytes.Equal(got, c.want) {
				t.Errorf("got %s, want %s", got, c.want)
			}
		})
	}
}

// TestByNINAnyNumber: a person's GP and HPR record are found by any of
// their numbers, and the person answered is their current number.
func TestByNINAnyNumber(t *testing.T) {
	e := newEngine(t)
	v := memView{}
	cur, old := nin(t, current), nin(t, "41810050002") // old: a D-number of the same person
	person := []byte(`{"nin":"01810050019","identifiers":[{"nin":"01810050019"},{"nin":"41810050002"}]}`)
	v.put(registry.PersonKey(cur), registry.AppendValue(nil, 0, person, nil))
	v.put(registry.PersonKey(old), registry.AppendValue(nil, 0, person, nil))
	gp := []byte(`{"patientNin":"41810050002","gp":{}}`)
	v.put(registry.GPPatientKey(old), registry.AppendValue(nil, 0, gp, nil))
	for _, c := range []struct {
		name    string
		reg     registry.Register
		asked   registry.NIN
		resolve bool
		want    []byte
		err     error
	}{
		{"person by old number", registry.RegPerson, old, false, person, nil},
		{"gp under the old number asked by the current", registry.RegGPPatient, cur, false, gp, nil},
		{"gp asked by the number it is under", registry.RegGPPatient, old, true, gp, nil},
		{"no hpr record under any number", registry.IdxPersonnelByNIN, cur, true, nil, registry.ErrNotFound},
		{"unknown person", registry.RegPerson, nin(t, protected), true, nil, registry.ErrNotFound},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := Lookup{Asked: c.asked}
			got, err := e.ByNIN(v, c.reg, registry.NINFnr, &l, false, c.resolve, At{})
			if err != c.err || !bytes.Equal(got, c.want) {
				t.Fatalf("got %s, %v; want %s, %v", got, err, c.want, c.err)
			}
			if wantNIN := cur; c.err == nil && (c.resolve || c.reg == registry.RegPerson) && l.NIN != wantNIN {
				t.Errorf("answered %s, want the current number %s", l.NIN[:], wantNIN[:])
			}
		})
	}
}

func TestCheckNames(t *testing.T) {
	for _, c := range []struct {
		in   []string
		want string
	}{
		{[]string{"familyName", "Aa", "givenName", ""}, ""},
		{[]string{"familyName", "O'Brien Nordmann"}, ""},
		{[]string{"familyName", "Nordmann", "givenName", "K."}, "givenName"},
		{[]string{"familyName", "-"}, "familyName"},
		{[]string{"name", "12"}, "name"},
		{[]string{"name", "   "}, "name"},
		{[]string{"name", "*"}, "name"},
	} {
		if got := CheckNames(c.in...); got != c.want {
			t.Errorf("CheckNames(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestPersonSearchValidate(t *testing.T) {
	for _, c := range []struct {
		q    PersonSearch
		want string // a word of the message; "" valid
	}{
		{PersonSearch{FamilyName: "Nordmann"}, ""},
		{PersonSearch{BirthDate: "1980-01"}, ""},
		{PersonSearch{PostalCode: "0150"}, "give familyName"},
		{PersonSearch{BirthDate: "1980-1"}, "birthDate"},
		{PersonSearch{FamilyName: "N", Gender: "k"}, "gender"},
		{PersonSearch{FamilyName: "N", PostalCode: "015"}, "postalCode"},
		{PersonSearch{FamilyName: "N", Municipality: "03x1"}, "municipality"},
		{PersonSearch{FamilyName: "N", Limit: 1001}, "limit"},
		{PersonSearch{FamilyName: strings.Repeat("a", 201)}, "200"},
	} {
		got := c.q.Validate()
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%+v: %q, want %q", c.q, got, c.want)
		}
	}
	for _, c := range []struct {
		q    PersonnelSearch
		want string
	}{
		{PersonnelSearch{Name: "Kari"}, ""},
		{PersonnelSearch{Category: "LE"}, ""},
		{PersonnelSearch{Speciality: "1"}, "give a name"},
		{PersonnelSearch{Name: "Kari", Limit: -1}, "limit"},
		{PersonnelSearch{Category: "LEGEKATEGORI"}, "code values"},
	} {
		got := c.q.Validate()
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%+v: %q, want %q", c.q, got, c.want)
		}
	}
}

// TestSearchPersonsProtectedLocation: a location filter never matches a
// protected person for a caller who may not see protected addresses (so a
// search cannot tell where they live); found by name, they are answered in
// their restricted view; a caller with the scope finds them by location.
func TestSearchPersonsProtectedLocation(t *testing.T) {
	e := newEngine(t)
	v := memView{}
	for _, p := range []struct {
		nin       string
		protected bool
	}{{current, false}, {protected, true}} {
		n := nin(t, p.nin)
		full := []byte(`{"nin":"` + p.nin + `","postalCode":"0150"}`)
		restricted := []byte(`{"nin":"` + p.nin + `","addressesWithheld":true}`)
		v.put(registry.PersonKey(n), registry.AppendValue(nil, 0, full, restricted))
		sum := registry.PersonSummary{Protected: p.protected, Family: "nordmann", Given: "kari", Postnummer: "0150", BirthDate: "2000-01-01"}
		v[string(registry.AppendWordKey(nil, registry.IdxPersonFamily, "nordmann", n))] = registry.AppendPersonSummary(nil, &sum)
	}
	for _, c := range []struct {
		name         string
		q            PersonSearch
		seeProtected bool
		want         []string // answered numbers, ranked
		withheld     bool
	}{
		{"by name: both, restricted views", PersonSearch{FamilyName: "Nordmann"}, false, []string{current, protected}, true},
		{"by name and postal code: only the unprotected", PersonSearch{FamilyName: "nordmann", PostalCode: "0150"}, false, []string{current}, true},
		{"with the scope: both by location", PersonSearch{FamilyName: "nordmann", PostalCode: "0150"}, true, []string{current, protected}, false},
		{"another postal code", PersonSearch{FamilyName: "nordmann", PostalCode: "5003"}, true, nil, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, subjects, err := e.SearchPersons(v, &c.q, 0, 10, c.seeProtected)
			if err != nil {
				t.Fatal(err)
			}
			var ans struct {
				Total int               `json:"total"`
				Items []json.RawMessage `json:"items"`
			}
			if err := json.Unmarshal(out, &ans); err != nil {
				t.Fatalf("%s: %v", out, err)
			}
			if ans.Total != len(c.want) || len(subjects) != len(c.want) {
				t.Fatalf("total %d, %d subjects; want %d: %s", ans.Total, len(subjects), len(c.want), out)
			}
			for i, w := range c.want {
				if string(subjects[i]) != w || !bytes.Contains(ans.Items[i], []byte(w)) {
					t.Errorf("item %d: %s (subject %s), want %s", i, ans.Items[i], subjects[i], w)
				}
				if got := bytes.Contains(ans.Items[i], []byte("addressesWithheld")); got != c.withheld {
					t.Errorf("item %d withheld %v, want %v", i, got, c.withheld)
				}
			}
		})
	}
}

func TestParseAt(t *testing.T) {
	for _, c := range []struct {
		in   string
		want At
	}{
		{"", At{}},
		{"2026-01-05", At{T: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), Given: true}},
		{"2026-01-05T12:00:00Z", At{T: time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC), Given: true}},
		{"2026-13-05", At{Given: true, Bad: true}},
		{"yesterday", At{Given: true, Bad: true}},
	} {
		got := ParseAt([]byte(c.in))
		if !got.T.Equal(c.want.T) || got.Given != c.want.Given || got.Bad != c.want.Bad {
			t.Errorf("ParseAt(%q) = %+v, want %+v", c.in, got, c.want)
		}
	}
}

// TestPaging: limits, key cursors and offset cursors, including cursors a
// client forged.
func TestPaging(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
		ok   bool
	}{{"", DefaultLimit, true}, {"1", 1, true}, {"1000", 1000, true}, {"0", 0, false}, {"1001", 0, false}, {"-5", 0, false}, {"x", 0, false}} {
		if got, ok := ParseLimit([]byte(c.in)); got != c.want || ok != c.ok {
			t.Errorf("ParseLimit(%q) = %d %v", c.in, got, ok)
		}
	}
	next := appendOffsetCursor(nil, 200, true)
	cursor := strings.Trim(strings.TrimPrefix(string(next), `,"nextCursor":`), `"`)
	for _, c := range []struct {
		cursor string
		offset int
		ok     bool
	}{
		{"", 0, true},
		{cursor, 200, true},
		{"bzE", 1, true},              // "o1"
		{"bzEwMDAwMDAwMDE", 0, false}, // "o1000000001": beyond maxOffset
		{"by0x", 0, false},            // "o-1"
		{"eDE", 0, false},             // "x1"
		{"!!", 0, false},
	} {
		_, off, ok := BodyPage(0, c.cursor)
		if ok != c.ok || ok && off != c.offset {
			t.Errorf("BodyPage(%q) = %d %v, want %d %v", c.cursor, off, ok, c.offset, c.ok)
		}
		after, kok := ParseKeyCursor([]byte(c.cursor))
		if !kok {
			continue
		}
		if off2, ok2 := OffsetOfKeyCursor(after); ok2 != c.ok || ok2 && off2 != c.offset {
			t.Errorf("OffsetOfKeyCursor(%q) = %d %v, want %d %v", c.cursor, off2, ok2, c.offset, c.ok)
		}
	}
	if got := string(appendOffsetCursor(nil, 100, false)); got != `,"nextCursor":null` {
		t.Errorf("last page: %s", got)
	}
}

// TestAINPerson: an allocated AIN's record is the JSON the API has always
// served (the map encoding it replaces, field for field).
func TestAINPerson(t *testing.T) {
	n := registry.NIN([]byte("81234567897"))
	at := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
	for _, r := range []AINRequest{
		{},
		{GivenName: "Ukjent", FamilyName: "Kvinne <1>", BirthDate: "1980-02-03", BirthYear: 1980, Gender: "kvinne", Notes: "funnet\nved kaia"},
		{FamilyName: "X", BirthYear: 1950},
	} {
		got, err := AINPerson(n, &r, at, "epj-1")
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]any{"nin": string(n[:]), "identifierType": "ain",
			"identifiers": []map[string]string{{"nin": string(n[:]), "type": "ain", "status": "iBruk"}},
			"status":      "aktiv", "addressProtection": "ugradert", "citizenships": []string{}, "family": []string{},
			"allocatedAt": at.Format(time.RFC3339), "allocatedBy": "epj-1"}
		if r.GivenName != "" || r.FamilyName != "" {
			m["name"] = map[string]string{"given": r.GivenName, "family": r.FamilyName}
		}
		for k, v := range map[string]string{"birthDate": r.BirthDate, "gender": r.Gender, "notes": r.Notes} {
			if v != "" {
				m[k] = v
			}
		}
		if r.BirthYear != 0 {
			m["birthYear"] = r.BirthYear
		}
		want, _ := json.Marshal(m)
		if !bytes.Equal(got, want) {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	}
}

func TestAINRequestValidate(t *testing.T) {
	now := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		r    AINRequest
		want string
	}{
		{AINRequest{}, ""},
		{AINRequest{BirthDate: "1980-02-03", Notes: "a\tb\r\nc"}, ""},
		{AINRequest{BirthYear: 2027}, ""},
		{AINRequest{BirthYear: 2028}, "out of range"},
		{AINRequest{BirthYear: 1849}, "out of range"},
		{AINRequest{BirthDate: "1980-02-03", BirthYear: 1981}, "contradicts"},
		{AINRequest{BirthDate: "03.02.1980"}, "yyyy-mm-dd"},
		{AINRequest{GivenName: "a\tb"}, "control"},
		{AINRequest{FamilyName: strings.Repeat("ø", 201)}, "at most 200"},
		{AINRequest{Notes: "\xff"}, "valid text"},
		{AINRequest{Gender: "f"}, "gender"},
	} {
		got := c.r.Validate(now)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%+v: %q, want %q", c.r, got, c.want)
		}
	}
}

func TestEventIDAndSubject(t *testing.T) {
	n := nin(t, current)
	pk := registry.PersonKey(n)
	hk := registry.SerialKey(registry.RegPersonnel, 1000017)
	ck := registry.SerialKey(registry.RegGPContract, 1<<40)
	ok := registry.OrgKey(registry.Orgnr([]byte("923609016")))
	hpr := []byte(`{"hprNumber":1000017,"nin":"01810050019"}`)
	for _, c := range []struct {
		key     []byte
		entity  []byte
		id      string
		subject string
	}{
		{pk.Bytes(), nil, `"01810050019"`, current},
		{hk.Bytes(), hpr, `1000017`, current},
		{hk.Bytes(), nil, `1000017`, ""}, // a deleted HPR record names nobody
		{ck.Bytes(), nil, `1099511627776`, ""},
		{ok.Bytes(), nil, `"923609016"`, ""},
	} {
		if got := string(AppendEventID(nil, c.key)); got != c.id {
			t.Errorf("%q: id %s, want %s", c.key, got, c.id)
		}
		s, found := EventSubject(c.key, c.entity)
		if found != (c.subject != "") || found && string(s[:]) != c.subject {
			t.Errorf("%q: subject %s %v, want %q", c.key, s[:], found, c.subject)
		}
	}
}

// TestEventsRetention: a feed read from before the retained events answers
// EventsExpired with the oldest available sequence number; from the first
// retained event on, the page is served, persons named for the audit log.
func TestEventsRetention(t *testing.T) {
	e := newEngine(t)
	v := memView{}
	er, _ := registry.LookupEventRegister("persons")
	mk := registry.RawKey(registry.EventMetaKey(er.Code))
	v.put(mk, registry.AppendEventRange(nil, 5, 6))
	n := nin(t, current)
	pk := registry.PersonKey(n)
	v.put(pk, registry.AppendValue(nil, 0, []byte(`{"nin":"01810050019","a":1}`), []byte(`{"nin":"01810050019"}`)))
	v[string(registry.EventKey(er.Code, 5))] = registry.AppendEventValue(nil, registry.EventUpsert, pk.Bytes())
	v[string(registry.EventKey(er.Code, 6))] = registry.AppendEventValue(nil, registry.EventDelete, pk.Bytes())
	for _, c := range []struct {
		after    uint64
		oldest   uint64 // 0: served
		want     string
		subjects int
	}{
		{0, 5, "", 0},
		{3, 5, "", 0},
		{4, 0, `{"register":"persons","items":[{"seq":5,"id":"01810050019","type":"upsert","entity":{"nin":"01810050019"}},` +
			`{"seq":6,"id":"01810050019","type":"delete"}],"lastSeq":6,"nextAfter":6,"generation":"000001"}`, 2},
		{6, 0, `{"register":"persons","items":[],"lastSeq":6,"nextAfter":6,"generation":"000001"}`, 0},
	} {
		out, subjects, err := e.Events(v, er, c.after, 10, false)
		if c.oldest != 0 {
			if ex, ok := err.(*EventsExpired); !ok || ex.Oldest != c.oldest {
				t.Errorf("after %d: %v, want expired with oldest %d", c.after, err, c.oldest)
			}
			continue
		}
		if err != nil || string(out) != c.want || len(subjects) != c.subjects {
			t.Errorf("after %d: %s %d subjects %v\nwant %s %d", c.after, out, len(subjects), err, c.want, c.subjects)
		}
	}
}

// countingView counts the index entries scans read.
type countingView struct {
	memView
	read int
}

func (c *countingView) Scan(prefix, from []byte, fn func(k, v []byte) bool) error {
	return c.memView.Scan(prefix, from, func(k, v []byte) bool {
		c.read++
		return fn(k, v)
	})
}

// TestSearchDrivesFromRarestTerm: a search answers the same whichever
// term drives it, and reads no more than drivers × the rarest term's
// entries (+1 each): "hansen" (400 persons) with a given name or birth
// date held by few reads those few, not every Hansen; a query of common
// terms only reads its rarest.
func TestSearchDrivesFromRarestTerm(t *testing.T) {
	e := newEngine(t)
	v := &countingView{memView: memView{}}
	var all []struct {
		n   registry.NIN
		sum registry.PersonSummary
	}
	givens := []string{"kari", "ola", "per", "anne"}
	for i := range 1000 {
		// Synthetic numbers: day 01-28, month +80, a serial; the check
		// digits are not needed by the search.
		s := fmt.Sprintf("%02d%02d%02d%05d", i%28+1, 81+i%12, 50+i%40, i)
		var n registry.NIN
		copy(n[:], s)
		family := "hansen"
		if i%5 == 0 {
			family = "olsen berg"
		}
		given := givens[i%len(givens)]
		if i%97 == 0 {
			given = "ingeborg " + given
		}
		sum := registry.PersonSummary{Family: family, Given: given, Gender: "km"[i%2], BirthDate: fmt.Sprintf("19%02d-%02d-%02d", 50+i%40, 1+i%12, i%28+1)}
		full := []byte(`{"nin":"` + s + `"}`)
		v.put(registry.PersonKey(n), registry.AppendValue(nil, 0, full, full))
		enc := registry.AppendPersonSummary(nil, &sum)
		for _, w := range strings.Fields(family) {
			v.memView[string(registry.AppendWordKey(nil, registry.IdxPersonFamily, w, n))] = enc
		}
		for _, w := range strings.Fields(given) {
			v.memView[string(registry.AppendWordKey(nil, registry.IdxPersonGiven, w, n))] = enc
		}
		v.memView[string(append(append([]byte{byte(registry.IdxPersonBirth)}, sum.BirthDate...), n[:]...))] = enc
		all = append(all, struct {
			n   registry.NIN
			sum registry.PersonSummary
		}{n, sum})
	}
	count := func(prefix []byte) int {
		n := 0
		v.memView.Scan(prefix, nil, func(_, _ []byte) bool { n++; return true })
		return n
	}
	for _, c := range []struct {
		name string
		q    PersonSearch
	}{
		{"family only", PersonSearch{FamilyName: "hansen"}},
		{"common family, rare given", PersonSearch{FamilyName: "hansen", GivenName: "ingeborg"}},
		{"common family and given, a birth year", PersonSearch{FamilyName: "han", GivenName: "ola", BirthDate: "1951"}},
		{"a birth date", PersonSearch{FamilyName: "olsen", BirthDate: "1950-01-01"}},
		{"two family words", PersonSearch{FamilyName: "berg olsen"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			rarest, drivers := 1<<30, 0
			for _, p := range [][]byte{wordPrefix(registry.IdxPersonFamily, ""), wordPrefix(registry.IdxPersonGiven, "")} {
				terms := c.q.FamilyName
				if p[0] == byte(registry.IdxPersonGiven) {
					terms = c.q.GivenName
				}
				for _, w := range registry.NameTokens(terms) {
					rarest, drivers = min(rarest, count(append(p, w...))), drivers+1
				}
			}
			if c.q.BirthDate != "" {
				rarest, drivers = min(rarest, count(append([]byte{byte(registry.IdxPersonBirth)}, c.q.BirthDate...))), drivers+1
			}
			if drivers > 1 && rarest*2 > len(all) {
				t.Fatalf("the rarest term has %d entries: the case proves nothing", rarest)
			}
			rq := registry.PersonQuery{Family: registry.NameTokens(c.q.FamilyName), Given: registry.NameTokens(c.q.GivenName), BirthDate: c.q.BirthDate}
			var want []string
			for _, p := range all {
				if ok, _ := rq.Match(&p.sum, true); ok {
					want = append(want, string(p.n[:]))
				}
			}
			v.read = 0
			out, subjects, err := e.SearchPersons(v, &c.q, 0, MaxLimit, true)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range subjects {
				got = append(got, string(s))
			}
			sort.Strings(got)
			sort.Strings(want)
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("found %d, want %d: %s", len(got), len(want), out)
			}
			if len(want) == 0 {
				t.Fatal("the case finds nobody: it proves nothing")
			}
			if limit := drivers * (rarest + 1); v.read > limit {
				t.Errorf("read %d index entries, want ≤ %d (%d drivers × (rarest %d + 1))", v.read, limit, drivers, rarest)
			}
			t.Logf("read %d index entries: %d drivers, rarest %d", v.read, drivers, rarest)
		})
	}
}
