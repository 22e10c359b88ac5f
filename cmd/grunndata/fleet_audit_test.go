package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/grunndata/grunndata/index/fleet"
	"github.com/grunndata/grunndata/internal/testwait"
	"github.com/grunndata/grunndata/loader/loadertest"
	"github.com/grunndata/grunndata/registry"
	"github.com/grunndata/grunndata/registry/audit"
)

// unrestrictedPersons returns n person numbers of m's generation without
// address protection.
func unrestrictedPersons(t testing.TB, m *Main, n int) []string {
	t.Helper()
	v, err := m.Store().Acquire()
	if err != nil {
		t.Fatal(err)
	}
	defer v.Release()
	var out []string
	err = v.Scan([]byte{byte(registry.RegPerson)}, nil, func(k, val []byte) bool {
		flags, _, _, _ := registry.DecodeValue(val)
		if flags&registry.FlagRestricted == 0 {
			out = append(out, string(k[1:]))
		}
		return len(out) < n
	})
	if err != nil || len(out) < n {
		t.Fatalf("%d persons: %v", len(out), err)
	}
	return out
}

// startChildReplica runs `grunndata serve` as a subprocess (TestFleetChild)
// and returns it with its API and admin addresses once it listens.
func startChildReplica(t *testing.T, args string) (*exec.Cmd, *syncBuffer, string, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestFleetChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), fleetChildEnv+"="+args)
	logs := &syncBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`msg=serving api=(\S+) admin=(\S+)`)
	var mm []string
	testwait.For(t, testwait.Bound, func() bool { mm = re.FindStringSubmatch(logs.String()); return mm != nil }, logs.String)
	return cmd, logs, mm[1], mm[2]
}

// TestFleetAuditKilled: person lookups under load on three replicas, one of
// them (a subprocess) killed with SIGKILL: every request any replica
// answered 200 has its record in the fleet's audit stream, on that
// replica's chain; `audit verify --nats` passes; the killed replica,
// restarted under its name, continues its chain; `audit who-looked-up
// --nats` finds the accesses on every replica.
func TestFleetAuditKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess crash test")
	}
	ns, err := fleet.StartServer(fleet.ServerConfig{StoreDir: t.TempDir(), Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Shutdown()
	url := ns.ClientURL()
	prod, _ := loadertest.Snapshot(t)
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"publish", "--data", prod, "--nats", url}, &out, &errb); code != 0 {
		t.Fatalf("publish: %d %s", code, errb.String())
	}
	var reps []*Main
	for i := 0; i < 2; i++ {
		reps = append(reps, MustRunMain(t, t.TempDir(), func(c *ServeConfig) {
			c.Fleet = FleetConfig{URL: url, Replica: fmt.Sprintf("a%d", i), Heartbeat: 300 * time.Millisecond,
				Poll: 200 * time.Millisecond, RetryAfter: time.Second}
		}))
	}
	waitServing(t, testwait.Bound, "000001", reps...)
	childData := t.TempDir()
	childArgs := "serve --auth=off --addr 127.0.0.1:0 --admin-addr 127.0.0.1:0 --replica-id victim --data " + childData + " --nats " + url
	cmd, logs, childAPI, childAdmin := startChildReplica(t, childArgs)
	killed := false
	defer func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	testwait.For(t, testwait.Bound, func() bool { return do(t, "GET", "http://"+childAdmin+"/readyz", "", "").status == 200 }, logs.String)

	nins := unrestrictedPersons(t, reps[0], 3)
	apis := map[string]string{"a0": reps[0].APIAddr(), "a1": reps[1].APIAddr(), "victim": childAPI}
	// ok[replica][nin]: lookups answered 200 (the whole answer read).
	var mu sync.Mutex
	ok := map[string]map[string]int{}
	var victimOK, other atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for name, api := range apis {
		ok[name] = map[string]int{}
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cl := &http.Client{Timeout: 10 * time.Second}
				for i := w; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					nin := nins[i%len(nins)]
					res, err := cl.Post("http://"+api+"/v1/persons/lookup", "application/json", strings.NewReader(`{"nin":"`+nin+`"}`))
					if err != nil {
						if name != "victim" {
							t.Errorf("lookup on %s: %v", name, err)
							return
						}
						time.Sleep(10 * time.Millisecond) // killed
						continue
					}
					_, rerr := io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != 200 || rerr != nil {
						if name != "victim" {
							t.Errorf("lookup on %s: %d %v", name, res.StatusCode, rerr)
							return
						}
						continue
					}
					mu.Lock()
					ok[name][nin]++
					mu.Unlock()
					if name == "victim" {
						victimOK.Add(1)
					} else {
						other.Add(1)
					}
				}
			}()
		}
	}
	// Under load, SIGKILL the victim.
	testwait.For(t, testwait.Bound, func() bool { return victimOK.Load() >= 300 && other.Load() >= 300 },
		func() string { return fmt.Sprintf("%d and %d lookups", victimOK.Load(), other.Load()) })
	cmd.Process.Kill()
	cmd.Wait()
	killed = true
	answeredBeforeKill := victimOK.Load()
	// The others keep answering.
	after := other.Load()
	testwait.For(t, testwait.Bound, func() bool { return other.Load() >= after+200 }, func() string { return "the other replicas stopped" })
	close(stop)
	wg.Wait()
	if t.Failed() {
		return
	}

	// Every answered lookup has its record, on its replica's chain.
	c, err := fleet.Connect(fleet.Config{URL: url, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	recorded := map[string]map[string]int{}
	err = c.SearchAudit(context.Background(), nins, func(replica string, r *audit.Record) bool {
		if r.Route == "person-lookup" && r.Status == 200 && len(r.Subjects) == 1 {
			if recorded[replica] == nil {
				recorded[replica] = map[string]int{}
			}
			recorded[replica][r.Subjects[0]]++
		}
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	for name := range apis {
		for _, nin := range nins {
			if recorded[name][nin] < ok[name][nin] {
				t.Errorf("replica %s answered %d lookups of a person with 200 but the stream holds %d records of them",
					name, ok[name][nin], recorded[name][nin])
			}
		}
	}
	t.Logf("answered 200: %v (victim %d before SIGKILL); recorded in the stream: %v", ok, answeredBeforeKill, recorded)

	verify := func() string {
		var out, errb bytes.Buffer
		if code := run(context.Background(), []string{"audit", "verify", "--nats", url}, &out, &errb); code != 0 {
			t.Fatalf("audit verify --nats: %d %s%s", code, out.String(), errb.String())
		}
		return out.String()
	}
	v := verify()
	for _, name := range []string{"a0", "a1", "victim"} {
		if !strings.Contains(v, "replica "+name+": ") {
			t.Fatalf("verify does not list %s:\n%s", name, v)
		}
	}
	t.Log(v)

	// Restarted under its name, the victim continues its chain.
	cmd, logs, childAPI, childAdmin = startChildReplica(t, childArgs)
	killed = false
	testwait.For(t, testwait.Bound, func() bool { return do(t, "GET", "http://"+childAdmin+"/readyz", "", "").status == 200 }, logs.String)
	for i := 0; i < 5; i++ {
		if r := do(t, "POST", "http://"+childAPI+"/v1/persons/lookup", "application/json", `{"nin":"`+nins[0]+`"}`); r.status != 200 {
			t.Fatalf("lookup after the restart: %d", r.status)
		}
	}
	v = verify()
	if !strings.Contains(v, "replica victim: ") {
		t.Fatal(v)
	}
	// who-looked-up answers across the fleet, naming each replica; no
	// person number in the text output.
	var wl bytes.Buffer
	if code := run(context.Background(), []string{"audit", "who-looked-up", "--nats", url, "--nin", nins[0]}, &wl, &errb); code != 0 {
		t.Fatalf("who-looked-up: %d %s", code, errb.String())
	}
	for _, name := range []string{"a0", "a1", "victim"} {
		if !strings.Contains(wl.String(), "replica="+name+"\t") {
			t.Fatalf("who-looked-up lacks replica %s", name)
		}
	}
	if strings.Contains(wl.String(), nins[0]) {
		t.Fatal("who-looked-up's table names the person")
	}
	if want := recorded["victim"][nins[0]] + 5; strings.Count(wl.String(), "replica=victim\t") < want {
		t.Fatalf("who-looked-up lists %d accesses on the victim, want ≥ %d", strings.Count(wl.String(), "replica=victim\t"), want)
	}
}

// BenchmarkAuditedLookup: a person lookup through the handler with its
// audit record made durable, by 16 goroutines per core: the file log
// (group commit, fsync per batch; file-nosync: without the fsync) against
// the fleet's JetStream stream on an embedded single node (R1; one
// acknowledgement per batch; JetStream flushes to disk on its own schedule).
//
//	go test -run '^$' -bench AuditedLookup ./cmd/grunndata/
func BenchmarkAuditedLookup(b *testing.B) {
	for _, mode := range []string{"file", "file-nosync", "nats"} {
		b.Run(mode, func(b *testing.B) {
			data, _ := loadertest.Snapshot(b)
			var url string
			if mode == "nats" {
				ns, err := fleet.StartServer(fleet.ServerConfig{StoreDir: b.TempDir(), Addr: "127.0.0.1:0"})
				if err != nil {
					b.Fatal(err)
				}
				defer ns.Shutdown()
				url = ns.ClientURL()
			}
			m := MustRunMain(b, data, func(c *ServeConfig) {
				c.Security.AuditNoSync = mode == "file-nosync"
				if url != "" {
					c.Fleet = FleetConfig{URL: url, Replica: "bench", Poll: time.Hour, Heartbeat: time.Hour, RetryAfter: time.Hour}
				}
			})
			nins := unrestrictedPersons(b, m, 64)
			var next atomic.Int64
			b.SetParallelism(16)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				var ctx fasthttp.RequestCtx
				body := []byte(`{"nin":"` + nins[next.Add(1)%int64(len(nins))] + `"}`)
				for pb.Next() {
					ctx.Request.Reset()
					ctx.Response.Reset()
					ctx.Request.Header.SetMethod("POST")
					ctx.Request.Header.SetContentType("application/json")
					ctx.Request.SetRequestURI("/v1/persons/lookup")
					ctx.Request.SetBody(body)
					m.api.Handle(&ctx)
					if ctx.Response.StatusCode() != 200 {
						b.Fatalf("status %d", ctx.Response.StatusCode())
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
		})
	}
}

// writeLocalAudit appends n person-lookup records of nin to the file audit
// log in dir (rotating every few records, so the log spans several files).
func writeLocalAudit(t *testing.T, dir, nin string, n int) {
	t.Helper()
	a, err := audit.Open(audit.Config{Dir: dir, MaxFileBytes: 2048, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if err := a.Record(&audit.Entry{Caller: audit.Caller{ClientID: "before-the-fleet"}, Route: "person-lookup",
			Subject: []byte(nin), Status: 200, Duration: time.Millisecond}); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestFleetAuditImport: a node with a local audit log from before the fleet
// joins it: the log is copied into the stream (subject <replica>.pre-fleet,
// its own chain), `audit verify --nats` checks it, `audit who-looked-up
// --nats` finds the accesses; a second start copies only what is new; a log
// that was altered is refused and nothing of it is copied.
func TestFleetAuditImport(t *testing.T) {
	ns, err := fleet.StartServer(fleet.ServerConfig{StoreDir: t.TempDir(), Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Shutdown()
	url := ns.ClientURL()
	prod, _ := loadertest.Snapshot(t)
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"publish", "--data", prod, "--nats", url}, &out, &errb); code != 0 {
		t.Fatalf("publish: %d %s", code, errb.String())
	}
	c, err := fleet.Connect(fleet.Config{URL: url, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const nin = "13916900206" // synthetic (Tenor: month + 80)
	data := t.TempDir()
	local := filepath.Join(data, "audit")
	writeLocalAudit(t, local, nin, 40)
	if n, err := audit.Verify(local); err != nil || n != 40 {
		t.Fatalf("local log: %d %v", n, err)
	}
	chain := func() fleet.ChainReport {
		rep, err := c.VerifyAudit(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, cr := range rep.Chains {
			if cr.Replica == "joiner"+fleet.PreFleetSuffix {
				return cr
			}
		}
		return fleet.ChainReport{}
	}
	var m *Main
	start := func() {
		cfg := DefaultServeConfig()
		cfg.DataDir, cfg.Addr, cfg.AdminAddr = data, "127.0.0.1:0", "127.0.0.1:0"
		cfg.Security = DefaultSecurityConfig()
		cfg.Security.AuthOff = true
		cfg.Fleet = FleetConfig{URL: url, Replica: "joiner", Heartbeat: 300 * time.Millisecond,
			Poll: 200 * time.Millisecond, RetryAfter: time.Second}
		m = &Main{Config: cfg}
		if err := m.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	stop := func() {
		if m != nil {
			if err := m.Close(); err != nil {
				t.Error(err)
			}
			m = nil
		}
	}
	defer stop()
	start()
	testwait.For(t, testwait.Bound, func() bool { return chain().Records == 40 }, func() string { return fmt.Sprintf("%+v", chain()) })
	if cr := chain(); cr.Err != nil || cr.LastSeq != 40 {
		t.Fatalf("the imported chain: %+v", cr)
	}
	// The replica's own chain is apart from it.
	waitServing(t, testwait.Bound, "000001", m)
	if r := do(t, "POST", "http://"+m.APIAddr()+"/v1/persons/lookup", "application/json", `{"nin":"`+unrestrictedPersons(t, m, 1)[0]+`"}`); r.status != 200 {
		t.Fatalf("lookup: %d", r.status)
	}
	stop()

	// More local records (a node that left the fleet and came back): only
	// those are copied at the next start.
	writeLocalAudit(t, local, nin, 25)
	start()
	testwait.For(t, testwait.Bound, func() bool { return chain().Records == 65 }, func() string { return fmt.Sprintf("%+v", chain()) })
	if rep, err := c.ImportLocalAudit(context.Background(), "joiner", local, 0); err != nil || rep.Records != 0 || rep.Skipped != 65 {
		t.Fatalf("a third import: %+v %v", rep, err)
	}
	out.Reset()
	if code := run(context.Background(), []string{"audit", "verify", "--nats", url}, &out, &errb); code != 0 ||
		!strings.Contains(out.String(), "replica joiner.pre-fleet: ") || !strings.Contains(out.String(), "replica joiner: ") {
		t.Fatalf("audit verify --nats: %d %s%s", code, out.String(), errb.String())
	}
	var wl bytes.Buffer
	if code := run(context.Background(), []string{"audit", "who-looked-up", "--nats", url, "--nin", nin}, &wl, &errb); code != 0 {
		t.Fatalf("who-looked-up: %d %s", code, errb.String())
	}
	if n := strings.Count(wl.String(), "replica=joiner.pre-fleet\t"); n != 65 {
		t.Fatalf("who-looked-up lists %d accesses from before the fleet, want 65:\n%s", n, wl.String())
	}

	// An altered log (one record's status changed) is refused: nothing of
	// it is copied, and the replica says so and keeps serving.
	other := filepath.Join(t.TempDir(), "audit")
	writeLocalAudit(t, other, nin, 10)
	files, _ := filepath.Glob(filepath.Join(other, "audit-*.jsonl"))
	b, _ := os.ReadFile(files[0])
	os.WriteFile(files[0], bytes.Replace(b, []byte(`"status":200`), []byte(`"status":404`), 1), 0o600)
	rep, err := c.ImportLocalAudit(context.Background(), "altered", other, 0)
	if !errors.Is(err, fleet.ErrLocalAudit) || !strings.Contains(err.Error(), "hash mismatch") || rep.Records != 0 {
		t.Fatalf("an altered log: %+v %v", rep, err)
	}
	if _, err := c.ImportLocalAudit(context.Background(), "joiner", other, 0); !errors.Is(err, fleet.ErrLocalAudit) {
		t.Fatalf("another node's log under joiner's name: %v", err)
	}
}
