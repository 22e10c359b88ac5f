package index_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/internal/testwait"
	"github.com/grunndata/grunndata/registry"
)

func mustActive(t *testing.T, dir, want string) {
	t.Helper()
	got, err := index.ReadActive(dir)
	if err != nil || got != want {
		t.Fatalf("ACTIVE = %q, %v; want %q", got, err, want)
	}
}

func candidates(t *testing.T, dir string) []string {
	t.Helper()
	c, err := index.RollbackCandidates(dir)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestHistoryAndRollback(t *testing.T) {
	dir := t.TempDir()
	g1, g2, g3 := buildGen(t, dir, 10, "a"), buildGen(t, dir, 10, "b"), buildGen(t, dir, 10, "c")
	if c := candidates(t, dir); len(c) != 0 {
		t.Fatalf("candidates with nothing active: %v", c)
	}
	for _, g := range []string{g1, g2, g2, g3} { // re-activating the active one adds nothing
		if err := index.WriteActive(dir, g); err != nil {
			t.Fatal(err)
		}
	}
	h, _ := index.ReadHistory(dir)
	if len(h) != 3 || h[2].Generation != g3 || h[0].At.IsZero() {
		t.Fatalf("history %+v", h)
	}
	if c := candidates(t, dir); !slices.Equal(c, []string{g2, g1}) {
		t.Fatalf("candidates %v", c)
	}
	// Rollback walks back: g3 → g2 → g1, then nothing is left.
	if err := index.WriteRollbackIf(dir, g3, g2); err != nil {
		t.Fatal(err)
	}
	mustActive(t, dir, g2)
	if c := candidates(t, dir); !slices.Equal(c, []string{g1}) {
		t.Fatalf("after one rollback: %v", c)
	}
	if err := index.WriteRollbackIf(dir, g2, g1); err != nil {
		t.Fatal(err)
	}
	if c := candidates(t, dir); len(c) != 0 {
		t.Fatalf("after rolling back to the first: %v", c)
	}
	// A new activation makes the rolled-back-to generation the target.
	if err := index.WriteActive(dir, g3); err != nil {
		t.Fatal(err)
	}
	if c := candidates(t, dir); !slices.Equal(c, []string{g1}) {
		t.Fatalf("after re-activation: %v", c)
	}
	// A broken candidate is skipped.
	if err := index.WriteActive(dir, g2); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(index.SnapshotsDir(dir), g3, index.ManifestName))
	if c := candidates(t, dir); !slices.Equal(c, []string{g1}) {
		t.Fatalf("broken g3 not skipped: %v", c)
	}
}

// TestHistoryReconcile covers what a crash between writing HISTORY and
// ACTIVE leaves, and data directories from before the history.
func TestHistoryReconcile(t *testing.T) {
	dir := t.TempDir()
	g1, g2, g3 := buildGen(t, dir, 10, "a"), buildGen(t, dir, 10, "b"), buildGen(t, dir, 10, "c")
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Before any history: ACTIVE only; rollback falls back to older ids.
	write(index.ActiveName, g3+"\n")
	if c := candidates(t, dir); !slices.Equal(c, []string{g2, g1}) {
		t.Fatalf("no history: %v", c)
	}
	// A push of g3 reached HISTORY but not ACTIVE (still g2).
	write(index.HistoryName, g1+"\t2026-01-01T00:00:00Z\n"+g2+"\t2026-01-02T00:00:00Z\n"+g3+"\t2026-01-03T00:00:00Z\n")
	write(index.ActiveName, g2+"\n")
	h, _ := index.ReadHistory(dir)
	if len(h) != 2 || h[1].Generation != g2 {
		t.Fatalf("torn push: %+v", h)
	}
	// A damaged line costs a step, never the pointer.
	write(index.HistoryName, "garbage\n"+g1+"\tnot-a-time\n")
	if c := candidates(t, dir); !slices.Equal(c, []string{g1}) {
		t.Fatalf("damaged history: %v", c)
	}
}

func TestVerifyRefusesBadGenerations(t *testing.T) {
	cases := []struct {
		name  string
		spoil func(t *testing.T, gdir string)
		quick bool // the quick level catches it (else only the full one)
		want  string
	}{
		{"manifest-garbage", func(t *testing.T, g string) { write(t, g, index.ManifestName, "{") }, true, "parse manifest"},
		{"manifest-missing", func(t *testing.T, g string) { os.Remove(filepath.Join(g, index.ManifestName)) }, true, "read manifest"},
		{"format-version", func(t *testing.T, g string) { editManifest(t, g, `"formatVersion": 1`, `"formatVersion": 99`) }, true, "format version 99"},
		{"wrong-name", func(t *testing.T, g string) { editManifest(t, g, `"generation": "000002"`, `"generation": "000007"`) }, true, `names generation "000007"`},
		{"table-missing", func(t *testing.T, g string) { os.Remove(filepath.Join(g, firstSST(t, g))) }, true, "is missing"},
		{"table-truncated", func(t *testing.T, g string) { os.Truncate(filepath.Join(g, firstSST(t, g)), 100) }, true, "has 100 bytes, the manifest says"},
		{"table-flipped-byte", func(t *testing.T, g string) { flipByte(t, filepath.Join(g, firstSST(t, g))) }, false, "SHA-256"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			good := buildGen(t, dir, 500, "good")
			bad := buildGen(t, dir, 500, "bad")
			if good != "000001" || bad != "000002" {
				t.Fatal(good, bad)
			}
			if err := index.WriteActive(dir, good); err != nil {
				t.Fatal(err)
			}
			s, err := index.Open(index.DefaultConfig(dir))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			gdir := filepath.Join(index.SnapshotsDir(dir), bad)
			c.spoil(t, gdir)
			qerr := index.VerifyQuick(dir, bad)
			if (qerr != nil) != c.quick {
				t.Fatalf("quick verification: %v", qerr)
			}
			_, err = s.ActivateWith(bad, index.ActivateOptions{Durable: true})
			var ve *index.VerifyError
			if !errors.As(err, &ve) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("activate: %v; want a VerifyError saying %q", err, c.want)
			}
			t.Logf("refused: %v", err)
			if s.Active().ID() != good {
				t.Fatalf("active %s", s.Active().ID())
			}
			mustActive(t, dir, good)
			v, err := s.Acquire()
			if err != nil {
				t.Fatal(err)
			}
			defer v.Release()
			k := registry.SerialKey(registry.RegParty, 3)
			if got, err := v.Get(nil, &k); err != nil || string(got) != "good-3" {
				t.Fatalf("the good generation stopped serving: %q %v", got, err)
			}
		})
	}
}

func write(t *testing.T, dir, name, s string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func editManifest(t *testing.T, gdir, old, new string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(gdir, index.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	write(t, gdir, index.ManifestName, strings.Replace(string(b), old, new, 1))
}

func firstSST(t *testing.T, gdir string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(gdir, "*.sst"))
	if len(m) == 0 {
		t.Fatal("no tables")
	}
	return filepath.Base(m[0])
}

func flipByte(t *testing.T, name string) {
	t.Helper()
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	f.ReadAt(b, 40)
	b[0] ^= 0xff
	f.WriteAt(b, 40)
}

func TestPrune(t *testing.T) {
	dir := t.TempDir()
	var ids []string
	for i := 0; i < 6; i++ {
		ids = append(ids, buildGen(t, dir, 200, fmt.Sprint("g", i)))
	}
	// History 1, 3, 4; active 4 → rollback target 3. Newest is 6.
	for _, g := range []string{ids[0], ids[2], ids[3]} {
		if err := index.WriteActive(dir, g); err != nil {
			t.Fatal(err)
		}
	}
	before := index.DiskUsage(dir)
	res, err := index.Prune(dir, 1)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{ids[2], ids[3], ids[5]}; !slices.Equal(res.Kept, want) {
		t.Fatalf("kept %v, want %v (removed %v)", res.Kept, want, res.Removed)
	}
	if want := []string{ids[0], ids[1], ids[4]}; !slices.Equal(res.Removed, want) {
		t.Fatalf("removed %v", res.Removed)
	}
	after := index.DiskUsage(dir)
	if res.FreedBytes <= 0 || before-after != res.FreedBytes {
		t.Fatalf("freed %d, disk %d → %d", res.FreedBytes, before, after)
	}
	left, _ := index.ListGenerations(dir)
	if !slices.Equal(left, res.Kept) {
		t.Fatalf("left %v", left)
	}
	// A pruned generation in the history is no rollback candidate.
	if c := candidates(t, dir); !slices.Equal(c, []string{ids[2]}) {
		t.Fatalf("candidates %v", c)
	}
	// Keep 0 still keeps the active one, the rollback target and the newest.
	res, _ = index.Prune(dir, 0)
	if len(res.Removed) != 0 {
		t.Fatalf("removed %v", res.Removed)
	}
}

// TestBuildLockAndTemp: a live build (holding its lock) survives start-up
// cleanup in another opener; a dead one's .tmp is removed.
func TestBuildLockAndTemp(t *testing.T) {
	dir := t.TempDir()
	b, err := index.NewBuilder(index.DefaultBuilderConfig(dir))
	if err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(index.SnapshotsDir(dir), b.ID()+".tmp")
	if err := index.RemoveTemp(dir, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(tmp); err != nil {
		t.Fatalf("a live build was removed: %v", err)
	}
	// A second builder picks another id.
	b2, err := index.NewBuilder(index.DefaultBuilderConfig(dir))
	if err != nil {
		t.Fatal(err)
	}
	if b2.ID() == b.ID() {
		t.Fatal("two builds got the same id")
	}
	b2.Abort()
	k := registry.SerialKey(registry.RegParty, 1)
	b.Add(k.Bytes(), []byte("x"))
	if err := b.Commit(&index.Manifest{}); err != nil {
		t.Fatal(err)
	}
	// A dead build: a .tmp without a held lock, and a stray .del.
	dead := filepath.Join(index.SnapshotsDir(dir), "000009.tmp")
	os.MkdirAll(dead, 0o755)
	os.WriteFile(filepath.Join(dead, "000001.sst"), []byte("half"), 0o644)
	os.MkdirAll(filepath.Join(index.SnapshotsDir(dir), "000005.del"), 0o755)
	s, err := index.Open(index.DefaultConfig(dir))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	ents, _ := os.ReadDir(index.SnapshotsDir(dir))
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{b.ID()}) {
		t.Fatalf("left %v", names)
	}
	if err := index.VerifyFull(dir, b.ID()); err != nil {
		t.Fatal(err)
	}
}

// TestDeltaWhileParentOpen builds a delta on the active generation while a
// store serves it (Pebble's directory lock refuses a second open, so the
// builder copies without opening), activates it, and checks both.
func TestDeltaWhileParentOpen(t *testing.T) {
	dir := t.TempDir()
	g1 := buildGen(t, dir, 3000, "base")
	if err := index.WriteActive(dir, g1); err != nil {
		t.Fatal(err)
	}
	s, err := index.Open(index.DefaultConfig(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cfg := index.DefaultBuilderConfig(dir)
	b, err := index.NewBuilderFrom(cfg, g1)
	if err != nil {
		t.Fatal(err)
	}
	k5, k9 := registry.SerialKey(registry.RegParty, 5), registry.SerialKey(registry.RegParty, 9)
	err = b.Apply(func(set func(k, v []byte) error, del func(k []byte) error) error {
		if err := set(k5.Bytes(), []byte("delta-5")); err != nil {
			return err
		}
		return del(k9.Bytes())
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(&index.Manifest{}); err != nil {
		t.Fatal(err)
	}
	g2 := b.ID()
	m, _ := index.ReadManifest(filepath.Join(index.SnapshotsDir(dir), g2))
	if m.Parent != g1 || len(m.Files) == 0 {
		t.Fatalf("delta manifest %+v", m)
	}
	if _, err := s.ActivateWith(g2, index.ActivateOptions{Durable: true, FullVerify: true}); err != nil {
		t.Fatal(err)
	}
	v, _ := s.Acquire()
	defer v.Release()
	if got, _ := v.Get(nil, &k5); string(got) != "delta-5" {
		t.Fatalf("delta value %q", got)
	}
	if _, err := v.Get(nil, &k9); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("deleted key: %v", err)
	}
	k7 := registry.SerialKey(registry.RegParty, 7)
	if got, _ := v.Get(nil, &k7); string(got) != "base-seven" {
		t.Fatalf("inherited value %q", got)
	}
	for _, g := range []string{g1, g2} {
		if err := index.VerifyFull(dir, g); err != nil {
			t.Fatalf("after the delta: %v", err)
		}
	}
	infos, _ := index.List(dir)
	if infos[1].UniqueBytes >= infos[1].SizeBytes {
		t.Fatalf("the delta shares no tables with its parent: %+v", infos[1])
	}
}

// TestReactivateWaitsForDrain: re-activating a generation whose previous
// instance still has a reader waits for the reader (Pebble allows one open
// per directory) instead of failing. The order is what is asserted: the
// activation returns only after the reader released, however slow the
// machine.
func TestReactivateWaitsForDrain(t *testing.T) {
	dir := t.TempDir()
	g1, g2 := buildGen(t, dir, 100, "a"), buildGen(t, dir, 100, "b")
	index.WriteActive(dir, g1)
	s, err := index.Open(index.DefaultConfig(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	held, _ := s.Acquire()
	old := s.Active()
	if _, err := s.Activate(g2); err != nil {
		t.Fatal(err)
	}
	var released atomic.Bool
	type result struct {
		err             error
		releasedAtStart bool
		releasedAtEnd   bool
	}
	done := make(chan result, 1)
	go func() {
		r := result{releasedAtStart: released.Load()}
		_, r.err = s.Activate(g1)
		r.releasedAtEnd = released.Load()
		done <- r
	}()
	// Give the activation time to reach the wait (if it wrongly does not
	// wait, it returns meanwhile and the check below catches it; on a slow
	// machine the test only gets weaker, it cannot fail wrongly).
	select {
	case r := <-done:
		t.Fatalf("the activation returned (%v) while a reader held the previous instance", r.err)
	case <-time.After(100 * time.Millisecond):
	}
	select {
	case <-old.Closed():
		t.Fatal("the held generation closed under its reader")
	default:
	}
	released.Store(true)
	held.Release()
	r := testwait.Recv(t, testwait.Bound, done, "the activation did not return after the reader released")
	if r.err != nil || r.releasedAtStart || !r.releasedAtEnd {
		t.Fatalf("activation: %v; reader released before it began %v, when it returned %v", r.err, r.releasedAtStart, r.releasedAtEnd)
	}
	if gs := s.Generations(); len(gs) != 3 || !gs[0].Active || gs[0].Generation != g1 || gs[1].ClosedAt.IsZero() && gs[2].ClosedAt.IsZero() {
		t.Fatalf("stats %+v", gs)
	}
}

// TestSwapsReleaseFiles: hundreds of swaps leave only the active
// generation open, and the process's file descriptors do not grow.
func TestSwapsReleaseFiles(t *testing.T) {
	if _, err := os.ReadDir("/proc/self/fd"); err != nil {
		t.Skip("no /proc/self/fd")
	}
	dir := t.TempDir()
	g1, g2 := buildGen(t, dir, 3000, "a"), buildGen(t, dir, 3000, "b")
	index.WriteActive(dir, g1)
	s, err := index.Open(index.DefaultConfig(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	read := func() {
		v, _ := s.Acquire()
		k := registry.SerialKey(registry.RegParty, 2999)
		v.Get(nil, &k)
		v.Release()
	}
	fds := func() int { e, _ := os.ReadDir("/proc/self/fd"); return len(e) }
	read()
	base := fds()
	for i := 0; i < 200; i++ {
		if _, err := s.Activate([]string{g2, g1}[i%2]); err != nil {
			t.Fatal(err)
		}
		read()
	}
	testwait.For(t, testwait.Bound, func() bool { return s.OpenGenerations() == 1 },
		func() string { return fmt.Sprintf("%d generations open after the swaps", s.OpenGenerations()) })
	if n := fds(); n > base+4 {
		t.Fatalf("file descriptors grew from %d to %d over 200 swaps", base, n)
	}
	if s.Activations() != 201 {
		t.Fatalf("activations %d", s.Activations())
	}
}

// TestOpenFallsBackFromDamagedActive: when the generation ACTIVE names is
// damaged at start-up, the store serves the previous good one and leaves
// ACTIVE for the operator.
func TestOpenFallsBackFromDamagedActive(t *testing.T) {
	dir := t.TempDir()
	g1, g2 := buildGen(t, dir, 100, "a"), buildGen(t, dir, 100, "b")
	index.WriteActive(dir, g1)
	index.WriteActive(dir, g2)
	os.Remove(filepath.Join(index.SnapshotsDir(dir), g2, firstSST(t, filepath.Join(index.SnapshotsDir(dir), g2))))
	s, err := index.Open(index.DefaultConfig(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Active().ID() != g1 {
		t.Fatalf("serving %s", s.Active().ID())
	}
	mustActive(t, dir, g2)
}

// TestPruneRemovesDeadBuilds: prune also removes the half-built generations
// of killed loads and deltas (a .tmp whose build lock nobody holds), never
// one whose build is still running.
func TestPruneRemovesDeadBuilds(t *testing.T) {
	dir := t.TempDir()
	buildGen(t, dir, 50, "g")
	live, err := index.NewBuilder(index.DefaultBuilderConfig(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer live.Abort()
	snaps := index.SnapshotsDir(dir)
	// A killed delta leaves its directory and its (unheld) lock file; an
	// older crash may leave the directory alone.
	for _, dead := range []string{"000007.tmp", "000008.tmp"} {
		os.MkdirAll(filepath.Join(snaps, dead), 0o755)
		os.WriteFile(filepath.Join(snaps, dead, "000001.sst"), []byte("half"), 0o644)
	}
	os.WriteFile(filepath.Join(snaps, "000007.tmp.lock"), nil, 0o644)
	res, err := index.Prune(dir, 5)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"000007", "000008"}; !slices.Equal(res.RemovedTemp, want) {
		t.Fatalf("removed half-built %v, want %v", res.RemovedTemp, want)
	}
	for _, name := range []string{"000007.tmp", "000007.tmp.lock", "000008.tmp"} {
		if _, err := os.Stat(filepath.Join(snaps, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left after prune (%v)", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(snaps, live.ID()+".tmp")); err != nil {
		t.Fatalf("prune removed a running build: %v", err)
	}
}

// TestWriteActiveIf: the compare-and-set of the active pointer. Of several
// writers expecting the same generation exactly one wins; the others get
// ErrActiveChanged and change nothing, in ACTIVE or the history.
func TestWriteActiveIf(t *testing.T) {
	dir := t.TempDir()
	g1, g2, g3, g4 := buildGen(t, dir, 10, "a"), buildGen(t, dir, 10, "b"), buildGen(t, dir, 10, "c"), buildGen(t, dir, 10, "d")
	if err := index.WriteActiveIf(dir, g1, g2); !errors.Is(err, index.ErrActiveChanged) {
		t.Fatalf("expecting %s with nothing active: %v", g1, err)
	}
	if err := index.WriteActiveIf(dir, "", g1); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i, g := range []string{g2, g3, g4} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = index.WriteActiveIf(dir, g1, g)
		}()
	}
	wg.Wait()
	won := ""
	for i, err := range errs {
		switch {
		case err == nil && won == "":
			won = []string{g2, g3, g4}[i]
		case err == nil:
			t.Fatalf("two writers expecting %s both won: %v", g1, errs)
		case !errors.Is(err, index.ErrActiveChanged) || !strings.Contains(err.Error(), "not "+g1):
			t.Fatalf("loser: %v", err)
		}
	}
	mustActive(t, dir, won)
	h, _ := index.ReadHistory(dir)
	if len(h) != 2 || h[0].Generation != g1 || h[1].Generation != won {
		t.Fatalf("history %+v, want %s, %s", h, g1, won)
	}
	if err := index.WriteRollbackIf(dir, won, g1); err != nil {
		t.Fatal(err)
	}
	mustActive(t, dir, g1)
}
