package main

import (
	"encoding/binary"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/grunndata/grunndata/registry"
)

// HPR history and bulk over the generated small preset (issue 15 item 4),
// run from TestRegistersInDepth.

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
