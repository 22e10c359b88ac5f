package index_test

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/registry"
)

// The crash test runs a child process (this test binary, re-executed) that
// loads, applies deltas, activates, rolls back and prunes generations in a
// loop, kills it with SIGKILL at a random moment, and checks what a restart
// finds. The child logs "begin GEN" before it makes GEN active and "done
// GEN" after, so the parent knows which generations may be active.

const crashEnv = "GRUNNDATA_CRASH_CHILD"

// crashValue is the self-checking value of key i in a generation whose
// values carry tag t: a torn or mixed generation cannot pass.
func crashValue(t uint64, i int) []byte {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%d", t, i)
	return fmt.Appendf(nil, "%d/%d/%x", t, i, h.Sum64())
}

func checkValue(k, v []byte) error {
	parts := strings.Split(string(v), "/")
	if len(parts) != 3 {
		return fmt.Errorf("value %q", v)
	}
	t, _ := strconv.ParseUint(parts[0], 10, 64)
	i, _ := strconv.Atoi(parts[1])
	if want := registry.SerialKey(registry.RegParty, uint64(i)); string(want.Bytes()) != string(k) {
		return fmt.Errorf("value %q under key %x", v, k)
	}
	if string(crashValue(t, i)) != string(v) {
		return fmt.Errorf("value %q does not check", v)
	}
	return nil
}

var countKey = registry.RawKey([]byte{byte(registry.RegMeta), 'n'})

func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashEnv)
	if dir == "" {
		t.Skip("helper process of TestCrashSafety")
	}
	seed, _ := strconv.ParseUint(os.Getenv(crashEnv+"_SEED"), 10, 64)
	r := rand.New(rand.NewPCG(seed, 7))
	logf, err := os.OpenFile(filepath.Join(dir, "crash.log"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	say := func(format string, args ...any) { fmt.Fprintf(logf, format+"\n", args...) }
	cfg := index.DefaultConfig(dir)
	cfg.BlockCacheBytes = 4 << 20
	s, err := index.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	bcfg := index.DefaultBuilderConfig(dir)
	bcfg.SortBytes, bcfg.TableBytes = 16<<10, 32<<10
	var active string
	activate := func(id string) {
		say("begin %s", id)
		if r.IntN(2) == 0 {
			if _, err := s.ActivateWith(id, index.ActivateOptions{Durable: true}); err != nil {
				t.Fatal(err)
			}
		} else if err := index.WriteActiveIf(dir, active, id); err != nil {
			t.Fatal(err)
		}
		say("done %s", id)
	}
	for {
		active, _ = index.ReadActive(dir)
		if g := s.Active(); active != "" && (g == nil || g.ID() != active) {
			if _, err := s.Activate(active); err != nil { // as a server following ACTIVE
				t.Fatal(err)
			}
		}
		switch op := r.IntN(10); {
		case op < 4 || active == "": // a full load
			b, err := index.NewBuilder(bcfg)
			if err != nil {
				t.Fatal(err)
			}
			tag, n := r.Uint64()>>1, 500+r.IntN(3000)
			for i := n - 1; i >= 0; i-- {
				k := registry.SerialKey(registry.RegParty, uint64(i))
				b.Add(k.Bytes(), crashValue(tag, i))
			}
			b.Add(countKey.Bytes(), binary.BigEndian.AppendUint64(nil, uint64(n)))
			if err := b.Commit(&index.Manifest{}); err != nil {
				t.Fatal(err)
			}
			activate(b.ID())
		case op < 7: // a delta on the active generation: rewrite some keys, add some
			b, err := index.NewBuilderFrom(bcfg, active)
			if err != nil {
				t.Fatal(err)
			}
			cv, err := b.Get(nil, &countKey)
			if err != nil {
				t.Fatal(err)
			}
			n := int(binary.BigEndian.Uint64(cv))
			tag, grow := r.Uint64()>>1, r.IntN(100)
			err = b.Apply(func(set func(k, v []byte) error, _ func(k []byte) error) error {
				for j := 0; j < 200; j++ {
					i := r.IntN(n + grow)
					k := registry.SerialKey(registry.RegParty, uint64(i))
					set(k.Bytes(), crashValue(tag, i))
				}
				for i := n; i < n+grow; i++ {
					k := registry.SerialKey(registry.RegParty, uint64(i))
					set(k.Bytes(), crashValue(tag, i))
				}
				return set(countKey.Bytes(), binary.BigEndian.AppendUint64(nil, uint64(n+grow)))
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Commit(&index.Manifest{}); err != nil {
				t.Fatal(err)
			}
			activate(b.ID())
		case op < 9: // a rollback
			c, _ := index.RollbackCandidates(dir)
			if len(c) == 0 {
				continue
			}
			say("begin %s", c[0])
			if r.IntN(2) == 0 {
				if _, err := s.Rollback(index.ActivateOptions{}); err != nil {
					t.Fatal(err)
				}
			} else if err := index.WriteRollbackIf(dir, active, c[0]); err != nil {
				t.Fatal(err)
			}
			say("done %s", c[0])
		default:
			if _, err := index.Prune(dir, 2, active); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestCrashSafety kills the child at random points, many times, and checks
// after each kill that a restart serves the last fully activated generation
// (or the one being activated), intact; that no half-built or half-pruned
// generation survives start-up; and that every complete generation verifies.
func TestCrashSafety(t *testing.T) {
	budget := 20 * time.Second
	if testing.Short() {
		budget = 4 * time.Second
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	start := time.Now()
	var iters, activations, midActivation, midBuild, midPrune int
	// At least 10 kills however slow the machine; then more until the
	// budget is spent.
	for (iters < 10 || time.Since(start) < budget) && iters < 300 {
		iters++
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnv+"="+dir, fmt.Sprintf("%s_SEED=%d", crashEnv, rng.Uint64()))
		var stderr strings.Builder
		cmd.Stderr, cmd.Stdout = &stderr, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(20+rng.IntN(400)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("iteration %d: the child ended by itself (%v):\n%s", iters, err, stderr.String())
		}
		done, begun := lastActivation(t, dir)
		if begun != "" {
			midActivation++
		}
		ents, _ := os.ReadDir(index.SnapshotsDir(dir))
		for _, e := range ents {
			if e.IsDir() && strings.HasSuffix(e.Name(), ".tmp") {
				midBuild++
			}
			if strings.HasSuffix(e.Name(), ".del") {
				midPrune++
			}
		}
		n := checkAfterCrash(t, dir, done, begun)
		activations += n
		// What the restart serves is now the known state: an activation the
		// child finished without logging "done" (killed right after it) must
		// not make the next iteration's check expect an older generation.
		if active, _ := index.ReadActive(dir); active != "" {
			f, err := os.OpenFile(filepath.Join(dir, "crash.log"), os.O_APPEND|os.O_WRONLY, 0o644)
			if err == nil {
				fmt.Fprintf(f, "done %s\n", active)
				f.Close()
			}
		}
	}
	t.Logf("%d kills in %s; %d generations checked; kills mid-activation %d, mid-build %d, mid-prune %d",
		iters, time.Since(start).Round(time.Millisecond), activations, midActivation, midBuild, midPrune)
}

// lastActivation reads the child's log: the last generation fully
// activated, and the one being activated when it died ("" if none).
func lastActivation(t *testing.T, dir string) (done, begun string) {
	f, err := os.Open(filepath.Join(dir, "crash.log"))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", ""
		}
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		what, id, _ := strings.Cut(sc.Text(), " ")
		switch what {
		case "begin":
			begun = id
		case "done":
			done, begun = id, ""
		}
	}
	return done, begun
}

func checkAfterCrash(t *testing.T, dir, done, begun string) int {
	t.Helper()
	s, err := index.Open(index.DefaultConfig(dir))
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	defer s.Close()
	ents, _ := os.ReadDir(index.SnapshotsDir(dir))
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".tmp") || strings.HasSuffix(e.Name(), ".del") {
			t.Fatalf("start-up left %s", e.Name())
		}
	}
	active, _ := index.ReadActive(dir)
	if active != done && active != begun {
		t.Fatalf("ACTIVE is %q; the last activation done was %q, in flight %q", active, done, begun)
	}
	if active == "" { // nothing activated yet, or the first activation was cut before ACTIVE was written
		return 0
	}
	g := s.Active()
	if g == nil || g.ID() != active {
		t.Fatalf("serving %v, ACTIVE %s", g, active)
	}
	h, _ := index.ReadHistory(dir)
	if len(h) == 0 || h[len(h)-1].Generation != active {
		t.Fatalf("history %+v, active %s", h, active)
	}
	ids, _ := index.ListGenerations(dir)
	for _, id := range ids {
		if err := index.VerifyFull(dir, id); err != nil {
			t.Fatalf("a complete generation does not verify after a crash: %v", err)
		}
	}
	// The active generation is whole: its count of keys, each value checks.
	v, err := s.Acquire()
	if err != nil {
		t.Fatal(err)
	}
	defer v.Release()
	cv, err := v.Get(nil, &countKey)
	if err != nil {
		t.Fatalf("generation %s has no count: %v", active, err)
	}
	want, n := int(binary.BigEndian.Uint64(cv)), 0
	err = v.Scan([]byte{byte(registry.RegParty)}, nil, func(k, val []byte) bool {
		if err := checkValue(k, val); err != nil {
			t.Errorf("generation %s: %v", active, err)
			return false
		}
		n++
		return true
	})
	if err != nil || n != want {
		t.Fatalf("generation %s holds %d keys, its count says %d (%v)", active, n, want, err)
	}
	return len(ids)
}
