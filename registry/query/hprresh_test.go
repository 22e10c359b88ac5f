package query

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/grunndata/grunndata/registry"
)

// reshFixture is a RESH tree: RHF 1 (2002–) → HF 2 (2002–) → avdeling 3
// (2005-01-01 – 2015-12-31, closed) with seksjon 5 (2006-03-01 – 2014-06-30),
// and avdeling 4 (2010-01-01 –).
func reshFixture() memView {
	m := memView{}
	unit := func(id, parent uint64, from, to string) {
		p, t := "null", "null"
		if parent != 0 {
			p = fmt.Sprint(parent)
			c := registry.U32(uint32(parent))
			k := registry.U32(uint32(id))
			m[string(append(append([]byte{byte(registry.IdxReshChildren)}, c[:]...), k[:]...))] = nil
		}
		if to != "" {
			t = `"` + to + `"`
		}
		rec := fmt.Sprintf(`{"reshId":%d,"name":"U%d","parentReshId":%s,"valid":{"from":"%s","to":%s},"active":%v}`, id, id, p, from, t, to == "")
		m.put(registry.SerialKey(registry.RegResh, id), registry.AppendValue(nil, 0, []byte(rec), nil))
	}
	unit(1, 0, "2002-01-01", "")
	unit(2, 1, "2002-01-01", "")
	unit(3, 2, "2005-01-01", "2015-12-31")
	unit(4, 2, "2010-01-01", "")
	unit(5, 3, "2006-03-01", "2014-06-30")
	return m
}

type reshTreeAnswer struct {
	Unit      struct{ ReshID int }   `json:"unit"`
	Ancestors []struct{ ReshID int } `json:"ancestors"`
	Children  []struct {
		ReshID int
		Active bool
		AtTime string
	} `json:"children"`
}

// TestReshAtTime: a unit and its tree at an instant hold exactly the units
// whose validity period contains it; the unit asked for is ErrNotFound
// outside its period; without an instant every unit is served as stored.
func TestReshAtTime(t *testing.T) {
	e := newEngine(t)
	v := reshFixture()
	for _, c := range []struct {
		at       string
		unit     uint64
		found    bool
		children string // ids of HF 2's children
		path     string // ancestors of seksjon 5
	}{
		{"", 5, true, "3 4", "1 2 3"},
		{"2001-12-31", 1, false, "", ""},
		{"2002-01-01", 2, true, "", ""},
		{"2005-01-01", 3, true, "3", ""},
		{"2006-02-28", 5, false, "3", ""},
		{"2006-03-01", 5, true, "3", "1 2 3"},
		{"2010-01-01T00:00:00Z", 4, true, "3 4", "1 2 3"},
		{"2014-06-30T23:59:59+00:00", 5, true, "3 4", "1 2 3"},
		{"2014-07-01", 5, false, "3 4", ""},
		{"2015-12-31", 3, true, "3 4", ""},
		{"2016-01-01", 3, false, "4", ""},
		{"2099-01-01", 4, true, "4", ""},
	} {
		t.Run(c.at, func(t *testing.T) {
			at := ParseAt([]byte(c.at))
			body, err := e.ReshUnitAt(v, c.unit, at)
			if c.found != (err == nil) || !c.found && err != registry.ErrNotFound {
				t.Fatalf("unit %d: %v, found want %v", c.unit, err, c.found)
			}
			if c.found && at.Given && !strings.Contains(string(body), `"active":true,"atTime":"`) {
				t.Fatalf("unit %d: %s", c.unit, body)
			}
			// The unit asked for decides the tree's existence too.
			tb, err := e.ReshTree(v, c.unit, true, true, at)
			if c.found != (err == nil) {
				t.Fatalf("tree of %d: %v, found want %v", c.unit, err, c.found)
			}
			if c.children != "" || c.at == "2002-01-01" {
				tb, err = e.ReshTree(v, 2, true, false, at)
				if err != nil {
					t.Fatal(err)
				}
				var tr reshTreeAnswer
				if err := json.Unmarshal(tb, &tr); err != nil {
					t.Fatalf("%v: %s", err, tb)
				}
				var ids []string
				for _, ch := range tr.Children {
					ids = append(ids, fmt.Sprint(ch.ReshID))
					if at.Given && (!ch.Active || ch.AtTime == "") {
						t.Errorf("child %+v", ch)
					}
				}
				if got := strings.Join(ids, " "); got != c.children {
					t.Errorf("children of 2: %q, want %q", got, c.children)
				}
			}
			if c.path != "" {
				tb, err = e.ReshTree(v, 5, false, true, at)
				if err != nil {
					t.Fatal(err)
				}
				var tr reshTreeAnswer
				json.Unmarshal(tb, &tr)
				var ids []string
				for _, a := range tr.Ancestors {
					ids = append(ids, fmt.Sprint(a.ReshID))
				}
				ids = append(ids, fmt.Sprint(tr.Unit.ReshID))
				if got := strings.Join(ids, " "); got != c.path+" 5" {
					t.Errorf("path to 5: %q, want %q", got, c.path+" 5")
				}
			}
		})
	}
	if _, err := e.ReshUnitAt(v, 1, ParseAt([]byte("soon"))); err != ErrBadAtTime {
		t.Errorf("bad atTime: %v", err)
	}
	if _, err := e.ReshTree(v, 1, true, false, ParseAt([]byte("2026-02-30"))); err != ErrBadAtTime {
		t.Errorf("bad atTime on the tree: %v", err)
	}
}

// TestPersonnelHistoryClock: without atTime the history's statuses are
// evaluated at the engine's clock (newEngine: 2026-01-05T12:00:00Z).
func TestPersonnelHistoryClock(t *testing.T) {
	e := newEngine(t)
	v := memView{}
	k := registry.SerialKey(registry.RegPersonnel, 1000017)
	v.put(k, registry.AppendValue(nil, 0, []byte(`{"hprNumber":1000017,"nin":"01810050019","approvals":[`+
		`{"id":1,"authorization":{"code":"1"},"valid":{"from":"2020-01-01","to":"2026-01-05"},"ended":false}]}`), nil))
	for _, c := range []struct{ at, want string }{
		{"", `"asOf":"2026-01-05T12:00:00Z","history":[{"kind":"authorisation","approvalId":1,"authorization":{"code":"1"},"valid":{"from":"2020-01-01","to":"2026-01-05"},"ended":false,"status":"active"}]`},
		{"2026-01-06", `"status":"ended"`},
		{"2019-12-31T23:59:59Z", `"status":"future"`},
	} {
		body, n, ok, err := e.PersonnelHistory(v, &k, ParseAt([]byte(c.at)))
		if err != nil || !ok || string(n[:]) != "01810050019" || !strings.Contains(string(body), c.want) {
			t.Errorf("atTime %q: %s %v %v %s, want %s", c.at, n[:], ok, err, body, c.want)
		}
	}
	if _, _, _, err := e.PersonnelHistory(v, &k, ParseAt([]byte("x"))); err != ErrBadAtTime {
		t.Errorf("bad atTime: %v", err)
	}
	unknown := registry.SerialKey(registry.RegPersonnel, 1000018)
	if _, _, _, err := e.PersonnelHistory(v, &unknown, At{}); err != registry.ErrNotFound {
		t.Errorf("unknown: %v", err)
	}
}
