package resh_test

import (
	"reflect"
	"testing"

	"github.com/grunndata/grunndata/loader/resh"
)

// TestLeafCheck: the leaf-node rule on its own. Each unit is {id, parent,
// services}; its line is its position (1-based).
func TestLeafCheck(t *testing.T) {
	type unit struct {
		id, parent int64
		services   int
	}
	for _, c := range []struct {
		name  string
		units []unit
		want  []resh.Violation
	}{
		{"no services", []unit{{1, 0, 0}, {2, 1, 0}, {3, 2, 0}}, nil},
		{"leaf with services", []unit{{1, 0, 0}, {2, 1, 0}, {3, 2, 2}, {4, 2, 1}}, nil},
		{"root alone with services is a leaf", []unit{{1, 0, 3}}, nil},
		{"parent with services", []unit{{1, 0, 0}, {2, 1, 1}, {3, 2, 0}, {4, 2, 0}},
			[]resh.Violation{{ReshID: 2, Line: 2, Services: 1, Children: 2}}},
		{"multiple levels, reported in file order", []unit{{1, 0, 2}, {2, 1, 0}, {3, 2, 1}, {4, 3, 1}, {5, 4, 0}, {6, 2, 4}},
			[]resh.Violation{
				{ReshID: 1, Line: 1, Services: 2, Children: 1},
				{ReshID: 3, Line: 3, Services: 1, Children: 1},
				{ReshID: 4, Line: 4, Services: 1, Children: 1},
			}},
		{"parent missing: its children are leaves", []unit{{1, 0, 0}, {5, 99, 1}, {6, 99, 2}}, nil},
		{"parent missing: a unit under it with children warns", []unit{{5, 99, 1}, {6, 5, 0}},
			[]resh.Violation{{ReshID: 5, Line: 1, Services: 1, Children: 1}}},
		{"child before its parent", []unit{{2, 1, 0}, {1, 0, 1}},
			[]resh.Violation{{ReshID: 1, Line: 2, Services: 1, Children: 1}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var lc resh.LeafCheck
			for i, u := range c.units {
				lc.Add(u.id, u.parent, i+1, u.services)
			}
			if got := lc.Violations(); !reflect.DeepEqual(got, c.want) {
				t.Errorf("violations %+v; want %+v", got, c.want)
			}
		})
	}
	var empty resh.LeafCheck
	if v := empty.Violations(); v != nil {
		t.Errorf("empty check: %+v", v)
	}
}

// TestReadServices: "services" is counted; absent or null is none; a
// non-array is a shape error.
func TestReadServices(t *testing.T) {
	recs := read(t, `{"reshId":1,"name":"a","level":{"code":"1"},"services":[{"code":{"oid":8666,"code":"05"}},{}]}
{"reshId":2,"name":"b","level":{"code":"1"},"services":null}
{"reshId":3,"name":"c","level":{"code":"1"}}
{"reshId":4,"name":"d","level":{"code":"1"},"services":{"x":1}}
`)
	for i, want := range []int{2, 0, 0, 0} {
		if recs[i].Services != want {
			t.Errorf("line %d: %d services; want %d", i+1, recs[i].Services, want)
		}
	}
	if recs[3].Err == nil {
		t.Error(`"services" that is not an array: no shape error`)
	}
}
