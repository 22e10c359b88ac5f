package synth

import "testing"

// TestReshNonLeafServices: by default no RESH unit carries services; asked
// for n, exactly the first n units with children (in file order) carry one;
// a negative count or more than the preset's units with children is an
// error, not a silently different file.
func TestReshNonLeafServices(t *testing.T) {
	p, err := LookupPreset("small")
	if err != nil {
		t.Fatal(err)
	}
	count := func(w *world) (serviced []int, parents int) {
		isParent := make([]bool, len(w.resh))
		for _, u := range w.resh {
			if u.parent >= 0 {
				isParent[u.parent] = true
			}
		}
		for i, u := range w.resh {
			if isParent[i] {
				parents++
			}
			if len(u.services) > 0 {
				if !isParent[i] {
					t.Errorf("unit %d has services and no children", i)
				}
				serviced = append(serviced, i)
			}
		}
		return serviced, parents
	}
	w, err := newWorld(p, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.reshNonLeafServices(0); err != nil {
		t.Fatal(err)
	}
	s, parents := count(w)
	if len(s) != 0 || parents < 4 {
		t.Fatalf("default: services on %v, %d units with children", s, parents)
	}
	if err := w.reshNonLeafServices(4); err != nil {
		t.Fatal(err)
	}
	if s, _ = count(w); len(s) != 4 || s[0] != 0 || s[1] != 1 {
		t.Errorf("4 asked: services on units %v; want 4, starting with the RHF and its HF", s)
	}
	for _, n := range []int{-1, parents + 1} {
		w, _ := newWorld(p, 1)
		if err := w.reshNonLeafServices(n); err == nil {
			t.Errorf("%d asked (%d units with children): no error", n, parents)
		}
	}
}
