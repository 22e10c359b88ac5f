package main

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grunndata/grunndata/loader/loadertest"
	"github.com/grunndata/grunndata/registry"
)

// HPR history and bulk (issue 15 item 4) and RESH at an instant (item 5)
// over the generated small preset, run from TestRegistersInDepth.

type e2eApproval struct {
	ID            int64 `json:"id"`
	Authorization struct {
		Code string `json:"code"`
	} `json:"authorization"`
	Valid       registry.Period   `json:"valid"`
	Ended       bool              `json:"ended"`
	Suspensions []registry.Period `json:"suspensions"`
	Items       [3][]struct {
		Suspensions []registry.Period `json:"suspensions"`
	}
}

func (a *e2eApproval) UnmarshalJSON(b []byte) error {
	type plain e2eApproval
	var items struct {
		S, R, A []struct {
			Suspensions []registry.Period `json:"suspensions"`
		}
	}
	var raw struct {
		S json.RawMessage `json:"specialities"`
		R json.RawMessage `json:"requisitionRights"`
		A json.RawMessage `json:"additionalCompetences"`
	}
	if err := json.Unmarshal(b, (*plain)(a)); err != nil {
		return err
	}
	json.Unmarshal(b, &raw)
	json.Unmarshal(raw.S, &items.S)
	json.Unmarshal(raw.R, &items.R)
	json.Unmarshal(raw.A, &items.A)
	a.Items[0], a.Items[1], a.Items[2] = items.S, items.R, items.A
	return nil
}

// entries counts the history entries a record makes: one per approval, item
// and suspension.
func (a *e2eApproval) entries() int {
	n := 1 + len(a.Suspensions)
	for _, g := range a.Items {
		for _, it := range g {
			n += 1 + len(it.Suspensions)
		}
	}
	return n
}

func personnelHistoryE2E(t *testing.T, m *Main, api string, known uint64) {
	// Every stored record: pick those with history (a licence before an
	// authorisation, a suspended requisition right); the generator must
	// write some and the loader keep them.
	v, err := m.Store().Acquire()
	if err != nil {
		t.Fatal(err)
	}
	want := map[uint64]int{} // HPR-number -> entries
	var licenceFirst, reqSuspended []uint64
	err = v.Scan([]byte{byte(registry.RegPersonnel)}, nil, func(k, val []byte) bool {
		_, full, _, err := registry.DecodeValue(val)
		if err != nil {
			t.Fatal(err)
		}
		var rec struct {
			Approvals []e2eApproval `json:"approvals"`
		}
		if err := json.Unmarshal(full, &rec); err != nil {
			t.Fatal(err)
		}
		hpr := uint64(binary.BigEndian.Uint32(k[1:]))
		n, hist := 0, false
		for i := range rec.Approvals {
			a := &rec.Approvals[i]
			n += a.entries()
			if i > 0 && a.Authorization.Code == "1" && rec.Approvals[i-1].Authorization.Code == "4" && rec.Approvals[i-1].Ended {
				licenceFirst = append(licenceFirst, hpr)
				hist = true
			}
			for _, it := range a.Items[1] {
				if len(it.Suspensions) > 0 {
					reqSuspended = append(reqSuspended, hpr)
					hist = true
				}
			}
		}
		if hist || hpr == known {
			want[hpr] = n
		}
		return true
	})
	v.Release()
	if err != nil {
		t.Fatal(err)
	}
	if len(licenceFirst) == 0 || len(reqSuspended) == 0 {
		t.Fatalf("the generated records lack history: %d with a lisens before the autorisasjon, %d with a suspended requisition right",
			len(licenceFirst), len(reqSuspended))
	}
	var numbers []string
	for hpr, n := range want {
		numbers = append(numbers, u(hpr))
		var h struct {
			HPRNumber uint64 `json:"hprNumber"`
			AsOf      string `json:"asOf"`
			History   []struct {
				Kind   string `json:"kind"`
				Of     string `json:"of"`
				Valid  struct{ From *string }
				Ended  *bool  `json:"ended"`
				Status string `json:"status"`
			} `json:"history"`
		}
		if st := getJSON(t, api+"/v1/personnel/"+u(hpr)+"/history", &h); st != 200 {
			t.Fatalf("history of %d: %d", hpr, st)
		}
		if h.HPRNumber != hpr || len(h.History) != n || h.AsOf == "" {
			t.Fatalf("history of %d: number %d, %d entries (want %d), asOf %q", hpr, h.HPRNumber, len(h.History), n, h.AsOf)
		}
		if !sort.SliceIsSorted(h.History, func(i, j int) bool { return *h.History[i].Valid.From < *h.History[j].Valid.From }) {
			t.Fatalf("history of %d is not in the order of the periods: %+v", hpr, h.History)
		}
		kinds := map[string]int{}
		for _, e := range h.History {
			kinds[e.Kind+"/"+e.Of]++
			if e.Kind == "licence" && e.Ended != nil && *e.Ended && e.Status != "ended" {
				t.Fatalf("history of %d: an ended licence is %s", hpr, e.Status)
			}
		}
		if containsU(licenceFirst, hpr) && (kinds["licence/"] == 0 || kinds["authorisation/"] == 0) {
			t.Fatalf("history of %d: %v, want a licence and an authorisation", hpr, kinds)
		}
		if containsU(reqSuspended, hpr) && kinds["suspension/requisitionRight"] == 0 {
			t.Fatalf("history of %d: %v, want a suspension of a requisition right", hpr, kinds)
		}
	}
	t.Logf("%d histories checked (%d with a licence first, %d with a suspended requisition right)", len(want), len(licenceFirst), len(reqSuspended))

	// The bulk lookup of the same numbers, plus an unknown and a bad one.
	sort.Strings(numbers)
	body := `{"hprNumbers":[` + strings.Join(numbers, ",") + `,2147483646,"x1"]}`
	r := do(t, "POST", api+"/v1/personnel/bulk", "application/json", body)
	var res struct {
		Items []struct {
			Index     int             `json:"index"`
			HPRNumber uint64          `json:"hprNumber"`
			Status    int             `json:"status"`
			Code      string          `json:"code"`
			Personnel json.RawMessage `json:"personnel"`
		} `json:"items"`
	}
	if r.status != 200 || json.Unmarshal(r.body, &res) != nil || len(res.Items) != len(numbers)+2 {
		t.Fatalf("bulk: %d %.500s", r.status, r.body)
	}
	for i, it := range res.Items[:len(numbers)] {
		hpr, _ := strconv.ParseUint(numbers[i], 10, 64)
		if it.Index != i || it.Status != 200 || it.HPRNumber != hpr ||
			string(it.Personnel) != string(storedFull(t, m, registry.SerialKey(registry.RegPersonnel, hpr))) {
			t.Fatalf("bulk item %d: %+v, want the stored record of %d", i, it, hpr)
		}
	}
	if it := res.Items[len(numbers)]; it.Status != 404 || it.Code != "not_found" {
		t.Fatalf("unknown number: %+v", it)
	}
	if it := res.Items[len(numbers)+1]; it.Status != 400 || it.Code != "invalid_identifier" {
		t.Fatalf("bad number: %+v", it)
	}
}

func containsU(s []uint64, x uint64) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

// reshAtTimeE2E: ?atTime= on a RESH unit and its tree over the generated
// small preset (issue 15 item 5): a unit is answered at an instant exactly
// when its stored validity period contains it, and a tree at an instant
// holds exactly the units that existed then.
func reshAtTimeE2E(t *testing.T, m *Main, api string) {
	type unit struct {
		Parent *uint64          `json:"parentReshId"`
		Valid  *registry.Period `json:"valid"`
	}
	v, err := m.Store().Acquire()
	if err != nil {
		t.Fatal(err)
	}
	units := map[uint64]unit{}
	kids := map[uint64][]uint64{}
	err = v.Scan([]byte{byte(registry.RegResh)}, nil, func(k, val []byte) bool {
		_, full, _, err := registry.DecodeValue(val)
		if err != nil {
			t.Fatal(err)
		}
		var u unit
		if err := json.Unmarshal(full, &u); err != nil {
			t.Fatal(err)
		}
		id := uint64(binary.BigEndian.Uint32(k[1:]))
		units[id] = u
		if u.Parent != nil {
			kids[*u.Parent] = append(kids[*u.Parent], id)
		}
		return true
	})
	v.Release()
	if err != nil {
		t.Fatal(err)
	}
	validAt := func(id uint64, day string) bool { un := units[id]; return un.Valid == nil || un.Valid.Contains(day) }
	dayBefore := func(d string) string {
		x, err := time.Parse(time.DateOnly, d[:10])
		if err != nil {
			t.Fatal(err)
		}
		return x.AddDate(0, 0, -1).Format(time.DateOnly)
	}
	type treeAns struct {
		Unit struct {
			ReshID uint64 `json:"reshId"`
			Active bool   `json:"active"`
			AtTime string `json:"atTime"`
		} `json:"unit"`
		Ancestors []struct {
			ReshID uint64 `json:"reshId"`
		} `json:"ancestors"`
		Children []struct {
			ReshID uint64 `json:"reshId"`
			Active bool   `json:"active"`
			AtTime string `json:"atTime"`
		} `json:"children"`
	}
	// Every unit with children: on the day before its last child starts and
	// on that day, the tree holds exactly the children and ancestors valid
	// then; the unit itself is there from its first day and absent the day
	// before.
	checked, partial, present := 0, 0, 0
	for id, cs := range kids {
		un := units[id]
		if un.Valid == nil {
			continue
		}
		last := ""
		for _, c := range cs {
			if f := units[c].Valid.From; f > last {
				last = f
			}
		}
		for _, day := range []string{dayBefore(last), last[:10]} {
			var want []uint64
			for _, c := range cs {
				if validAt(c, day) {
					want = append(want, c)
				}
			}
			var tr treeAns
			st := getJSON(t, api+"/v1/resh/"+u(id)+"?children=true&ancestors=true&atTime="+day, &tr)
			if !validAt(id, day) {
				if st != 404 {
					t.Fatalf("unit %d at %s (period %+v): %d, want 404", id, day, *un.Valid, st)
				}
				continue
			}
			if st != 200 || tr.Unit.ReshID != id || !tr.Unit.Active || tr.Unit.AtTime != day+"T00:00:00Z" {
				t.Fatalf("unit %d at %s: %d %+v", id, day, st, tr.Unit)
			}
			var got []uint64
			for _, c := range tr.Children {
				got = append(got, c.ReshID)
				if !c.Active || c.AtTime != day+"T00:00:00Z" {
					t.Fatalf("child %d at %s: %+v", c.ReshID, day, c)
				}
			}
			sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
			sort.Slice(want, func(i, j int) bool { return want[i] < want[j] })
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("children of %d at %s: %v, want %v (of %v)", id, day, got, want, cs)
			}
			if len(want) < len(cs) {
				partial++
			}
			if len(want) > 0 {
				present++
			}
			// Ancestors: exactly those on the path that existed at the instant, root first.
			var path []uint64
			for p := units[id].Parent; p != nil; p = units[*p].Parent {
				if validAt(*p, day) {
					path = append([]uint64{*p}, path...)
				}
			}
			var anc []uint64
			for _, a := range tr.Ancestors {
				anc = append(anc, a.ReshID)
			}
			if fmt.Sprint(anc) != fmt.Sprint(path) {
				t.Fatalf("ancestors of %d at %s: %v, want %v", id, day, anc, path)
			}
			checked++
		}
		// The unit alone: present from its first day, absent the day before.
		from := un.Valid.From[:10]
		if r := do(t, "GET", api+"/v1/resh/"+u(id)+"?atTime="+from, "", ""); r.status != 200 {
			t.Fatalf("unit %d on its first day %s: %d", id, from, r.status)
		}
		if r := do(t, "GET", api+"/v1/resh/"+u(id)+"?atTime="+dayBefore(from), "", ""); r.status != 404 {
			t.Fatalf("unit %d the day before its first %s: %d", id, from, r.status)
		}
	}
	if checked == 0 || partial == 0 || present == 0 {
		t.Fatalf("%d trees checked, %d with a child absent at the instant, %d with a child present: the preset lacks the cases",
			checked, partial, present)
	}
	// A closed unit: served as stored without atTime, absent after its end.
	closed := 0
	var anyID uint64
	for id, un := range units {
		anyID = id
		if un.Valid == nil || un.Valid.To == nil || *un.Valid.To == "" {
			continue
		}
		closed++
		after, _ := time.Parse(time.DateOnly, (*un.Valid.To)[:10])
		if r := do(t, "GET", api+"/v1/resh/"+u(id), "", ""); r.status != 200 {
			t.Fatalf("closed unit %d without atTime: %d", id, r.status)
		}
		if r := do(t, "GET", api+"/v1/resh/"+u(id)+"?atTime="+after.AddDate(0, 0, 1).Format(time.DateOnly), "", ""); r.status != 404 {
			t.Fatalf("closed unit %d after its end: %d", id, r.status)
		}
	}
	for _, bad := range []string{"yesterday", "2026-13-01", "2026-01-05T25:00:00Z"} {
		if r := do(t, "GET", api+"/v1/resh/"+u(anyID)+"?children=true&atTime="+bad, "", ""); r.status != 400 {
			t.Fatalf("atTime=%s: %d, want 400", bad, r.status)
		}
	}
	t.Logf("%d trees checked at an instant (%d with a child absent, %d with one present), %d closed units", checked, partial, present, closed)
}

// TestHistoryChangeFeeds (issue 15 item 6): a second bulk load in which one
// HPR person's authorisation ends, another gets an authorisation added and
// a RESH unit closes: each is exactly one upsert event in its feed (the
// personnel and resh feeds), whose entity holds the new history.
func TestHistoryChangeFeeds(t *testing.T) {
	data, src := loadertest.Snapshot(t)
	m := MustRunMain(t, data, nil)
	api := "http://" + m.APIAddr()
	feed := func(reg string) (feedPage, response) {
		r := do(t, "GET", api+"/v1/events/"+reg+"?after=0&limit=1000", "", "")
		var p feedPage
		json.Unmarshal(r.body, &p)
		return p, r
	}
	if p, r := feed("resh"); r.status != 200 || p.LastSeq != 0 {
		t.Fatalf("first load: the resh feed starts empty: %d %s", r.status, r.body)
	}

	// Edit the bytes of the generated lines (the feed compares stored bytes).
	hpr := strings.Split(strings.TrimSpace(string(gunzip(t, filepath.Join(src, "hpr.jsonl.gz")))), "\n")
	var endedHPR, addedHPR, addedID int64
	for i, line := range hpr {
		var rec struct {
			HPR       int64 `json:"hprNumber"`
			Approvals []struct {
				ID int64 `json:"id"`
			} `json:"approvals"`
		}
		json.Unmarshal([]byte(line), &rec)
		if len(rec.Approvals) != 1 || !strings.Contains(line, `"to":null},"ended":false`) {
			continue
		}
		switch {
		case endedHPR == 0:
			// The authorisation ends on 2026-10-31.
			hpr[i] = strings.Replace(line, `"to":null},"ended":false`, `"to":"2026-10-31"},"ended":true`, 1)
			endedHPR = rec.HPR
		case addedHPR == 0:
			// A second authorisation (helsesekretær) from 2026-09-01.
			add := `,{"id":` + itoa64(rec.Approvals[0].ID+1) + `,"profession":{"oid":9060,"code":"HS","text":"Helsesekretær"},` +
				`"authorization":{"oid":7704,"code":"1","text":"Autorisasjon"},"valid":{"from":"2026-09-01","to":null},"ended":false,` +
				`"specialities":[],"requisitionRights":[],"additionalCompetences":[],"suspensions":[]}]}`
			hpr[i] = strings.TrimSuffix(line, "]}") + add
			addedHPR, addedID = rec.HPR, rec.Approvals[0].ID+1
		}
	}
	if endedHPR == 0 || addedHPR == 0 {
		t.Fatal("no HPR person with one open authorisation to edit")
	}
	gzipTo(t, filepath.Join(src, "hpr.jsonl.gz"), []byte(strings.Join(hpr, "\n")+"\n"))
	resh := strings.Split(strings.TrimSpace(string(gunzip(t, filepath.Join(src, "resh.jsonl.gz")))), "\n")
	var closedResh int64
	for i := len(resh) - 1; i >= 0; i-- {
		if strings.Contains(resh[i], `"to":null},"active":true`) {
			var u struct {
				ID int64 `json:"reshId"`
			}
			json.Unmarshal([]byte(resh[i]), &u)
			resh[i] = strings.Replace(resh[i], `"to":null},"active":true`, `"to":"2026-10-31"},"active":false`, 1)
			closedResh = u.ID
			break
		}
	}
	gzipTo(t, filepath.Join(src, "resh.jsonl.gz"), []byte(strings.Join(resh, "\n")+"\n"))
	loadertest.Load(t, src, data)
	waitFor(t, func() bool { return m.Store().Active().ID() == "000002" })

	p, r := feed("personnel")
	if r.status != 200 || p.LastSeq != 2 || len(p.Items) != 2 {
		t.Fatalf("personnel feed: want one event per person changed: %.1000s", r.body)
	}
	for _, it := range p.Items {
		switch string(it.ID) {
		case itoa64(endedHPR):
			if it.Type != "upsert" || !strings.Contains(string(it.Entity), `"to":"2026-10-31"},"ended":true`) {
				t.Fatalf("ended authorisation: %s", it.Entity)
			}
		case itoa64(addedHPR):
			if it.Type != "upsert" || !strings.Contains(string(it.Entity), `"code":"HS"`) {
				t.Fatalf("added authorisation: %s", it.Entity)
			}
		default:
			t.Fatalf("event for %s, which did not change", it.ID)
		}
	}
	p, r = feed("resh")
	if r.status != 200 || p.LastSeq != 1 || len(p.Items) != 1 || string(p.Items[0].ID) != itoa64(closedResh) ||
		p.Items[0].Type != "upsert" || !strings.Contains(string(p.Items[0].Entity), `"to":"2026-10-31"},"active":false`) {
		t.Fatalf("resh feed: want the closed unit once: %.1000s", r.body)
	}
	// Each event says what changed, in the terms of the history.
	changes := func(reg string) map[string]string {
		r := do(t, "GET", api+"/v1/events/"+reg+"?after=0&limit=1000", "", "")
		var p struct {
			Items []struct {
				ID      json.RawMessage `json:"id"`
				Changes []struct {
					Kind       string `json:"kind"`
					ApprovalID int64  `json:"approvalId"`
					Change     string `json:"change"`
				} `json:"changes"`
			} `json:"items"`
		}
		json.Unmarshal(r.body, &p)
		out := map[string]string{}
		for _, it := range p.Items {
			var s []string
			for _, c := range it.Changes {
				s = append(s, c.Kind+" "+itoa64(c.ApprovalID)+" "+c.Change)
			}
			out[string(it.ID)] = strings.Join(s, "; ")
		}
		return out
	}
	hc := changes("personnel")
	if got := hc[itoa64(endedHPR)]; !strings.HasSuffix(got, " ended") || strings.Contains(got, ";") {
		t.Fatalf("changes of the ended authorisation: %q", got)
	}
	if got, want := hc[itoa64(addedHPR)], "authorisation "+itoa64(addedID)+" added"; got != want {
		t.Fatalf("changes of the added authorisation: %q, want %q", got, want)
	}
	if got := changes("resh")[itoa64(closedResh)]; got != "validity 0 ended" {
		t.Fatalf("changes of the closed unit: %q", got)
	}
	// The history of the instant before and after: the closed unit exists on
	// its last day and not the day after.
	if r := do(t, "GET", api+"/v1/resh/"+itoa64(closedResh)+"?atTime=2026-10-31", "", ""); r.status != 200 {
		t.Fatalf("closed unit on its last day: %d", r.status)
	}
	if r := do(t, "GET", api+"/v1/resh/"+itoa64(closedResh)+"?atTime=2026-11-01", "", ""); r.status != 404 {
		t.Fatalf("closed unit the day after: %d", r.status)
	}
}
