package index_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/internal/testwait"
	"github.com/grunndata/grunndata/registry"
)

// buildGen builds a generation in dir holding keys k0000..k(n-1) with values
// tagged by tag, spilling sorted runs often.
func buildGen(t testing.TB, dir string, n int, tag string) string {
	t.Helper()
	cfg := index.DefaultBuilderConfig(dir)
	cfg.SortBytes = 4 << 10
	cfg.TableBytes = 16 << 10
	b, err := index.NewBuilder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Add in reverse order, with a duplicate that must win.
	for i := n - 1; i >= 0; i-- {
		k := registry.SerialKey(registry.RegParty, uint64(i))
		if err := b.Add(k.Bytes(), []byte(fmt.Sprintf("%s-%d", tag, i))); err != nil {
			t.Fatal(err)
		}
	}
	k := registry.SerialKey(registry.RegParty, 7)
	if err := b.Add(k.Bytes(), []byte(tag+"-seven")); err != nil {
		t.Fatal(err)
	}
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	v, err := b.Get(nil, &k)
	if err != nil || string(v) != tag+"-seven" {
		t.Fatalf("builder Get = %q, %v", v, err)
	}
	if err := b.Commit(&index.Manifest{}); err != nil {
		t.Fatal(err)
	}
	if st := b.Stats(); (n > 1000 && st.Runs == 0) || st.Duplicates != 1 || st.Keys != int64(n) {
		t.Fatalf("stats %+v", st)
	}
	return b.ID()
}

func TestBuildActivateRead(t *testing.T) {
	dir := t.TempDir()
	id1 := buildGen(t, dir, 2000, "a")
	if err := index.WriteActive(dir, id1); err != nil {
		t.Fatal(err)
	}
	s, err := index.Open(index.DefaultConfig(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	v, err := s.Acquire()
	if err != nil {
		t.Fatal(err)
	}
	k := registry.SerialKey(registry.RegParty, 1999)
	got, err := v.Get(nil, &k)
	if err != nil || string(got) != "a-1999" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	k = registry.SerialKey(registry.RegParty, 5000)
	if _, err := v.Get(nil, &k); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("missing key: %v", err)
	}
	n := 0
	if err := v.Scan([]byte{byte(registry.RegParty)}, nil, func(k, v []byte) bool { n++; return true }); err != nil || n != 2000 {
		t.Fatalf("scan %d %v", n, err)
	}

	// A second generation; the held view keeps reading the first.
	id2 := buildGen(t, dir, 10, "b")
	old := s.Active()
	if _, err := s.Activate(id2); err != nil {
		t.Fatal(err)
	}
	k = registry.SerialKey(registry.RegParty, 1999)
	got, err = v.Get(nil, &k)
	if err != nil || string(got) != "a-1999" {
		t.Fatalf("old view after swap: %q, %v", got, err)
	}
	select {
	case <-old.Closed():
		t.Fatal("old generation closed while a reader holds it")
	default:
	}
	v.Release()
	testwait.Recv(t, testwait.Bound, old.Closed(), "the old generation did not close after its last reader released")
	v2, err := s.Acquire()
	if err != nil {
		t.Fatal(err)
	}
	defer v2.Release()
	if v2.ID() != id2 {
		t.Fatalf("active %s, want %s", v2.ID(), id2)
	}
	if _, err := v2.Get(nil, &k); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("new generation has old key: %v", err)
	}
}

func TestOpenRemovesTemp(t *testing.T) {
	dir := t.TempDir()
	b, err := index.NewBuilder(index.DefaultBuilderConfig(dir))
	if err != nil {
		t.Fatal(err)
	}
	_ = b // simulate a crash: never committed
	s, err := index.Open(index.DefaultConfig(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Acquire(); !errors.Is(err, registry.ErrUnavailable) {
		t.Fatalf("Acquire with no generation: %v", err)
	}
	ids, _ := index.ListGenerations(dir)
	if len(ids) != 0 {
		t.Fatalf("generations %v", ids)
	}
}
