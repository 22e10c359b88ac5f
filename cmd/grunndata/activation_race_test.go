package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/loader"
	"github.com/grunndata/grunndata/loader/loadertest"
	"github.com/grunndata/grunndata/loader/synth"
)

// raceFixture is, once per test binary, the small preset with one delta and
// a data directory holding generation 000001 (a load), 000002 (a second
// load, active; history 000001, 000002) and 000003 (built, not active).
// Each run of TestActivationRace copies the data directory.
var raceFixture = sync.OnceValues(func() (fixture struct{ src, data string }, err error) {
	dir, err := os.MkdirTemp("", "grunndata-activation-race-")
	if err != nil {
		return fixture, err
	}
	raceFixtureDir = dir
	fixture.src, fixture.data = filepath.Join(dir, "src"), filepath.Join(dir, "data")
	sc := synth.DefaultConfig()
	sc.Out, sc.Deltas, sc.DeltaChanges = fixture.src, 1, 20
	if _, err := synth.Generate(context.Background(), sc); err != nil {
		return fixture, err
	}
	for _, activate := range []bool{true, true, false} {
		lc := loader.DefaultConfig(fixture.src, fixture.data)
		lc.SortBytes, lc.Now, lc.Activate = 8<<20, loadertest.Now, activate
		if _, err := loader.Run(context.Background(), lc); err != nil {
			return fixture, err
		}
	}
	return fixture, nil
})

// raceFixtureDir is the fixture's directory once made, removed by TestMain.
var raceFixtureDir string

// lastDelta is how long the previous run's delta took: the other
// operations of the next run start at random moments within it.
var lastDelta atomic.Int64

// casOp is one activation that succeeded: it replaced expect with next.
type casOp struct{ who, expect, next string }

// TestActivationRace races a delta (built on the active generation 000002)
// against an admin activation of 000003 (Store.ActivateWith, durable, as
// POST /admin/snapshots/{gen}/activate does) and a CLI rollback (`grunndata
// snapshots rollback`, to 000001), each started at a random moment. Each
// either succeeds or fails with index.ErrActiveChanged; the successful ones
// chain (each replaced exactly what the one before wrote, starting from
// 000002), so no activation is lost or silently overwritten; ACTIVE and the
// history end on the last one; and a refused delta's generation stays on
// disk, complete.
func TestActivationRace(t *testing.T) {
	fx, err := raceFixture()
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(t.TempDir(), "data")
	if err := os.CopyFS(data, os.DirFS(fx.data)); err != nil {
		t.Fatal(err)
	}
	const parent, admin = "000002", "000003"
	mustActiveCLI(t, data, parent)
	s, err := index.Open(index.DefaultConfig(data))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	var (
		mu   sync.Mutex
		done []casOp
		wg   sync.WaitGroup
	)
	succeeded := func(op casOp) {
		mu.Lock()
		done = append(done, op)
		mu.Unlock()
	}
	window := time.Duration(lastDelta.Load())
	startAt := func() { time.Sleep(time.Duration(rand.Int64N(int64(window) + 1))) }

	var deltaRep loader.Report
	var deltaErr error
	wg.Add(3)
	go func() {
		defer wg.Done()
		start := time.Now()
		cfg := loader.DefaultConfig(filepath.Join(fx.src, "deltas", "0001"), data)
		cfg.SortBytes, cfg.Now = 8<<20, loadertest.Now
		deltaRep, deltaErr = loader.RunDelta(context.Background(), cfg)
		lastDelta.Store(int64(time.Since(start)))
		if deltaErr == nil {
			succeeded(casOp{"delta", deltaRep.Parent, deltaRep.Generation})
		}
	}()
	var adminErr error
	go func() {
		defer wg.Done()
		startAt()
		rep, err := s.ActivateWith(admin, index.ActivateOptions{Durable: true})
		if adminErr = err; err == nil {
			succeeded(casOp{"admin activation", rep.Replaced, admin})
		}
	}()
	var rbCode int
	var rbOut, rbErr string
	go func() {
		defer wg.Done()
		startAt()
		var o, e strings.Builder
		rbCode = run(context.Background(), []string{"snapshots", "rollback", "--data", data}, &o, &e)
		rbOut, rbErr = o.String(), e.String()
		if m := regexp.MustCompile(`rolled back from (\d{6}) to generation (\d{6})`).FindStringSubmatch(rbOut); rbCode == 0 && m != nil {
			succeeded(casOp{"CLI rollback", m[1], m[2]})
		}
	}()
	wg.Wait()

	// Every operation either succeeded or was refused because another one
	// changed the pointer first.
	if deltaErr != nil {
		if !errors.Is(deltaErr, index.ErrActiveChanged) {
			t.Fatalf("delta: %v", deltaErr)
		}
		if deltaRep.Generation == "" || deltaRep.Activated {
			t.Fatalf("refused delta: %+v", deltaRep)
		}
		if err := index.VerifyQuick(data, deltaRep.Generation); err != nil {
			t.Fatalf("the refused delta's generation %s is not kept: %v", deltaRep.Generation, err)
		}
	} else if !deltaRep.Activated || deltaRep.Parent == "" {
		// The parent is whatever was active when the delta began: 000002,
		// or 000001 when the rollback finished first. The chain below
		// checks that it replaced exactly that.
		t.Fatalf("delta: %+v", deltaRep)
	}
	if adminErr != nil && !errors.Is(adminErr, index.ErrActiveChanged) {
		t.Fatalf("admin activation: %v", adminErr)
	}
	switch {
	case rbCode == 0 && strings.Contains(rbOut, "rolled back from"):
	case rbCode == 1 && strings.Contains(rbErr, index.ErrActiveChanged.Error()):
	default:
		t.Fatalf("CLI rollback: exit %d\n%s%s", rbCode, rbOut, rbErr)
	}

	// The successful ones chain from the parent: each replaced what the one
	// before it wrote.
	chain, ok := order(parent, done)
	if !ok {
		t.Fatalf("activations do not chain from %s (one overwrote another it did not see): %+v", parent, done)
	}
	want := chain[len(chain)-1].next
	active, err := index.ReadActive(data)
	if err != nil || active != want {
		t.Fatalf("ACTIVE %s (%v), want %s after %+v", active, err, want, chain)
	}
	h, err := index.ReadHistory(data)
	if err != nil || len(h) == 0 || h[len(h)-1].Generation != want {
		t.Fatalf("history %+v (%v), want it to end on %s", h, err, want)
	}
	t.Logf("delta took %s; activations in order: %s", time.Duration(lastDelta.Load()).Round(time.Millisecond), describe(chain))
}

// order returns the operations in an order in which each one's expect is
// the generation the one before wrote (the first's is from), and whether
// there is one; at least one operation must have succeeded.
func order(from string, ops []casOp) ([]casOp, bool) {
	if len(ops) == 0 {
		return nil, false
	}
	var rec func(cur string, left, acc []casOp) ([]casOp, bool)
	rec = func(cur string, left, acc []casOp) ([]casOp, bool) {
		if len(left) == 0 {
			return acc, true
		}
		for i, op := range left {
			if op.expect != cur {
				continue
			}
			rest := append(append([]casOp{}, left[:i]...), left[i+1:]...)
			if r, ok := rec(op.next, rest, append(acc, op)); ok {
				return r, true
			}
		}
		return nil, false
	}
	return rec(from, ops, nil)
}

func describe(ops []casOp) string {
	var b strings.Builder
	for i, op := range ops {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %s→%s", op.who, op.expect, op.next)
	}
	return b.String()
}
