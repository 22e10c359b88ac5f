package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/internal/testwait"
	"github.com/grunndata/grunndata/registry"
	"github.com/grunndata/grunndata/registry/ops"
)

// numParties is how many communication parties each test generation holds.
const numParties = 300

// partyBody is what generation tag serves for HER-id her: every generation
// answers every id, each differently.
func partyBody(tag string, her int) string {
	return fmt.Sprintf(`{"herId":%d,"type":"Organization","name":"Party %d of %s","active":true,"generation":"%s"}`, her, her, tag, tag)
}

// buildPartyGen builds a generation holding numParties parties whose bodies
// name tag, with the given manifest, and returns its id.
func buildPartyGen(t testing.TB, data, tag string, m *index.Manifest) string {
	t.Helper()
	cfg := index.DefaultBuilderConfig(data)
	cfg.SortBytes = 32 << 10
	b, err := index.NewBuilder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for her := 1; her <= numParties; her++ {
		k := registry.SerialKey(registry.RegParty, uint64(her))
		if err := b.Add(k.Bytes(), registry.AppendValue(nil, 0, []byte(partyBody(tag, her)), nil)); err != nil {
			t.Fatal(err)
		}
	}
	if m == nil {
		m = &index.Manifest{}
	}
	if err := b.Commit(m); err != nil {
		t.Fatal(err)
	}
	return b.ID()
}

// partyGens builds n generations tagged with their ids and activates the
// first.
func partyGens(t testing.TB, data string, n int) []string {
	t.Helper()
	var ids []string
	for i := 1; i <= n; i++ {
		ids = append(ids, buildPartyGen(t, data, fmt.Sprintf("%06d", i), &index.Manifest{
			Sources:       []index.SourceFile{{Path: "ar.jsonl.gz", Size: int64(1000 * i), SHA256: strings.Repeat(fmt.Sprint(i), 64)}},
			Registers:     map[string]index.RegisterStats{"communication-parties": {Records: numParties, Rejects: int64(i)}},
			FeedPositions: map[string]int64{"brreg": int64(100 * i)},
		}))
	}
	if err := index.WriteActive(data, ids[0]); err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestZeroFailedRequestsDuringActivation hammers the API from several
// goroutines while the admin API activates generations in a loop, with
// warm-up on, and checks every answer: no error, no body that is not
// exactly what one generation holds for that id, and that generation was
// active at some moment between the request and its response.
func TestZeroFailedRequestsDuringActivation(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	gens := partyGens(t, data, 3)
	m := MustRunMain(t, data, func(c *ServeConfig) {
		c.Warm = 64
		c.Cache.TrackSampleEvery = 1
	})
	api, admin := "http://"+m.APIAddr(), "http://"+m.AdminAddr()

	// activeAt[k] is the generation the k-th activation made active
	// (recorded before the activation, so a reader never finds it missing).
	var logMu sync.Mutex
	activeAt := map[int64]string{m.store.Activations(): gens[0]}
	allowed := func(from, to int64) map[string]bool {
		logMu.Lock()
		defer logMu.Unlock()
		out := map[string]bool{}
		for k := from; k <= to+1; k++ {
			if g, ok := activeAt[k]; ok {
				out[g] = true
			}
		}
		return out
	}

	const workers = 6
	var (
		stop                           = make(chan struct{})
		wg                             sync.WaitGroup
		requests, failures, mismatches atomic.Int64
		firstProblem                   atomic.Value
	)
	problem := func(format string, args ...any) {
		firstProblem.CompareAndSwap(nil, fmt.Sprintf(format, args...))
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}, Timeout: 10 * time.Second}
			r := rand.New(rand.NewPCG(uint64(w), 9))
			for {
				select {
				case <-stop:
					return
				default:
				}
				her := 1 + r.IntN(numParties)
				if r.IntN(4) > 0 {
					her = 1 + r.IntN(40) // a hot set, so warm-up has something to warm
				}
				a0 := m.store.Activations()
				res, err := client.Get(fmt.Sprintf("%s/v1/communication-parties/%d", api, her))
				if err != nil {
					failures.Add(1)
					problem("request: %v", err)
					continue
				}
				body, err := io.ReadAll(res.Body)
				res.Body.Close()
				a1 := m.store.Activations()
				requests.Add(1)
				if err != nil || res.StatusCode != 200 {
					failures.Add(1)
					problem("status %d: %s %v", res.StatusCode, body, err)
					continue
				}
				var got struct{ Generation string }
				json.Unmarshal(body, &got)
				ok := allowed(a0, a1)
				if string(body) != partyBody(got.Generation, her) || !ok[got.Generation] {
					mismatches.Add(1)
					problem("HER-id %d: %s; generations active meanwhile: %v", her, body, ok)
				}
			}
		}(w)
	}

	// At least 100 swaps however slow the machine, up to 300 while under
	// a minute.
	const minSwaps, swaps = 100, 300
	client := &http.Client{Timeout: 30 * time.Second}
	start := time.Now()
	var worst time.Duration
	done := 0
	for i := 1; i <= swaps && (i <= minSwaps || time.Since(start) < 60*time.Second); i++ {
		target := gens[i%len(gens)]
		logMu.Lock()
		activeAt[m.store.Activations()+1] = target
		logMu.Unlock()
		t0 := time.Now()
		res, err := client.Post(admin+"/admin/snapshots/"+target+"/activate", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("activate %s: %d %s", target, res.StatusCode, body)
		}
		worst = max(worst, time.Since(t0))
		done++
	}
	elapsed := time.Since(start)
	time.Sleep(20 * time.Millisecond)
	close(stop)
	wg.Wait()
	st := m.store.Generations()
	t.Logf("%d swaps in %s (slowest activation %s) under %d requests from %d goroutines: %d failed, %d mismatched; warmed %d values",
		done, elapsed.Round(time.Millisecond), worst.Round(time.Microsecond), requests.Load(), workers,
		failures.Load(), mismatches.Load(), m.cache.Metrics().Warmed)
	if p := firstProblem.Load(); p != nil {
		t.Errorf("first problem: %s", p)
	}
	if failures.Load() != 0 || mismatches.Load() != 0 {
		t.Fatalf("%d failed and %d mismatched requests during activations", failures.Load(), mismatches.Load())
	}
	if done < minSwaps || requests.Load() < int64(done) {
		t.Fatalf("only %d swaps and %d requests", done, requests.Load())
	}
	if m.cache.Metrics().Warmed == 0 {
		t.Fatal("warm-up read nothing")
	}
	if active, _ := index.ReadActive(data); active != gens[done%len(gens)] || st[0].Generation != active {
		t.Fatalf("ACTIVE %s, serving %s, want %s", active, st[0].Generation, gens[done%len(gens)])
	}
	testwait.For(t, testwait.Bound, func() bool { return m.store.OpenGenerations() == 1 },
		func() string {
			return fmt.Sprintf("%d generations still open after the swaps", m.store.OpenGenerations())
		})
}

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(context.Background(), args, &o, &e)
	return code, o.String(), e.String()
}

func TestSnapshotsCLI(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	gens := partyGens(t, data, 4)
	for _, g := range gens[1:3] {
		if code, _, e := runCLI(t, "snapshots", "activate", g, "--data", data); code != 0 {
			t.Fatalf("activate %s: %s", g, e)
		}
	}
	// History 1, 2, 3: active 3, rollback target 2.
	code, out, _ := runCLI(t, "snapshots", "list", "--data", data, "--json")
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); code != 0 || err != nil || len(list) != 4 {
		t.Fatalf("list --json: %d %v %s", code, err, out)
	}
	for i, g := range list {
		if g["generation"] != gens[i] || g["active"] != (i == 2) || g["rollbackTarget"] != (i == 1) {
			t.Fatalf("entry %d: %v", i, g)
		}
		if g["sizeBytes"].(float64) <= 0 || g["createdAt"] == nil || len(g["sources"].([]any)) != 1 ||
			g["rejects"].(float64) != float64(i+1) || g["feedPositions"] == nil {
			t.Fatalf("entry %d lacks details: %v", i, g)
		}
	}
	_, out, _ = runCLI(t, "snapshots", "list", "--data", data)
	states := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 1 {
			states[f[0]] = f[1]
		}
	}
	if states[gens[2]] != "active" || states[gens[1]] != "rollback" || states[gens[0]] != "-" {
		t.Fatalf("list states %v:\n%s", states, out)
	}
	for _, want := range []string{"GENERATION", "1 files sha256:", "brreg=300", "disk:"} {
		if !strings.Contains(out, want) {
			t.Fatalf("list lacks %q:\n%s", want, out)
		}
	}

	// Rollback walks back.
	if code, out, e := runCLI(t, "snapshots", "rollback", "--data", data); code != 0 || !strings.Contains(out, "to generation "+gens[1]) {
		t.Fatalf("rollback: %d %s %s", code, out, e)
	}
	if code, _, _ := runCLI(t, "snapshots", "rollback", "--data", data); code != 0 {
		t.Fatal("second rollback")
	}
	mustActiveCLI(t, data, gens[0])
	if code, _, e := runCLI(t, "snapshots", "rollback", "--data", data); code != 1 || !strings.Contains(e, "no earlier generation") {
		t.Fatalf("rollback past the first: %d %s", code, e)
	}

	// A damaged generation is refused with the reason; ACTIVE stays.
	sst, _ := filepath.Glob(filepath.Join(index.SnapshotsDir(data), gens[3], "*.sst"))
	os.Truncate(sst[0], 10)
	code, _, e := runCLI(t, "snapshots", "activate", gens[3], "--data", data)
	if code != 1 || !strings.Contains(e, "has 10 bytes, the manifest says") || !strings.Contains(e, "keeps serving") {
		t.Fatalf("damaged activate: %d %s", code, e)
	}
	mustActiveCLI(t, data, gens[0])
	if code, _, e := runCLI(t, "snapshots", "activate", "12ab", "--data", data); code != 1 || !strings.Contains(e, "not a generation id") {
		t.Fatalf("bad id: %d %s", code, e)
	}
	if code, _, e := runCLI(t, "snapshots", "activate", "000042", "--data", data); code != 1 || !strings.Contains(e, "no such generation") {
		t.Fatalf("unknown id: %d %s", code, e)
	}
	code, out, _ = runCLI(t, "snapshots", "verify", "--data", data, "--full")
	if code != 1 || strings.Count(out, "\tok\t") != 3 || !strings.Contains(out, gens[3]+"\tFAILED") {
		t.Fatalf("verify: %d\n%s", code, out)
	}

	// Prune keeps the active one, the rollback target and the newest.
	runCLI(t, "snapshots", "activate", gens[2], "--data", data)
	code, out, e = runCLI(t, "snapshots", "prune", "--keep", "0", "--data", data)
	if code != 0 || !strings.Contains(out, "removed "+gens[1]+";") || !strings.Contains(out, "kept "+gens[0]+" "+gens[2]+" "+gens[3]) {
		t.Fatalf("prune: %d %s %s", code, out, e)
	}
	if code, _, _ := runCLI(t, "snapshots", "prune", "--data", data); code != 2 {
		t.Fatal("prune without --keep")
	}
}

func mustActiveCLI(t *testing.T, data, want string) {
	t.Helper()
	if got, _ := index.ReadActive(data); got != want {
		t.Fatalf("ACTIVE %s, want %s", got, want)
	}
}

// TestAdminSnapshots drives the admin API of a running daemon: list,
// activate (durable and swapped at once), a refused generation that leaves
// the active one serving, rollback, and what /readyz and /metrics say.
func TestAdminSnapshots(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	gens := partyGens(t, data, 3)
	m := MustRunMain(t, data, nil)
	admin, api := "http://"+m.AdminAddr(), "http://"+m.APIAddr()
	get := func(her int) string {
		return string(do(t, "GET", fmt.Sprintf("%s/v1/communication-parties/%d", api, her), "", "").body)
	}
	for i := 0; i < 5; i++ {
		get(1)
	}
	r := do(t, "GET", admin+"/admin/snapshots", "", "")
	var list []ops.SnapshotInfo
	if err := json.Unmarshal(r.body, &list); r.status != 200 || err != nil || len(list) != 3 || !list[0].Active || !list[0].Serving {
		t.Fatalf("list: %d %v %s", r.status, err, r.body)
	}

	r = do(t, "POST", admin+"/admin/snapshots/"+gens[1]+"/activate", "", "")
	var ai ops.ActivationInfo
	if err := json.Unmarshal(r.body, &ai); r.status != 200 || err != nil || ai.Generation != gens[1] || ai.Previous != gens[0] || !ai.FullVerify {
		t.Fatalf("activate: %d %s", r.status, r.body)
	}
	if got := get(2); got != partyBody(gens[1], 2) { // swapped before the answer
		t.Fatalf("after activate: %s", got)
	}
	mustActiveCLI(t, data, gens[1])

	// A damaged generation is refused; the active one keeps serving.
	os.Remove(filepath.Join(index.SnapshotsDir(data), gens[2], index.ManifestName))
	r = do(t, "POST", admin+"/admin/snapshots/"+gens[2]+"/activate", "", "")
	if r.status != 409 || r.ctype != "application/problem+json" || !bytes.Contains(r.body, []byte("read manifest")) {
		t.Fatalf("damaged: %d %s %s", r.status, r.ctype, r.body)
	}
	if got := get(2); got != partyBody(gens[1], 2) {
		t.Fatalf("after a refused activation: %s", got)
	}
	mustActiveCLI(t, data, gens[1])
	if r = do(t, "POST", admin+"/admin/snapshots/000099/activate", "", ""); r.status != 404 {
		t.Fatalf("unknown: %d %s", r.status, r.body)
	}

	r = do(t, "POST", admin+"/admin/snapshots/rollback", "", "")
	if json.Unmarshal(r.body, &ai); r.status != 200 || ai.Generation != gens[0] || !ai.Rollback {
		t.Fatalf("rollback: %d %s", r.status, r.body)
	}
	if got := get(3); got != partyBody(gens[0], 3) {
		t.Fatalf("after rollback: %s", got)
	}
	if r = do(t, "POST", admin+"/admin/snapshots/rollback", "", ""); r.status != 409 || !bytes.Contains(r.body, []byte("no_rollback_target")) {
		t.Fatalf("rollback past the first: %d %s", r.status, r.body)
	}

	// /readyz: active generation, since when, requests per generation and
	// the last activation's phases.
	var rz struct {
		Generation     string
		ActiveSince    time.Time
		Generations    []ops.GenerationStatus
		LastActivation ops.ActivationStatus
	}
	// The old generation closes, and the activation's last phases are
	// filled in, asynchronously once its readers are gone.
	testwait.For(t, testwait.Bound, func() bool {
		r = do(t, "GET", admin+"/readyz", "", "")
		rz.Generations, rz.LastActivation = nil, ops.ActivationStatus{}
		if err := json.Unmarshal(r.body, &rz); err != nil {
			t.Fatalf("readyz: %v %s", err, r.body)
		}
		return len(rz.Generations) == 3 && rz.Generations[2].ClosedAt != nil && rz.LastActivation.Phases["old_closed"] > 0
	}, func() string { return "the previous generation's close is not reported: " + string(r.body) })
	if rz.Generation != gens[0] || rz.ActiveSince.IsZero() || len(rz.Generations) != 3 {
		t.Fatalf("readyz: %s", r.body)
	}
	if g := rz.Generations; !g[0].Active || g[0].Requests != 1 || g[1].Generation != gens[1] || g[1].Requests != 2 ||
		g[2].Requests != 5 || g[2].DeactivatedAt == nil || g[2].ClosedAt == nil {
		t.Fatalf("readyz generations: %s", r.body)
	}
	if a := rz.LastActivation; !a.Rollback || a.Phases["old_closed"] <= 0 || a.Phases["open"] <= 0 {
		t.Fatalf("readyz last activation: %s", r.body)
	}
	r = do(t, "GET", admin+"/metrics", "", "")
	for _, want := range []string{
		`grunndata_generation_requests_total{generation="` + gens[1] + `"} 2`,
		`grunndata_generation_requests_total{generation="` + gens[0] + `"} 6`, // both activations
		`grunndata_generation_activated_timestamp_seconds{generation="` + gens[0] + `"}`,
		`grunndata_activation_phase_seconds{phase="old_closed"}`,
		`grunndata_generations_open 1`, `grunndata_snapshots_disk_bytes`, `grunndata_generation_activations_total 3`,
	} {
		if !bytes.Contains(r.body, []byte(want)) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestFollowsCLIActivation: `grunndata snapshots activate` on the data
// directory of a running server is picked up at once (inotify), well
// before the poll would.
func TestFollowsCLIActivation(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	gens := partyGens(t, data, 2)
	m := MustRunMain(t, data, func(c *ServeConfig) { c.FollowInterval = time.Hour })
	start := time.Now()
	if code, _, e := runCLI(t, "snapshots", "activate", gens[1], "--data", data); code != 0 {
		t.Fatal(e)
	}
	// The poll is an hour away: only inotify can make the server follow.
	testwait.For(t, testwait.Bound, func() bool { return m.store.Active().ID() == gens[1] },
		func() string { return "the server did not follow the CLI activation" })
	t.Logf("from `snapshots activate` to serving: %s", time.Since(start).Round(time.Microsecond))
	// And a CLI rollback too.
	if code, _, e := runCLI(t, "snapshots", "rollback", "--data", data); code != 0 {
		t.Fatal(e)
	}
	testwait.For(t, testwait.Bound, func() bool { return m.store.Active().ID() == gens[0] },
		func() string { return "the server did not follow the CLI rollback" })
}
