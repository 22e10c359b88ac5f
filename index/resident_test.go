package index_test

import (
	"strings"
	"testing"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/registry"
)

// TestResidentGeneration: a resident generation answers every read from
// its own block cache from the first read after the activation (no block
// cache miss at all), a shared one reads from disk; auto refuses when the
// need does not fit the memory available, and says why.
func TestResidentGeneration(t *testing.T) {
	const n = 20000
	dir := t.TempDir()
	id := buildGen(t, dir, n, "a")
	if err := index.WriteActive(dir, id); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name         string
		mode         string
		avail        int64
		wantResident bool
		why          string
	}{
		{"on", index.ResidentOn, 0, true, ""},
		{"auto with room", index.ResidentAuto, 64 << 30, true, ""},
		{"auto without room", index.ResidentAuto, 2<<30 + 1<<20, false, "needs"},
		{"off", index.ResidentOff, 64 << 30, false, "off"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := index.DefaultConfig(dir)
			cfg.Resident = c.mode
			cfg.BlockCacheBytes = 1 << 20 // far smaller than the generation
			cfg.MemAvailable = func() (int64, bool) { return c.avail, true }
			s, err := index.Open(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			rep, _ := s.LastActivation()
			if rep.Resident != c.wantResident || !strings.Contains(rep.NotResident, c.why) {
				t.Fatalf("resident %v (%q), want %v (%q)", rep.Resident, rep.NotResident, c.wantResident, c.why)
			}
			g := s.Active()
			before := g.Metrics()
			if before.Resident != c.wantResident {
				t.Fatalf("metrics say resident %v", before.Resident)
			}
			v, err := s.Acquire()
			if err != nil {
				t.Fatal(err)
			}
			for i := n - 1; i >= 0; i -= 7 {
				k := registry.SerialKey(registry.RegParty, uint64(i))
				if _, err := v.Get(nil, &k); err != nil {
					t.Fatal(err)
				}
			}
			v.Release()
			after := g.Metrics()
			misses := after.BlockCacheMisses - before.BlockCacheMisses
			if c.wantResident {
				if misses != 0 {
					t.Errorf("%d block cache misses after a resident activation", misses)
				}
				if rep.ResidentBytes <= 0 || rep.ResidentBytes > rep.ResidentNeed {
					t.Errorf("resident %d bytes, need estimated %d", rep.ResidentBytes, rep.ResidentNeed)
				}
				t.Logf("resident: %d bytes for %d keys (need estimated %d), fill %v", rep.ResidentBytes, n, rep.ResidentNeed, rep.Fill)
			} else if misses == 0 {
				t.Error("no block cache miss without residency: the test proves nothing")
			}
		})
	}
}
