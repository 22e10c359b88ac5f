package index_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/internal/testwait"
	"github.com/grunndata/grunndata/registry"
)

// TestRefsUnderSwaps: readers acquire, read and release on every shard while
// the two generations are swapped back and forth. No read ever meets a
// closed generation or the other generation's value under the view's id,
// every request and read is counted, and after the swaps only the active
// generation is open.
func TestRefsUnderSwaps(t *testing.T) {
	dir := t.TempDir()
	g1, g2 := buildGen(t, dir, 50, "a"), buildGen(t, dir, 50, "b")
	tags := map[string]string{g1: "a", g2: "b"}
	index.WriteActive(dir, g1)
	s, err := index.Open(index.DefaultConfig(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var stop atomic.Bool
	var reads atomic.Int64
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			k := registry.SerialKey(registry.RegParty, uint64(w))
			for !stop.Load() {
				v, err := s.Acquire()
				if err != nil {
					t.Error(err)
					return
				}
				got, err := v.Get(nil, &k)
				if want := fmt.Sprintf("%s-%d", tags[v.ID()], w); err != nil || string(got) != want {
					t.Errorf("generation %s: Get = %q, %v; want %q", v.ID(), got, err, want)
				}
				reads.Add(1)
				v.Release()
			}
		})
	}
	const swaps = 100
	for i := range swaps {
		if _, err := s.Activate([]string{g2, g1}[i%2]); err != nil {
			t.Fatal(err)
		}
		// Let the readers in between swaps, however the scheduler runs them.
		n := reads.Load()
		testwait.For(t, testwait.Bound, func() bool { return reads.Load() >= n+4 || t.Failed() }, nil)
	}
	stop.Store(true)
	wg.Wait()
	testwait.For(t, testwait.Bound, func() bool { return s.OpenGenerations() == 1 },
		func() string { return fmt.Sprintf("%d generations open after the swaps", s.OpenGenerations()) })
	var requests, served int64
	for _, st := range s.Generations() {
		requests += st.Requests
		served += st.Reads
	}
	// Generations keeps the last few instances' counters: at most the
	// reads counted, and the active one's at least.
	if act := s.Generations()[0]; requests > reads.Load() || served > reads.Load() || act.Requests != act.Reads || act.Requests == 0 {
		t.Fatalf("%d reads; counted %d requests and %d reads; active %+v", reads.Load(), requests, served, act)
	}
}
