package index_test

import (
	"sync"
	"testing"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/registry"
)

func buildAIN(n registry.NIN) []byte {
	return []byte(`{"nin":"` + string(n[:]) + `","identifierType":"ain"}`)
}

// TestAINUniqueUnderConcurrencyAndRestart allocates 10 000 AINs from 64
// goroutines, reopens the store, allocates more, and checks that no number
// was issued twice and every one is valid and durable.
func TestAINUniqueUnderConcurrencyAndRestart(t *testing.T) {
	dir := t.TempDir()
	s, err := index.OpenAINStore(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu   sync.Mutex
		seen = map[registry.NIN]bool{}
		wg   sync.WaitGroup
	)
	const workers, per = 64, 10000 / 64
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				n, _, err := s.Allocate(buildAIN, nil)
				if err != nil {
					t.Error(err)
					return
				}
				if _, info, err := registry.ParseNIN(n[:]); err != nil || info.Kind != registry.NINAin || info.Rule2032 {
					t.Errorf("allocated %v: kind %v, %v", n, info.Kind, err)
				}
				mu.Lock()
				if seen[n] {
					t.Errorf("AIN issued twice")
				}
				seen[n] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = index.OpenAINStore(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for n := range seen { // durable across the restart
		k := registry.PersonKey(n)
		if _, err := s.Get(nil, &k); err != nil {
			t.Fatalf("AIN lost across restart: %v", err)
		}
		break
	}
	// New allocations never collide with the old ones, nor with numbers the
	// active generation holds (taken).
	for i := 0; i < 200; i++ {
		n, _, err := s.Allocate(buildAIN, func(n registry.NIN) bool { return n[1] == '0' })
		if err != nil {
			t.Fatal(err)
		}
		if seen[n] || n[1] == '0' {
			t.Fatal("allocation reused a number")
		}
		seen[n] = true
	}
	got, err := s.Verify()
	if err != nil || got != int64(len(seen)) {
		t.Fatalf("verify: %d AINs (want %d), %v", got, len(seen), err)
	}
}

// TestRandomAINNotSequential: consecutive AINs are not predictable from
// each other (they differ in many digits).
func TestRandomAINNotSequential(t *testing.T) {
	prev := registry.RandomAIN()
	same := 0
	for i := 0; i < 1000; i++ {
		n := registry.RandomAIN()
		d := 0
		for j := 1; j < 9; j++ {
			if n[j] != prev[j] {
				d++
			}
		}
		if d < 3 {
			same++
		}
		prev = n
	}
	if same > 10 {
		t.Fatalf("%d of 1000 consecutive AINs differ in fewer than 3 random digits", same)
	}
}

func BenchmarkAINAllocate(b *testing.B) {
	s, err := index.OpenAINStore(b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := s.Allocate(buildAIN, nil); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
