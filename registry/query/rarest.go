package query

import (
	"bytes"
	"iter"

	"github.com/grunndata/grunndata/registry"
)

// A search can find its candidates through any one of its terms: every
// index it could scan (a family-name word, a given-name word, the birth
// date, a profession category) holds a superset of the matches, and the
// full query filters them. The cost is the size of the scanned range, so
// the search should drive from its rarest term: "Hansen, born 1987-03-14"
// reads the few persons born that day, not every Hansen.
//
// scanRarest finds the rarest driver without counts kept at load: it scans
// the drivers' ranges in lockstep, one key of each in turn, until one range
// ends. That range is the rarest, and the cost is at most the number of
// drivers times its size. Counts per term would have to be exact under
// prefix terms ("han" covers hansen and hanna) and kept true by every
// delta; the lockstep scan is exact by construction and adds nothing to a
// generation.

// maxDrivers bounds the ranges a search scans in lockstep (a name of many
// short words would otherwise pay once per word).
const maxDrivers = 8

// driver is one way to find a search's candidates: the union of the
// ranges under its prefixes (a free personnel name is a family-name word
// or a given-name word).
type driver [][]byte

// addDriver appends d unless an equal driver is there already or there
// are maxDrivers.
func addDriver(ds []driver, d driver) []driver {
	if len(ds) == maxDrivers {
		return ds
	}
	for _, o := range ds {
		if len(o) == len(d) && bytes.Equal(o[0], d[0]) && (len(d) == 1 || bytes.Equal(o[1], d[1])) {
			return ds
		}
	}
	return append(ds, d)
}

// scanRarest scans the ranges of ds (at least one) in lockstep and calls
// visit(i, key, value) for each key of driver i it reads, until one
// driver's ranges end: that driver is the winner, and visit has seen all
// of its keys (the others' keys seen are to be dropped). A driver past
// max keys stops; when every driver has, the winner is the first and
// capped is true (visit has seen its first max keys).
func scanRarest(v registry.View, ds []driver, max int, visit func(d int, k, val []byte)) (winner int, capped bool, err error) {
	if len(ds) == 1 {
		n := 0
		for _, p := range ds[0] {
			if err := v.Scan(p, nil, func(k, val []byte) bool {
				if n++; n > max {
					capped = true
					return false
				}
				visit(0, k, val)
				return true
			}); err != nil || capped {
				return 0, capped, err
			}
		}
		return 0, false, nil
	}
	type run struct {
		next func() ([]byte, []byte, bool)
		stop func()
		err  error
		n    int
		done bool // past max keys
	}
	runs := make([]run, len(ds))
	for i := range ds {
		r := &runs[i]
		r.next, r.stop = iter.Pull2(iter.Seq2[[]byte, []byte](func(yield func(k, val []byte) bool) {
			for _, p := range ds[i] {
				stopped := false
				r.err = v.Scan(p, nil, func(k, val []byte) bool {
					stopped = !yield(k, val)
					return !stopped
				})
				if r.err != nil || stopped {
					return
				}
			}
		}))
		defer r.stop()
	}
	for live := len(runs); live > 0; {
		for i := range runs {
			r := &runs[i]
			if r.done {
				continue
			}
			// k and val stay valid until the next call of r.next: the
			// scan is suspended inside its callback meanwhile.
			k, val, ok := r.next()
			if r.err != nil {
				return 0, false, r.err
			}
			if !ok {
				return i, false, nil
			}
			if r.n++; r.n > max {
				r.done = true
				live--
				continue
			}
			visit(i, k, val)
		}
	}
	return 0, true, nil
}
