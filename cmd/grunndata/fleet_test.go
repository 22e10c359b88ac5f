package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/index/fleet"
	"github.com/grunndata/grunndata/internal/testwait"
	"github.com/grunndata/grunndata/loader/loadertest"
	"github.com/grunndata/grunndata/registry"
)

// natsNode is one member of an in-process JetStream cluster.
type natsNode struct {
	cfg fleet.ServerConfig
	s   *fleet.Server
}

func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startCluster starts a 3-node JetStream cluster from the nats-server
// library on loopback and returns its comma-separated client URLs.
func startCluster(t testing.TB) (string, []*natsNode) {
	t.Helper()
	var nodes []*natsNode
	var routes, urls []string
	for i := 0; i < 3; i++ {
		cfg := fleet.ServerConfig{StoreDir: t.TempDir(), Addr: freePort(t), Name: fmt.Sprintf("n%d", i),
			Cluster: "grunndata-test", ClusterAddr: freePort(t)}
		routes = append(routes, "nats-route://"+cfg.ClusterAddr)
		urls = append(urls, "nats://"+cfg.Addr)
		nodes = append(nodes, &natsNode{cfg: cfg})
	}
	for _, n := range nodes {
		n.cfg.Routes = routes
		n.start(t)
	}
	t.Cleanup(func() {
		for _, n := range nodes {
			n.stop()
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := fleet.WaitJetStream(ctx, strings.Join(urls, ",")); err != nil {
		t.Fatal(err)
	}
	return strings.Join(urls, ","), nodes
}

func (n *natsNode) start(t testing.TB) {
	t.Helper()
	s, err := fleet.StartServer(n.cfg)
	if err != nil {
		t.Fatal(err)
	}
	n.s = s
}

func (n *natsNode) stop() {
	if n.s != nil {
		n.s.Shutdown()
		n.s = nil
	}
}

func fleetReplica(t testing.TB, urls string, name string) *Main {
	return MustRunMain(t, t.TempDir(), func(c *ServeConfig) {
		c.Fleet = FleetConfig{URL: urls, Replica: name, Replicas: 3, Heartbeat: 300 * time.Millisecond,
			Poll: 200 * time.Millisecond, RetryAfter: time.Second}
	})
}

func activeID(m *Main) string {
	if g := m.Store().Active(); g != nil {
		return g.ID()
	}
	return ""
}

// waitServing waits until every replica serves gen; it returns how long
// that took (for the log).
func waitServing(t testing.TB, within time.Duration, gen string, ms ...*Main) time.Duration {
	t.Helper()
	start := time.Now()
	for _, m := range ms {
		testwait.For(t, within, func() bool { return activeID(m) == gen }, func() string {
			st, _ := m.FleetStatus()
			return fmt.Sprintf("replica serves %q, not %s: %+v", activeID(m), gen, st)
		})
	}
	return time.Since(start)
}

func publishRetry(t testing.TB, c *fleet.Client, data, gen string) fleet.PublishReport {
	t.Helper()
	var err error
	for try := 0; try < 5; try++ {
		var rep fleet.PublishReport
		if rep, err = c.Publish(context.Background(), data, gen, true, "test"); err == nil {
			return rep
		}
		t.Logf("publish try %d: %v", try, err)
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("publish %s: %v", gen, err)
	return fleet.PublishReport{}
}

// TestFleet runs a 3-node JetStream cluster and three replicas: publish,
// all serve (waits bounded by testwait.Bound); the next generation is published (one NATS node
// killed meanwhile) under load with no failed request; rollback (another
// node killed); 10,000 concurrent AIN allocations over the three replicas,
// each unique, valid and visible on every replica within 5 s of its 201
// (ainAcrossReplicas).
func TestFleet(t *testing.T) {
	t0 := time.Now()
	urls, nodes := startCluster(t)
	t.Logf("cluster up in %s", time.Since(t0))
	prod, src := loadertest.Snapshot(t)
	t.Logf("snapshot at %s", time.Since(t0))
	c, err := fleet.Connect(fleet.Config{URL: urls, Replicas: 3, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rep := publishRetry(t, c, prod, "000001")
	t.Logf("published 000001: %d files, %.1f MB in %s (%.1f MB/s)", rep.Files, float64(rep.UploadedBytes)/(1<<20), rep.Elapsed, rep.MBPerSecond())

	var reps []*Main
	for i := 0; i < 3; i++ {
		reps = append(reps, fleetReplica(t, urls, fmt.Sprintf("r%d", i)))
	}
	join := waitServing(t, testwait.Bound, "000001", reps...)
	t.Logf("three replicas joined (empty data directory → serving 000001) in %s", join)
	id := findIDs(t, reps[0])

	// Load on every replica for the rest of the generation moves: paced
	// (each worker pauses 2 ms between requests), so that on a 2-core CI
	// machine the load does not starve the NATS nodes and the replicas'
	// downloads whose behaviour under load it checks.
	stop := make(chan struct{})
	var okN, failN atomic.Int64
	var failMsg atomic.Value
	var wg sync.WaitGroup
	for _, m := range reps {
		url := "http://" + m.APIAddr() + "/v1/communication-parties/" + u(id.her)
		for w := 0; w < 2; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cl := &http.Client{Timeout: 5 * time.Second}
				for {
					select {
					case <-stop:
						return
					case <-time.After(2 * time.Millisecond):
					}
					res, err := cl.Get(url)
					if err != nil {
						failN.Add(1)
						failMsg.Store(err.Error())
						continue
					}
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != 200 {
						failN.Add(1)
						failMsg.Store(res.Status)
						continue
					}
					okN.Add(1)
				}
			}()
		}
	}

	// Generation 2 renames the first party; one NATS node dies while it
	// is published.
	p := filepath.Join(src, "ar.jsonl.gz")
	lines := strings.SplitN(string(gunzip(t, p)), "\n", 2)
	var first map[string]any
	json.Unmarshal([]byte(lines[0]), &first)
	first["name"] = "Renamed in the fleet's generation two"
	b, _ := json.Marshal(first)
	gzipTo(t, p, append(append(b, '\n'), lines[1]...))
	loadertest.Load(t, src, prod)
	go func() { time.Sleep(20 * time.Millisecond); nodes[2].stop() }()
	publishRetry(t, c, prod, "000002")
	took := waitServing(t, testwait.Bound, "000002", reps...)
	t.Logf("fleet-wide activation of 000002 with node n2 down: %s", took)
	for _, m := range reps {
		r := do(t, "GET", "http://"+m.APIAddr()+"/v1/communication-parties/"+u(id.her), "", "")
		if !bytes.Contains(r.body, []byte("Renamed in the fleet's generation two")) {
			t.Fatalf("replica serves old content: %.200s", r.body)
		}
	}
	nodes[2].start(t)
	t.Logf("n2 restarted at %s", time.Since(t0))
	testwait.For(t, testwait.Bound, nodes[2].s.Current, func() string { return "n2 did not catch up after its restart" })

	t.Logf("n2 current at %s", time.Since(t0))
	// Roll back with another node down.
	nodes[1].stop()
	var ptr fleet.Pointer
	for try := 0; try < 10; try++ {
		if ptr, err = c.Rollback(context.Background(), "test"); err == nil {
			break
		}
		t.Logf("rollback try %d: %v", try, err)
		time.Sleep(500 * time.Millisecond)
	}
	if err != nil || ptr.Generation != "000001" {
		t.Fatalf("rollback: %+v %v", ptr, err)
	}
	took = waitServing(t, testwait.Bound, "000001", reps...)
	t.Logf("fleet-wide rollback to 000001 with node n1 down: %s", took)
	nodes[1].start(t)
	testwait.For(t, testwait.Bound, nodes[1].s.Current, func() string { return "n1 did not catch up after its restart" })
	t.Logf("n1 current at %s", time.Since(t0))
	close(stop)
	wg.Wait()
	if failN.Load() != 0 || okN.Load() == 0 {
		t.Fatalf("%d requests failed (%v), %d succeeded during the fleet's activations", failN.Load(), failMsg.Load(), okN.Load())
	}
	t.Logf("%d requests during publish, activation and rollback, 0 failed", okN.Load())

	// fleet status lists the three replicas on 000001.
	var out bytes.Buffer
	testwait.For(t, testwait.Bound, func() bool {
		out.Reset()
		run(context.Background(), []string{"fleet", "status", "--json", "--nats", urls}, &out, io.Discard)
		return strings.Count(out.String(), `"generation": "000001"`) == 3 && strings.Count(out.String(), `"state": "serving"`) == 3
	}, func() string { return out.String() })

	t.Logf("status at %s", time.Since(t0))
	ainAcrossReplicas(t, reps)
	t.Logf("AINs done at %s", time.Since(t0))
}

// fleetAINs is how many AINs ainAcrossReplicas allocates (the issue's
// 10,000), and fleetAINVisible the bound on how long an AIN
// allocated on one replica may take to be found on every other one.
const (
	fleetAINs       = 10000
	fleetAINVisible = 5 * time.Second
)

// allocated is an AIN and when its 201 arrived.
type allocated struct {
	nin string
	at  time.Time
}

// ainAcrossReplicas allocates fleetAINs AINs concurrently on three
// replicas (32 clients each): all unique and valid. Each replica's AIN view
// (what its lookups and searches read) is polled for every AIN from its
// 201 on: each must appear there on every replica within fleetAINVisible
// of its 201 (the per-AIN delay is measured; the poll is bounded, never a
// sleep). Then every AIN is looked up over HTTP on every replica and found.
func ainAcrossReplicas(t *testing.T, reps []*Main) {
	const workers = 32
	tr := &http.Transport{MaxIdleConnsPerHost: workers, MaxConnsPerHost: workers}
	defer tr.CloseIdleConnections()
	cl := &http.Client{Transport: tr, Timeout: 10 * time.Second}

	// One watcher per replica: it polls the replica's AIN view for the
	// AINs not seen there yet, every millisecond or so.
	type seen struct {
		delays []time.Duration
		late   []allocated
	}
	feeds := make([]chan allocated, len(reps))
	results := make([]seen, len(reps))
	var watchers sync.WaitGroup
	for i, m := range reps {
		feeds[i] = make(chan allocated, fleetAINs)
		watchers.Add(1)
		go func() {
			defer watchers.Done()
			res := &results[i]
			var pending []allocated
			open := true
			for open || len(pending) > 0 {
				if open {
				drain:
					for {
						select {
						case a, ok := <-feeds[i]:
							if !ok {
								open = false
								break drain
							}
							pending = append(pending, a)
						default:
							break drain
						}
					}
				}
				now := time.Now()
				kept := pending[:0]
				for _, a := range pending {
					var n registry.NIN
					copy(n[:], a.nin)
					k := registry.PersonKey(n)
					if _, err := m.fleet.ain.Get(nil, &k); err == nil {
						res.delays = append(res.delays, now.Sub(a.at))
					} else if now.Sub(a.at) > fleetAINVisible {
						res.late = append(res.late, a)
					} else {
						kept = append(kept, a)
					}
				}
				pending = kept
				time.Sleep(time.Millisecond)
			}
		}()
	}

	var mu sync.Mutex
	var got []string
	issued := map[string]bool{}
	var wg sync.WaitGroup
	start := time.Now()
	for i, m := range reps {
		url := "http://" + m.APIAddr() + "/v1/ain"
		quota := fleetAINs / len(reps)
		if i < fleetAINs%len(reps) {
			quota++
		}
		var left atomic.Int64
		left.Store(int64(quota))
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for left.Add(-1) >= 0 {
					res, err := cl.Post(url, "application/json", strings.NewReader(fmt.Sprintf(`{"givenName":"Ukjent","familyName":"Replika%d"}`, i)))
					if err != nil {
						t.Error(err)
						return
					}
					body, _ := io.ReadAll(res.Body)
					res.Body.Close()
					at := time.Now()
					if res.StatusCode != 201 {
						t.Errorf("allocate: %d %s", res.StatusCode, body) // a problem: no person number
						return
					}
					var a struct{ NIN string }
					json.Unmarshal(body, &a)
					if _, info, err := registry.ParseNIN([]byte(a.NIN)); err != nil || info.Kind != registry.NINAin {
						t.Errorf("allocated an invalid AIN: %v", err)
						return
					}
					mu.Lock()
					dup := issued[a.NIN]
					issued[a.NIN] = true
					got = append(got, a.NIN)
					mu.Unlock()
					if dup {
						t.Errorf("AIN issued twice")
						return
					}
					for _, f := range feeds {
						f <- allocated{a.NIN, at}
					}
				}
			}()
		}
	}
	wg.Wait()
	el := time.Since(start)
	for _, f := range feeds {
		close(f)
	}
	watchers.Wait()
	if t.Failed() {
		return
	}
	if len(got) != fleetAINs {
		t.Fatalf("%d AINs allocated, want %d", len(got), fleetAINs)
	}
	t.Logf("%d AINs allocated over three replicas by %d clients in %s (%.0f/s)", len(got), len(reps)*workers, el, float64(len(got))/el.Seconds())
	var all []time.Duration
	for i, r := range results {
		if len(r.late) > 0 {
			t.Errorf("replica %d: %d of %d AINs were not visible within %s of their 201", i, len(r.late), fleetAINs, fleetAINVisible)
		}
		if len(r.delays)+len(r.late) != fleetAINs {
			t.Errorf("replica %d: %d AINs watched, want %d", i, len(r.delays)+len(r.late), fleetAINs)
		}
		all = append(all, r.delays...)
	}
	if len(all) > 0 {
		slices.Sort(all)
		t.Logf("an AIN visible on every replica after its 201: median %s, p99 %s, max %s (bound %s; %d AIN×replica)",
			all[len(all)/2], all[len(all)*99/100], all[len(all)-1], fleetAINVisible, len(all))
	}
	if t.Failed() {
		return
	}

	// Every AIN looked up on every replica, over HTTP (each person lookup
	// waits for its audit record in the stream): all replicas at once.
	start = time.Now()
	var found atomic.Int64
	for _, m := range reps {
		nins := make(chan string, len(got))
		for _, n := range got {
			nins <- n
		}
		close(nins)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := range nins {
					res, err := cl.Post("http://"+m.APIAddr()+"/v1/persons/lookup", "application/json", strings.NewReader(`{"nin":"`+n+`"}`))
					if err != nil {
						t.Error(err)
						return
					}
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != 200 {
						t.Errorf("a lookup of an AIN allocated in the fleet: %d", res.StatusCode)
						return
					}
					found.Add(1)
				}
			}()
		}
	}
	wg.Wait()
	if found.Load() != int64(len(got)*len(reps)) {
		t.Fatalf("%d of %d lookups found their AIN", found.Load(), len(got)*len(reps))
	}
	el = time.Since(start)
	t.Logf("%d lookups (every AIN on every replica) in %s (%.0f/s)", found.Load(), el, float64(found.Load())/el.Seconds())
}

// TestFleetBadInput: a fleet pointer naming a generation whose object-store
// file is corrupt, and a NATS that does not answer: the replica says why
// and keeps serving its last good generation.
func TestFleetBadInput(t *testing.T) {
	ns, err := fleet.StartServer(fleet.ServerConfig{StoreDir: t.TempDir(), Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Shutdown()
	prod, src := loadertest.Snapshot(t)
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"publish", "--data", prod, "--nats", ns.ClientURL()}, &out, &errb); code != 0 {
		t.Fatalf("publish: %d %s", code, errb.String())
	}
	m := MustRunMain(t, t.TempDir(), func(c *ServeConfig) {
		c.Fleet = FleetConfig{URL: ns.ClientURL(), Replica: "bad-input", Heartbeat: 200 * time.Millisecond,
			Poll: 100 * time.Millisecond, RetryAfter: time.Minute}
	})
	waitServing(t, testwait.Bound, "000001", m)

	// Generation 2 with one table replaced in the object store.
	loadertest.Load(t, src, prod)
	if code := run(context.Background(), []string{"publish", "--no-activate", "--data", prod, "--nats", ns.ClientURL()}, &out, &errb); code != 0 {
		t.Fatalf("publish: %d %s", code, errb.String())
	}
	// The victim is a file generation 1 lacks (the others the replica
	// links from its own copy of generation 1).
	man1, _ := index.ReadManifest(filepath.Join(index.SnapshotsDir(prod), "000001"))
	man, _ := index.ReadManifest(filepath.Join(index.SnapshotsDir(prod), "000002"))
	have := map[string]bool{}
	for _, f := range man1.Files {
		have[f.SHA256] = true
	}
	var victim index.FileSum
	for _, f := range man.Files {
		if !have[f.SHA256] && f.Size > 0 {
			victim = f
		}
	}
	if victim.Name == "" {
		t.Fatal("generation 2 has no file of its own")
	}
	// An operator's mistake or a bug upstream: the object holds other
	// bytes (JetStream's own digest then matches them; only the manifest's
	// SHA-256 catches it).
	js := rawJetStream(t, ns.ClientURL())
	obs, err := js.ObjectStore(context.Background(), fleet.ObjectBucket)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := obs.PutBytes(context.Background(), "sha256/"+victim.SHA256, bytes.Repeat([]byte{'z'}, int(victim.Size))); err != nil {
		t.Fatal(err)
	}
	errb.Reset()
	if code := run(context.Background(), []string{"fleet", "activate", "000002", "--nats", ns.ClientURL()}, &out, &errb); code != 0 {
		t.Fatalf("activate: %d %s", code, errb.String())
	}
	readyz := func() (int, map[string]any) {
		r := do(t, "GET", "http://"+m.AdminAddr()+"/readyz", "", "")
		var body map[string]any
		json.Unmarshal(r.body, &body)
		f, _ := body["fleet"].(map[string]any)
		return r.status, f
	}
	testwait.For(t, testwait.Bound, func() bool { _, f := readyz(); return f["state"] == fleet.StateFailed },
		func() string { _, f := readyz(); return fmt.Sprint(f) })
	st, f := readyz()
	if st != 200 || activeID(m) != "000001" || !strings.Contains(fmt.Sprint(f["error"]), victim.Name) ||
		!strings.Contains(fmt.Sprint(f["detail"]), "serving 000001") {
		t.Fatalf("after a corrupt generation: readyz %d %v, serving %s", st, f, activeID(m))
	}
	if ids, _ := index.ListGenerations(m.Config.DataDir); len(ids) != 1 {
		t.Fatalf("the corrupt generation completed: %v", ids)
	}
	r := do(t, "GET", "http://"+m.AdminAddr()+"/metrics", "", "")
	for _, want := range []string{`grunndata_fleet_state{state="failed"} 1`, `grunndata_fleet_failures_total 1`, "grunndata_fleet_connected 1"} {
		if !bytes.Contains(r.body, []byte(want)) {
			t.Errorf("metrics lack %s", want)
		}
	}

	// A fleet pointer to a generation that was never published.
	kv, err := js.KeyValue(context.Background(), fleet.PointerBucket)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(context.Background(), fleet.PointerKey, []byte(`{"generation":"000042","history":["000001","000042"]}`)); err != nil {
		t.Fatal(err)
	}
	testwait.For(t, testwait.Bound, func() bool {
		_, f := readyz()
		return f["fleetGeneration"] == "000042" && strings.Contains(fmt.Sprint(f["error"]), "not published")
	}, func() string { _, f := readyz(); return fmt.Sprint(f) })
	if activeID(m) != "000001" {
		t.Fatalf("serving %s", activeID(m))
	}
	// The CLI refuses it with the reason.
	errb.Reset()
	if code := run(context.Background(), []string{"fleet", "activate", "000043", "--nats", ns.ClientURL()}, &out, &errb); code != 1 ||
		!strings.Contains(errb.String(), "not published") {
		t.Fatalf("activate an unpublished generation: %d %s", code, errb.String())
	}

	// NATS goes away: the replica keeps serving and says so.
	ns.Shutdown()
	testwait.For(t, testwait.Bound, func() bool { _, f := readyz(); return f["connected"] == false },
		func() string { _, f := readyz(); return fmt.Sprint(f) })
	st, f = readyz()
	if st != 200 || f["state"] != fleet.StateOffline || !strings.Contains(fmt.Sprint(f["detail"]), "last good generation 000001") {
		t.Fatalf("offline readyz %d %v", st, f)
	}
	if r := do(t, "GET", "http://"+m.AdminAddr()+"/metrics", "", ""); !bytes.Contains(r.body, []byte("grunndata_fleet_connected 0")) {
		t.Fatal("metrics do not say NATS is gone")
	}
	id := findIDs(t, m)
	if r := do(t, "GET", "http://"+m.APIAddr()+"/v1/communication-parties/"+u(id.her), "", ""); r.status != 200 {
		t.Fatalf("lookup while NATS is gone: %d", r.status)
	}
	if r := do(t, "POST", "http://"+m.APIAddr()+"/v1/ain", "application/json", `{}`); r.status != 503 {
		t.Fatalf("AIN allocation while NATS is gone: %d %s", r.status, r.body)
	}
	// The CLI names the URL that does not answer.
	errb.Reset()
	if code := run(context.Background(), []string{"fleet", "status", "--nats", ns.ClientURL()}, &out, &errb); code != 1 ||
		!strings.Contains(errb.String(), "does not answer") {
		t.Fatalf("status without NATS: %d %s", code, errb.String())
	}

	// A replica whose NATS never answered serves its local generation
	// and says so (the producer's data directory stands in for one).
	m2 := MustRunMain(t, prod, func(c *ServeConfig) { c.Fleet = FleetConfig{URL: "nats://" + freePort(t)} })
	r = do(t, "GET", "http://"+m2.AdminAddr()+"/readyz", "", "")
	if r.status != 200 || !bytes.Contains(r.body, []byte(`"connected":false`)) || !bytes.Contains(r.body, []byte(`"state":"offline"`)) {
		t.Fatalf("readyz %d %s", r.status, r.body)
	}
}

// rawJetStream is a plain JetStream client, for tampering with the fleet's
// buckets as an operator's mistake would.
func rawJetStream(t testing.TB, url string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

const fleetChildEnv = "GRUNNDATA_TEST_FLEET_CHILD"

// TestFleetChild is the replica process of TestFleetReplicaKilled; it does
// nothing in a normal run.
func TestFleetChild(t *testing.T) {
	if os.Getenv(fleetChildEnv) == "" {
		t.Skip("helper process")
	}
	args := strings.Split(os.Getenv(fleetChildEnv), " ")
	os.Exit(run(context.Background(), args, os.Stdout, os.Stderr))
}

// TestFleetReplicaKilled kills -9 a replica in the middle of its first
// download: it never serves the partial generation; restarted, it resumes
// after the files it had, verifies and serves.
func TestFleetReplicaKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess crash test")
	}
	ns, err := fleet.StartServer(fleet.ServerConfig{StoreDir: t.TempDir(), Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Shutdown()
	prod, _ := loadertest.Snapshot(t)
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"publish", "--data", prod, "--nats", ns.ClientURL()}, &out, &errb); code != 0 {
		t.Fatalf("publish: %d %s", code, errb.String())
	}
	data := t.TempDir()
	start := func(extra string) (*exec.Cmd, *syncBuffer, string, string) {
		args := "serve --auth=off --addr 127.0.0.1:0 --admin-addr 127.0.0.1:0 --replica-id crash --data " + data + " --nats " + ns.ClientURL() + extra
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
	// 1 MiB/s: the small preset's ~10 MB take seconds.
	cmd, logs, api, admin := start(" --fleet-download-mibps 1")
	fetchDir := filepath.Join(index.SnapshotsDir(data), "000001"+fleet.FetchSuffix)
	complete := func() int {
		ents, _ := os.ReadDir(fetchDir)
		n := 0
		for _, e := range ents {
			if !strings.HasSuffix(e.Name(), ".part") {
				n++
			}
		}
		return n
	}
	testwait.For(t, testwait.Bound, func() bool { return complete() >= 2 }, logs.String)
	// Mid-download: not ready, lookups unavailable, nothing complete.
	if r := do(t, "GET", "http://"+admin+"/readyz", "", ""); r.status != 503 || !bytes.Contains(r.body, []byte(`"state":"fetching"`)) {
		t.Fatalf("readyz mid-download: %d %s", r.status, r.body)
	}
	if r := do(t, "GET", "http://"+api+"/v1/communication-parties/1", "", ""); r.status != 503 {
		t.Fatalf("a lookup mid-download: %d", r.status)
	}
	cmd.Process.Kill()
	cmd.Wait()
	had := complete()
	if ids, _ := index.ListGenerations(data); len(ids) != 0 {
		t.Fatalf("a killed download left a complete-looking generation: %v", ids)
	}
	if a, _ := index.ReadActive(data); a != "" {
		t.Fatalf("ACTIVE = %q after a killed download", a)
	}

	cmd, logs, _, admin = start("")
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	var body []byte
	testwait.For(t, testwait.Bound, func() bool {
		r := do(t, "GET", "http://"+admin+"/readyz", "", "")
		body = r.body
		return r.status == 200
	}, func() string { return string(body) + logs.String() })
	var rz struct {
		Generation string
		Fleet      fleet.Status
	}
	json.Unmarshal(body, &rz)
	if rz.Generation != "000001" || rz.Fleet.LastFetch == nil || rz.Fleet.LastFetch.Resumed < had || rz.Fleet.LastFetch.Resumed == 0 {
		t.Fatalf("after restart (had %d files): %s", had, body)
	}
	if err := index.VerifyFull(data, "000001"); err != nil {
		t.Fatal(err)
	}
	t.Logf("killed with %d of %d files; the restart resumed %d and downloaded %d", had, rz.Fleet.LastFetch.Files,
		rz.Fleet.LastFetch.Resumed, rz.Fleet.LastFetch.Downloaded)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
