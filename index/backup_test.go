package index_test

import (
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/registry"
)

// TestAINCheckpointUnderAllocations takes a checkpoint of the AIN store
// while four goroutines allocate, and checks that the checkpoint opens,
// verifies, and holds every AIN whose allocation returned before it began.
func TestAINCheckpointUnderAllocations(t *testing.T) {
	dir := t.TempDir()
	s, err := index.OpenAINStore(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var (
		mu    sync.Mutex
		done  []registry.NIN // allocations that returned
		stop  atomic.Bool
		wg    sync.WaitGroup
		ready = make(chan struct{})
		once  sync.Once
	)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				n, _, err := s.Allocate(buildAIN, nil)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				done = append(done, n)
				if len(done) >= 200 {
					once.Do(func() { close(ready) })
				}
				mu.Unlock()
			}
		}()
	}
	<-ready
	mu.Lock()
	before := append([]registry.NIN(nil), done...)
	mu.Unlock()
	cp := filepath.Join(t.TempDir(), "copy")
	err = s.Checkpoint(index.AINDir(cp))
	stop.Store(true)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Checkpoint(index.AINDir(cp)); err == nil {
		t.Fatal("a checkpoint over an existing directory succeeded")
	}
	c, err := index.OpenAINStore(cp, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	n, err := c.Verify()
	if err != nil {
		t.Fatal(err)
	}
	if n < int64(len(before)) {
		t.Fatalf("checkpoint holds %d AINs, %d were allocated before it", n, len(before))
	}
	for _, a := range before {
		k := registry.PersonKey(a)
		if v, err := c.Get(nil, &k); err != nil || len(v) == 0 {
			t.Fatalf("AIN allocated before the checkpoint is missing: %v", err)
		}
	}
	t.Logf("%d AINs allocated before the checkpoint, %d in it", len(before), n)
}
