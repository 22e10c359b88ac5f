package fleet_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/index/fleet"
	"github.com/grunndata/grunndata/internal/testwait"
	"github.com/grunndata/grunndata/registry"
)

// startNATS runs an embedded single-node JetStream on a random loopback port.
func startNATS(t testing.TB) *fleet.Server {
	t.Helper()
	s, err := fleet.StartServer(fleet.ServerConfig{StoreDir: t.TempDir(), Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Shutdown)
	return s
}

func connect(t testing.TB, url string) *fleet.Client {
	t.Helper()
	c, err := fleet.Connect(fleet.Config{URL: url, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// buildGen builds a generation of n parties tagged tag in dir (small
// tables, so it has several files).
func buildGen(t testing.TB, dir string, n int, tag string) string {
	t.Helper()
	cfg := index.DefaultBuilderConfig(dir)
	cfg.SortBytes, cfg.TableBytes = 64<<10, 32<<10
	b, err := index.NewBuilder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		k := registry.SerialKey(registry.RegParty, uint64(i))
		if err := b.Add(k.Bytes(), []byte(fmt.Sprintf("%s-%d-%s", tag, i, strings.Repeat("x", 100)))); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Commit(&index.Manifest{}); err != nil {
		t.Fatal(err)
	}
	if err := index.WriteActive(dir, b.ID()); err != nil {
		t.Fatal(err)
	}
	return b.ID()
}

func TestPublishFetchActivateRollback(t *testing.T) {
	ctx := context.Background()
	ns := startNATS(t)
	c := connect(t, ns.ClientURL())
	prod := t.TempDir()
	g1 := buildGen(t, prod, 5000, "one")
	rep, err := c.Publish(ctx, prod, g1, true, "test")
	if err != nil {
		t.Fatal(err)
	}
	m, err := index.ReadManifest(filepath.Join(index.SnapshotsDir(prod), g1))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Files != len(m.Files) || rep.Uploaded+rep.Skipped != len(m.Files) || rep.Uploaded == 0 || rep.Pointer.Generation != g1 || len(m.Files) < 2 {
		t.Fatalf("publish report %+v (manifest has %d files)", rep, len(m.Files))
	}
	// Publishing again uploads nothing (content-addressed).
	if rep, err = c.Publish(ctx, prod, g1, false, "test"); err != nil || rep.Uploaded != 0 || rep.Skipped != rep.Files {
		t.Fatalf("republish: %+v %v", rep, err)
	}

	replica := t.TempDir()
	fr, err := c.Fetch(ctx, replica, g1, fleet.FetchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if fr.Downloaded+fr.Linked+fr.Resumed != len(m.Files) || fr.Downloaded == 0 || fr.Local {
		t.Fatalf("fetch report %+v", fr)
	}
	if err := index.VerifyFull(replica, g1); err != nil {
		t.Fatal(err)
	}
	if fr, err = c.Fetch(ctx, replica, g1, fleet.FetchOptions{}); err != nil || !fr.Local {
		t.Fatalf("second fetch: %+v %v", fr, err)
	}

	g2 := buildGen(t, prod, 6000, "two")
	if _, err := c.Publish(ctx, prod, g2, true, "test"); err != nil {
		t.Fatal(err)
	}
	p, err := c.Pointer(ctx)
	if err != nil || p.Generation != g2 || strings.Join(p.History, ",") != g1+","+g2 {
		t.Fatalf("pointer %+v %v", p, err)
	}
	if gens, err := c.Generations(ctx); err != nil || strings.Join(gens, ",") != g1+","+g2 {
		t.Fatalf("generations %v %v", gens, err)
	}
	if p, err = c.Rollback(ctx, "test"); err != nil || p.Generation != g1 {
		t.Fatalf("rollback %+v %v", p, err)
	}
	if _, err = c.Rollback(ctx, "test"); !errors.Is(err, fleet.ErrNoFleetRollback) {
		t.Fatalf("second rollback: %v", err)
	}
	if _, err := c.Activate(ctx, "000099", "test"); !errors.Is(err, fleet.ErrNotPublished) {
		t.Fatalf("activate an unpublished generation: %v", err)
	}
	if got := fleet.Lag([]string{g1, g2}, g1, g2); got != 1 {
		t.Fatalf("lag %d", got)
	}
	if got := fleet.Lag([]string{g1, g2}, "", g2); got != 2 {
		t.Fatalf("lag from nothing %d", got)
	}
}

// TestFetchResumesAndRefusesBadFiles: a fetch interrupted after some files
// resumes after them; a file whose object-store copy does not match the
// manifest is refused and the generation never completes.
func TestFetchResumesAndRefusesBadFiles(t *testing.T) {
	ctx := context.Background()
	ns := startNATS(t)
	c := connect(t, ns.ClientURL())
	prod := t.TempDir()
	g1 := buildGen(t, prod, 5000, "one")
	if _, err := c.Publish(ctx, prod, g1, true, "test"); err != nil {
		t.Fatal(err)
	}
	m, _ := index.ReadManifest(filepath.Join(index.SnapshotsDir(prod), g1))

	// Interrupt after the first file.
	replica := t.TempDir()
	cctx, cancel := context.WithCancel(ctx)
	_, err := c.Fetch(cctx, replica, g1, fleet.FetchOptions{Progress: func(p fleet.FetchProgress) {
		if p.Done == 1 {
			cancel()
		}
	}})
	if err == nil {
		t.Fatal("the interrupted fetch succeeded")
	}
	if _, err := os.Stat(filepath.Join(index.SnapshotsDir(replica), g1)); !os.IsNotExist(err) {
		t.Fatalf("an interrupted fetch left a complete-looking generation: %v", err)
	}
	if ids, _ := index.ListGenerations(replica); len(ids) != 0 {
		t.Fatalf("generations %v", ids)
	}
	fr, err := c.Fetch(ctx, replica, g1, fleet.FetchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if fr.Resumed < 1 || fr.Resumed+fr.Downloaded != len(m.Files) {
		t.Fatalf("resume report %+v", fr)
	}

	// A generation whose object-store file has the wrong content.
	g2 := buildGen(t, prod, 7000, "two")
	if _, err := c.Publish(ctx, prod, g2, false, "test"); err != nil {
		t.Fatal(err)
	}
	m2, _ := index.ReadManifest(filepath.Join(index.SnapshotsDir(prod), g2))
	var victim index.FileSum
	for _, f := range m2.Files {
		if strings.HasSuffix(f.Name, ".sst") {
			victim = f
		}
	}
	corruptObject(t, ns.ClientURL(), victim.SHA256, bytes.Repeat([]byte{'z'}, int(victim.Size)))
	other := t.TempDir()
	_, err = c.Fetch(ctx, other, g2, fleet.FetchOptions{})
	if err == nil || !strings.Contains(err.Error(), victim.Name) {
		t.Fatalf("fetch of a corrupt file: %v", err)
	}
	if ids, _ := index.ListGenerations(other); len(ids) != 0 {
		t.Fatalf("a corrupt fetch completed: %v", ids)
	}
	// The producer refuses a file changed on disk after its manifest.
	g3 := buildGen(t, prod, 3000, "three")
	m3, _ := index.ReadManifest(filepath.Join(index.SnapshotsDir(prod), g3))
	var changed index.FileSum
	for _, f := range m3.Files {
		if strings.HasSuffix(f.Name, ".sst") {
			changed = f
		}
	}
	p := filepath.Join(index.SnapshotsDir(prod), g3, changed.Name)
	b, _ := os.ReadFile(p)
	b[len(b)/2] ^= 0xff
	os.WriteFile(p, b, 0o644)
	if _, err := c.Publish(ctx, prod, g3, true, "test"); err == nil || !strings.Contains(err.Error(), changed.Name) {
		t.Fatalf("publish of a changed file: %v", err)
	}
	// Another producer's data directory reuses a published id.
	prod2 := t.TempDir()
	if g := buildGen(t, prod2, 3000, "other"); g != g1 {
		t.Fatalf("built %s", g)
	}
	if _, err := c.Publish(ctx, prod2, g1, true, "test"); err == nil || !strings.Contains(err.Error(), "already published with other files") {
		t.Fatalf("publish of another generation under a published id: %v", err)
	}
	if p, _ := c.Pointer(ctx); p.Generation != g1 {
		t.Fatalf("the pointer moved to %s", p.Generation)
	}
}

// corruptObject replaces the object of sha with data (an operator's mistake
// or a bug upstream: the object store's own digest then matches the wrong
// bytes; only the manifest's SHA-256 catches it).
func corruptObject(t *testing.T, url, sha string, data []byte) {
	t.Helper()
	if err := fleet.PutRawObject(context.Background(), url, "sha256/"+sha, data); err != nil {
		t.Fatal(err)
	}
}

func TestAINUniqueAcrossStores(t *testing.T) {
	ns := startNATS(t)
	var stores []*fleet.AINStore
	for i := 0; i < 3; i++ {
		s := fleet.OpenAINStore(connect(t, ns.ClientURL()), nil)
		t.Cleanup(func() { s.Close() })
		stores = append(stores, s)
	}
	const per = 300
	var mu sync.Mutex
	seen := map[registry.NIN]bool{}
	var wg sync.WaitGroup
	for _, s := range stores {
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < per/4; i++ {
					n, val, err := s.Allocate(func(n registry.NIN) []byte { return []byte(`{"nin":"` + string(n[:]) + `"}`) }, nil)
					if err != nil {
						t.Error(err)
						return
					}
					if _, info, err := registry.ParseNIN(n[:]); err != nil || info.Kind != registry.NINAin || len(val) == 0 {
						t.Errorf("allocated %s: %v", n[:], err)
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
	}
	wg.Wait()
	if len(seen) != 3*per {
		t.Fatalf("%d AINs", len(seen))
	}
	ctx, cancel := context.WithTimeout(context.Background(), testwait.Bound)
	defer cancel()
	for _, s := range stores {
		if err := s.WaitSynced(ctx); err != nil {
			t.Fatal(err)
		}
		testwait.For(t, testwait.Bound, func() bool { return s.Len() >= len(seen) },
			func() string { return fmt.Sprintf("a store holds %d of %d AINs", s.Len(), len(seen)) })
		for n := range seen {
			k := registry.PersonKey(n)
			if _, err := s.Get(nil, &k); err != nil {
				t.Fatalf("AIN not found on a store: %v", err)
			}
		}
	}
	// A store opened later learns them all from the bucket.
	late := fleet.OpenAINStore(connect(t, ns.ClientURL()), nil)
	defer late.Close()
	if err := late.WaitSynced(ctx); err != nil || late.Len() != len(seen) {
		t.Fatalf("late store: %d AINs, %v", late.Len(), err)
	}
}

func TestUnreachableNATS(t *testing.T) {
	_, err := fleet.Connect(fleet.Config{URL: "nats://127.0.0.1:1"})
	if err == nil || !strings.Contains(err.Error(), "nats://127.0.0.1:1 does not answer") {
		t.Fatalf("connect to nothing: %v", err)
	}
}

// BenchmarkAllocate compares AIN allocation in the fleet's KV bucket (an
// embedded single-node JetStream, file storage) with the single-node
// Pebble store, both with 8 concurrent allocators per CPU.
func BenchmarkAllocate(b *testing.B) {
	build := func(n registry.NIN) []byte { return []byte(`{"nin":"` + string(n[:]) + `","name":{"given":"Ukjent"}}`) }
	b.Run("fleet", func(b *testing.B) {
		ns := startNATS(b)
		s := fleet.OpenAINStore(connect(b, ns.ClientURL()), nil)
		defer s.Close()
		b.SetParallelism(8)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, _, err := s.Allocate(build, nil); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "allocs/s")
	})
	b.Run("single-node", func(b *testing.B) {
		s, err := index.OpenAINStore(b.TempDir(), nil)
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		b.SetParallelism(8)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, _, err := s.Allocate(build, nil); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "allocs/s")
	})
}
