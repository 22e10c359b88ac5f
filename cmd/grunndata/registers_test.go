package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grunndata/grunndata/loader/loadertest"
	"github.com/grunndata/grunndata/registry"
)

func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	r := do(t, "GET", url, "", "")
	if r.status == 200 {
		if err := json.Unmarshal(r.body, v); err != nil {
			t.Fatalf("%s: %v: %s", url, err, r.body)
		}
	}
	return r.status
}

type addr struct {
	Type struct {
		Code string `json:"code"`
	} `json:"type"`
	Inherited *bool `json:"inherited"`
}

type party struct {
	HerID       int64  `json:"herId"`
	Type        string `json:"type"`
	OrgNr       string `json:"organizationNumber"`
	ParentHerID int64  `json:"parentHerId"`
	Electronic  []addr `json:"electronicAddresses"`
	Physical    []addr `json:"physicalAddresses"`
	Parent      *struct {
		HerID int64  `json:"herId"`
		Name  string `json:"name"`
	} `json:"parent"`
	Person *struct {
		HPR int64 `json:"hprNumber"`
	} `json:"person"`
}

func TestRegistersInDepth(t *testing.T) {
	data, _ := loadertest.Snapshot(t)
	m := MustRunMain(t, data, nil)
	id := findIDs(t, m)
	api := "http://" + m.APIAddr()

	t.Run("party-children-inheritance", func(t *testing.T) {
		var org party
		if st := getJSON(t, api+"/v1/communication-parties/"+u(id.her), &org); st != 200 || org.Type != "Organization" {
			t.Fatalf("%d %+v", st, org)
		}
		orgTypes := map[string]bool{}
		for _, a := range org.Electronic {
			orgTypes[a.Type.Code] = true
		}
		var page struct {
			Items      []party `json:"items"`
			NextCursor *string `json:"nextCursor"`
		}
		if st := getJSON(t, api+"/v1/communication-parties/"+u(id.her)+"/children?limit=1000", &page); st != 200 || len(page.Items) == 0 {
			t.Fatalf("children: %d, %d items", st, len(page.Items))
		}
		for _, c := range page.Items {
			if c.Parent == nil || c.Parent.HerID != org.HerID || c.ParentHerID != org.HerID {
				t.Fatalf("child %d without parent summary", c.HerID)
			}
			have := map[string]bool{}
			for _, a := range c.Electronic {
				if a.Inherited == nil {
					t.Fatalf("child %d: address without inherited flag", c.HerID)
				}
				have[a.Type.Code] = true
			}
			for typ := range orgTypes {
				if !have[typ] {
					t.Fatalf("child %d does not inherit the organisation's %s address", c.HerID, typ)
				}
			}
		}
		// Paging: one at a time reaches the same set.
		seen := 0
		cursor := ""
		for i := 0; i < 1000; i++ {
			var p struct {
				Items      []party `json:"items"`
				NextCursor *string `json:"nextCursor"`
			}
			url := api + "/v1/communication-parties/" + u(id.her) + "/children?limit=1"
			if cursor != "" {
				url += "&cursor=" + cursor
			}
			getJSON(t, url, &p)
			seen += len(p.Items)
			if p.NextCursor == nil {
				break
			}
			cursor = *p.NextCursor
		}
		if seen != len(page.Items) {
			t.Fatalf("paging saw %d, one page %d", seen, len(page.Items))
		}
		if r := do(t, "GET", api+"/v1/communication-parties/"+u(id.her)+"/children?limit=1001", "", ""); r.status != 400 {
			t.Fatalf("limit 1001: %d", r.status)
		}
		if r := do(t, "GET", api+"/v1/communication-parties/"+u(id.her)+"/children?cursor=!!", "", ""); r.status != 400 {
			t.Fatalf("bad cursor: %d", r.status)
		}

		var search struct {
			Total  int                       `json:"total"`
			Facets map[string]map[string]int `json:"facets"`
			Items  []party                   `json:"items"`
		}
		if st := getJSON(t, api+"/v1/communication-parties?orgnr="+org.OrgNr, &search); st != 200 {
			t.Fatalf("search %d", st)
		}
		found := false
		for _, p := range search.Items {
			found = found || p.HerID == org.HerID
		}
		if !found {
			t.Fatalf("orgnr %s does not find HER-id %d", org.OrgNr, org.HerID)
		}
		// Name search: word order, case and æøå spellings do not matter.
		var named struct {
			Name string `json:"name"`
		}
		getJSON(t, api+"/v1/communication-parties/"+u(id.her), &named)
		words := strings.Fields(named.Name)
		q := strings.ToUpper(words[len(words)-1])
		if len(words) > 1 {
			q += " " + strings.ToLower(words[0][:3])
		}
		q = strings.NewReplacer("ø", "oe", "Ø", "OE", "å", "aa", "Å", "AA", "æ", "ae", "Æ", "AE").Replace(q)
		search.Items, search.Total = nil, 0
		if st := getJSON(t, api+"/v1/communication-parties?name="+strings.ReplaceAll(q, " ", "+")+"&limit=1000", &search); st != 200 {
			t.Fatalf("name search %d", st)
		}
		found = false
		for _, p := range search.Items {
			found = found || p.HerID == org.HerID
		}
		if !found || search.Total < len(search.Items) || search.Facets["type"]["Organization"] == 0 {
			t.Fatalf("name search %q for %q: found=%v %+v", q, named.Name, found, search.Facets)
		}
		// Facets count every match, not just the page.
		var one struct {
			Total      int                       `json:"total"`
			Facets     map[string]map[string]int `json:"facets"`
			Items      []party                   `json:"items"`
			NextCursor *string                   `json:"nextCursor"`
		}
		getJSON(t, api+"/v1/communication-parties?type=Service&limit=1", &one)
		if len(one.Items) != 1 || one.Total < 2 || one.Facets["type"]["Service"] != one.Total || one.NextCursor == nil {
			t.Fatalf("type=Service page of 1: %+v", one)
		}
		if r := do(t, "GET", api+"/v1/communication-parties?colour=red", "", ""); r.status != 400 {
			t.Fatalf("unknown parameter: %d", r.status)
		}
		var contracts struct {
			Total int `json:"total"`
			Items []struct {
				Orgnr string `json:"gpOfficeOrganizationNumber"`
			} `json:"items"`
		}
		v, _ := m.Store().Acquire()
		var anyContract []byte
		v.Scan([]byte{byte(registry.RegGPContract)}, nil, func(_, val []byte) bool { _, anyContract, _, _ = registry.DecodeValue(val); return false })
		v.Release()
		var first struct {
			Orgnr string `json:"gpOfficeOrganizationNumber"`
		}
		json.Unmarshal(anyContract, &first)
		if st := getJSON(t, api+"/v1/gp-contracts?orgnr="+first.Orgnr, &contracts); st != 200 || contracts.Total == 0 {
			t.Fatalf("contracts of %s: %d %+v", first.Orgnr, st, contracts)
		}
		for _, c := range contracts.Items {
			if c.Orgnr != first.Orgnr {
				t.Fatalf("contract of %s listed for %s", c.Orgnr, first.Orgnr)
			}
		}
	})

	t.Run("resh-tree", func(t *testing.T) {
		v, _ := m.Store().Acquire()
		var leaf uint64
		v.Scan([]byte{byte(registry.IdxReshChildren)}, nil, func(k, _ []byte) bool {
			leaf = uint64(binary.BigEndian.Uint32(k[5:]))
			return true // the last child in key order: deep in the tree
		})
		v.Release()
		var tree struct {
			Unit struct {
				ReshID uint64  `json:"reshId"`
				Parent *uint64 `json:"parentReshId"`
			} `json:"unit"`
			Ancestors []struct {
				ReshID uint64  `json:"reshId"`
				Parent *uint64 `json:"parentReshId"`
			} `json:"ancestors"`
			Children []struct {
				Parent uint64 `json:"parentReshId"`
			} `json:"children"`
		}
		if st := getJSON(t, api+"/v1/resh/"+u(leaf)+"?ancestors=true&children=true", &tree); st != 200 {
			t.Fatal(st)
		}
		if len(tree.Ancestors) == 0 || tree.Ancestors[0].Parent != nil || tree.Ancestors[len(tree.Ancestors)-1].ReshID != *tree.Unit.Parent {
			t.Fatalf("ancestors not root first down to the parent: %+v", tree)
		}
		root := tree.Ancestors[0].ReshID
		var rt struct {
			Children []struct {
				Parent uint64 `json:"parentReshId"`
			} `json:"children"`
		}
		getJSON(t, api+"/v1/resh/"+u(root)+"?children=true", &rt)
		if len(rt.Children) == 0 {
			t.Fatal("root has no children")
		}
		for _, c := range rt.Children {
			if c.Parent != root {
				t.Fatalf("child of %d has parent %d", root, c.Parent)
			}
		}
	})

	t.Run("personnel-at-time", func(t *testing.T) {
		type approval struct {
			Valid *bool `json:"valid"`
		}
		var now, past struct {
			Approvals []approval `json:"approvals"`
			AtTime    string     `json:"atTime"`
		}
		// Without atTime: the record as stored (every approval with its period).
		stored := storedFull(t, m, registry.SerialKey(registry.RegPersonnel, id.hpr))
		if r := do(t, "GET", api+"/v1/personnel/"+u(id.hpr), "", ""); r.status != 200 || !bytes.Equal(r.body, stored) {
			t.Fatalf("without atTime: %d %.300s, want the stored record", r.status, r.body)
		}
		today := time.Now().UTC().Format(time.DateOnly)
		if st := getJSON(t, api+"/v1/personnel/"+u(id.hpr)+"?atTime="+today, &now); st != 200 || now.AtTime != today+"T00:00:00Z" {
			t.Fatal(st, now.AtTime)
		}
		for _, a := range now.Approvals {
			if a.Valid == nil {
				t.Fatal("approval without valid flag")
			}
		}
		if st := getJSON(t, api+"/v1/personnel/"+u(id.hpr)+"?atTime=1900-01-01", &past); st != 200 || len(past.Approvals) != 0 {
			t.Fatalf("approvals in 1900: %d %+v", st, past)
		}
		if r := do(t, "GET", api+"/v1/personnel/"+u(id.hpr)+"?atTime=yesterday", "", ""); r.status != 400 {
			t.Fatalf("bad atTime: %d", r.status)
		}
	})

	t.Run("personnel-history", func(t *testing.T) { personnelHistoryE2E(t, m, api, id.hpr) })
	t.Run("resh-at-time", func(t *testing.T) { reshAtTimeE2E(t, m, api) })

	t.Run("bulk", func(t *testing.T) {
		body := `{"nins":["` + id.gpPatient + `","01810050059","` + unknownNIN + `",7]}`
		r := do(t, "POST", api+"/v1/persons/bulk", "application/json", body)
		var res struct {
			Items []struct {
				Status int    `json:"status"`
				Code   string `json:"code"`
				Rule   string `json:"rule"`
			} `json:"items"`
		}
		if r.status != 200 || json.Unmarshal(r.body, &res) != nil || len(res.Items) != 4 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		want := []string{"200", "400 first-check-digit", "404 not_found", "400 non-digit"}
		for i, it := range res.Items {
			got := strconv.Itoa(it.Status)
			if it.Rule != "" {
				got += " " + it.Rule
			} else if it.Code != "" {
				got += " " + it.Code
			}
			if got != want[i] {
				t.Fatalf("item %d: %s, want %s", i, got, want[i])
			}
		}
		r = do(t, "POST", api+"/v1/gp/bulk", "application/json", `{"nins":["`+id.gpPatient+`","`+unknownNIN+`"]}`)
		if r.status != 200 || !strings.Contains(string(r.body), `"code":"no_gp"`) || !strings.Contains(string(r.body), `"gpContractId"`) {
			t.Fatalf("gp bulk %d %s", r.status, r.body)
		}
		many := `{"nins":[` + strings.Repeat(`"`+id.gpPatient+`",`, 1000) + `"` + id.gpPatient + `"]}`
		if r := do(t, "POST", api+"/v1/persons/bulk", "application/json", many); r.status != 400 || !strings.Contains(string(r.body), "too_many_items") {
			t.Fatalf("1001 items: %d %s", r.status, r.body)
		}
	})

	t.Run("gp-her-id-rule", func(t *testing.T) {
		// Every contract's gpHerId follows NHN's rule, checked against the
		// doctors and the AR persons in the generation.
		v, _ := m.Store().Acquire()
		defer v.Release()
		branches := map[string]int{}
		v.Scan([]byte{byte(registry.RegGPContract)}, nil, func(_, val []byte) bool {
			_, full, _, _ := registry.DecodeValue(val)
			var c struct {
				ID      int64  `json:"id"`
				GPHerID *int64 `json:"gpHerId"`
				Doctors []struct {
					HPR   uint64                `json:"hprNumber"`
					Rel   struct{ Code string } `json:"relationship"`
					Valid struct {
						From string  `json:"from"`
						To   *string `json:"to"`
					} `json:"valid"`
				} `json:"doctors"`
			}
			json.Unmarshal(full, &c)
			today := loadertest.Now().Format("2006-01-02")
			var lf, lv []uint64
			for _, d := range c.Doctors {
				if d.Valid.From <= today && (d.Valid.To == nil || *d.Valid.To >= today) {
					if d.Rel.Code == "LF" {
						lf = append(lf, d.HPR)
					} else if d.Rel.Code == "LV" {
						lv = append(lv, d.HPR)
					}
				}
			}
			her := func(hpr uint64) int64 {
				k := registry.SerialKey(registry.IdxPartyByHPR, hpr)
				b, err := v.Get(nil, &k)
				if err != nil {
					return 0
				}
				return int64(binary.BigEndian.Uint32(b))
			}
			var want int64
			branch := "none"
			switch {
			case len(lf) > 0:
				want, branch = her(lf[0]), "regular"
			case len(lv) == 1:
				want, branch = her(lv[0]), "one-substitute"
			}
			got := int64(0)
			if c.GPHerID != nil {
				got = *c.GPHerID
			}
			if got != want {
				t.Errorf("contract %d (%s): gpHerId %d, want %d", c.ID, branch, got, want)
			}
			branches[branch]++
			return true
		})
		if branches["regular"] == 0 || branches["one-substitute"] == 0 || branches["none"] == 0 {
			t.Fatalf("dataset does not exercise all three branches: %v", branches)
		}
	})

	t.Run("person-search", func(t *testing.T) {
		var person struct {
			NIN  string `json:"nin"`
			Name struct {
				Given  string `json:"given"`
				Family string `json:"family"`
			} `json:"name"`
			BirthDate string `json:"birthDate"`
			Gender    string `json:"gender"`
		}
		r := do(t, "POST", api+"/v1/persons/lookup", "application/json", `{"nin":"`+id.gpPatient+`"}`)
		json.Unmarshal(r.body, &person)
		type result struct {
			Total int `json:"total"`
			Items []struct {
				NIN string `json:"nin"`
			} `json:"items"`
			NextCursor *string `json:"nextCursor"`
		}
		search := func(q map[string]any) (result, int) {
			b, _ := json.Marshal(q)
			r := do(t, "POST", api+"/v1/persons/search", "application/json", string(b))
			var res result
			json.Unmarshal(r.body, &res)
			return res, r.status
		}
		has := func(res result, nin string) bool {
			for _, it := range res.Items {
				if it.NIN == nin {
					return true
				}
			}
			return false
		}
		fam := strings.ToUpper(person.Name.Family)
		res, st := search(map[string]any{"familyName": fam[:min(4, len(fam))], "givenName": strings.ToLower(person.Name.Given),
			"birthDate": person.BirthDate[:4], "gender": person.Gender, "limit": 1000})
		if st != 200 || !has(res, person.NIN) {
			t.Fatalf("search for %+v: %d %+v", person, st, res)
		}
		res, _ = search(map[string]any{"birthDate": person.BirthDate, "limit": 1000})
		if !has(res, person.NIN) {
			t.Fatal("birth date search misses the person")
		}
		if res, _ = search(map[string]any{"familyName": person.Name.Family, "birthDate": "1850"}); has(res, person.NIN) {
			t.Fatal("birth year filter ignored")
		}
		for _, bad := range []string{`{}`, `{"postalCode":"0354"}`, `{"familyName":"x","birthDate":"19x0"}`, `{"familyName":"x","limit":5000}`, `{"nin":"1"}`} {
			if r := do(t, "POST", api+"/v1/persons/search", "application/json", bad); r.status != 400 {
				t.Fatalf("%s: %d", bad, r.status)
			}
		}
	})

	t.Run("personnel-search", func(t *testing.T) {
		var hp struct {
			HPR       int64  `json:"hprNumber"`
			Given     string `json:"givenName"`
			Family    string `json:"familyName"`
			Approvals []struct {
				Profession struct {
					Code string `json:"code"`
				} `json:"profession"`
			} `json:"approvals"`
		}
		getJSON(t, api+"/v1/personnel/"+u(id.hpr), &hp)
		type res struct {
			Total int `json:"total"`
			Items []struct {
				HPR int64 `json:"hprNumber"`
			} `json:"items"`
		}
		find := func(q string) res {
			r := do(t, "POST", api+"/v1/personnel/search", "application/json", q)
			if r.status != 200 {
				t.Fatalf("%s: %d %s", q, r.status, r.body)
			}
			var out res
			json.Unmarshal(r.body, &out)
			return out
		}
		has := func(x res) bool {
			for _, it := range x.Items {
				if it.HPR == hp.HPR {
					return true
				}
			}
			return false
		}
		q := strings.ToLower(hp.Family[:min(3, len(hp.Family))]) + " " + strings.ToUpper(hp.Given)
		if !has(find(`{"name":"` + q + `","limit":1000}`)) {
			t.Fatalf("name %q does not find HPR %d", q, hp.HPR)
		}
		if len(hp.Approvals) > 0 {
			cat := hp.Approvals[0].Profession.Code
			x := find(`{"familyName":"` + hp.Family + `","category":"` + cat + `","limit":1000}`)
			if !has(x) {
				t.Fatalf("category %s filter misses HPR %d", cat, hp.HPR)
			}
			all := find(`{"category":"` + cat + `","limit":1}`)
			if all.Total < x.Total || len(all.Items) != 1 {
				t.Fatalf("category-only search: %+v", all)
			}
		}
		if x := find(`{"familyName":"` + hp.Family + `","category":"XX-none"}`); has(x) {
			t.Fatal("category filter ignored")
		}
		if r := do(t, "POST", api+"/v1/personnel/search", "application/json", `{}`); r.status != 400 {
			t.Fatalf("empty search: %d", r.status)
		}
	})

	t.Run("codes", func(t *testing.T) {
		var l registry.CodeList
		if st := getJSON(t, api+"/v1/codes/9060", &l); st != 200 || !l.Complete {
			t.Fatalf("%d %+v", st, l)
		}
		found := false
		for _, c := range l.Codes {
			found = found || (c.Code == "LE" && c.Text == "Lege" && c.OID == 9060)
		}
		if !found {
			t.Fatal("9060 lacks LE Lege")
		}
		if r := do(t, "GET", api+"/v1/codes/1", "", ""); r.status != 404 {
			t.Fatalf("unknown list: %d", r.status)
		}
	})
}
