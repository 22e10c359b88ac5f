package console_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/grunndata/grunndata/registry/auth/authtest"
	"github.com/grunndata/grunndata/registry/console"
	"github.com/grunndata/grunndata/registry/ops"
	"github.com/grunndata/grunndata/registry/server"
)

// TestSamplerWindow: the rate, error ratios and latency percentiles come
// from the differences between samples of the server's own counters and
// histograms.
func TestSamplerWindow(t *testing.T) {
	reg := prometheus.NewRegistry()
	reqs := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "grunndata_http_requests_total"}, []string{"route", "code"})
	lat := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "grunndata_http_request_duration_seconds",
		Buckets: []float64{0.001, 0.01, 0.1, 1}}, []string{"route"})
	reg.MustRegister(reqs, lat)
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	var hits, misses uint64
	s := console.NewSampler(reg, func() console.Counters { return console.Counters{CacheHits: hits, CacheMisses: misses} },
		func() time.Time { return now }, 10)
	// Traffic before the first sample is not in the window.
	reqs.WithLabelValues("a", "200").Add(1000)
	lat.WithLabelValues("a").Observe(0.5)
	s.Sample()
	// 10 s: route a 90 × 200 (≤ 1 ms) and 10 × 500 (in the 10-100 ms
	// bucket); route b 5 × 404 (≤ 1 ms).
	now = now.Add(10 * time.Second)
	for i := 0; i < 90; i++ {
		reqs.WithLabelValues("a", "200").Inc()
		lat.WithLabelValues("a").Observe(0.0005)
	}
	for i := 0; i < 10; i++ {
		reqs.WithLabelValues("a", "500").Inc()
		lat.WithLabelValues("a").Observe(0.05)
	}
	for i := 0; i < 5; i++ {
		reqs.WithLabelValues("b", "404").Inc()
		lat.WithLabelValues("b").Observe(0.0002)
	}
	hits, misses = 30, 10
	s.Sample()
	w := s.Window()
	if w.Samples != 2 || len(w.Routes) != 2 || w.Routes[0].Route != "a" {
		t.Fatalf("window: %d samples, routes %+v", w.Samples, w.Routes)
	}
	a, b := w.Routes[0], w.Routes[1]
	if a.Requests != 100 || a.Rate != 10 || a.ErrorRatio != 0.1 || a.ClientRatio != 0 {
		t.Fatalf("route a: %+v", a)
	}
	if b.Requests != 5 || b.ClientRatio != 1 || b.ErrorRatio != 0 {
		t.Fatalf("route b: %+v", b)
	}
	// p50 lies in the first bucket (≤ 1 ms), p95 and p99 in (10 ms, 100 ms].
	if !(a.P50 > 0 && a.P50 <= 0.001) || !(a.P95 > 0.01 && a.P95 <= 0.1) || !(a.P99 > a.P95 && a.P99 <= 0.1) {
		t.Fatalf("route a percentiles: p50 %g p95 %g p99 %g", a.P50, a.P95, a.P99)
	}
	if w.Total.Requests != 105 || math.Abs(w.Total.Rate-10.5) > 1e-9 || len(w.Total.Points) != 1 {
		t.Fatalf("total: %+v", w.Total)
	}
	if w.CacheWindow != 0.75 || !math.IsNaN(w.BlockWindow) {
		t.Fatalf("cache ratios: %v %v", w.CacheWindow, w.BlockWindow)
	}
	// The ring keeps the newest samples only.
	for i := 0; i < 20; i++ {
		now = now.Add(time.Second)
		s.Sample()
	}
	if w := s.Window(); w.Samples != 10 || w.Total.Requests != 0 {
		t.Fatalf("after 20 idle samples: %d samples, %v requests", w.Samples, w.Total.Requests)
	}
}

// fakeSnapshots is n generations, the last active, with long names.
type fakeSnapshots struct {
	mu     sync.Mutex
	gens   []ops.SnapshotInfo
	active int
}

func newFakeSnapshots(n int) *fakeSnapshots {
	f := &fakeSnapshots{active: n - 1}
	created := time.Date(2026, 10, 1, 3, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		c := created.Add(time.Duration(i) * 24 * time.Hour)
		g := ops.SnapshotInfo{Generation: fmt.Sprintf("%06d", i+1), CreatedAt: &c, Records: 5_312_004 + int64(i), Rejects: int64(i % 7),
			SizeBytes: 3 << 30, Files: 212, Registers: map[string]ops.RegisterCounts{
				"persons": {Records: 5_000_000, Rejects: int64(i % 7), Warnings: map[string]int64{"absent-reference": 12}},
				"a-register-with-a-very-long-name-that-goes-on-and-on-without-spaces-for-the-layout": {Records: 312_004},
			}, Sources: []ops.SnapshotSource{{Path: "freg/" + strings.Repeat("very-long-directory-name/", 8) + "persons-2026-12-01.jsonl.gz",
				Size: 812 << 20, SHA256: strings.Repeat("ab", 32)}}}
		if i > 0 {
			g.Parent = fmt.Sprintf("%06d", i)
		}
		f.gens = append(f.gens, g)
	}
	f.mark()
	return f
}

func (f *fakeSnapshots) mark() {
	for i := range f.gens {
		f.gens[i].Active = i == f.active
		f.gens[i].RollbackTarget = i == f.active-1
	}
}

func (f *fakeSnapshots) List() ([]ops.SnapshotInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]ops.SnapshotInfo(nil), f.gens...), nil
}

func (f *fakeSnapshots) Activate(gen string) (ops.ActivationInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, g := range f.gens {
		if g.Generation == gen {
			prev := f.gens[f.active].Generation
			f.active = i
			f.mark()
			return ops.ActivationInfo{Generation: gen, Previous: prev}, nil
		}
	}
	return ops.ActivationInfo{}, ops.ErrNoSuchGeneration
}

func (f *fakeSnapshots) Rollback() (ops.ActivationInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.active == 0 {
		return ops.ActivationInfo{}, ops.ErrNoRollbackTarget
	}
	prev := f.gens[f.active].Generation
	f.active--
	f.mark()
	return ops.ActivationInfo{Generation: f.gens[f.active].Generation, Previous: prev, Rollback: true}, nil
}

func (f *fakeSnapshots) activeGen() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.gens[f.active].Generation
}

// consoleServer serves a console over fake generations on the admin
// listener's handler, with authentication on and a clock the test moves.
func consoleServer(t *testing.T, snaps *fakeSnapshots, fleet bool) (base string, admin, other string, clock *time.Time) {
	t.Helper()
	ti := authtest.NewIssuer(t)
	now := ti.Now // the tokens' clock
	clock = &now
	cfg := console.Config{Auth: ti.Authenticator(t, nil), Snapshots: snaps, Clock: func() time.Time { return *clock },
		Status: func() ops.StoreStatus {
			return ops.StoreStatus{Generation: snaps.activeGen(), ActivatedAt: now.Add(-3 * time.Hour), BlockCacheBytes: 512 << 20}
		},
		Loads: func() []console.Load {
			return []console.Load{{At: now.Add(-time.Hour), Generation: "000050", Seconds: 412.5, Records: 5_312_049, Rejects: 3, Activated: true},
				{At: now.Add(-26 * time.Hour), Error: "freg/persons.jsonl.gz line 1812: " + strings.Repeat("an error message that is long ", 8), Seconds: 12}}
		},
	}
	if fleet {
		cfg.Fleet = func(context.Context) (*console.FleetView, error) {
			v := &console.FleetView{Generation: "000050", Revision: 77, Published: []string{"000049", "000050"}}
			for i := 0; i < 3; i++ {
				v.Replicas = append(v.Replicas, console.FleetReplica{Name: fmt.Sprintf("replica-%d-%s", i, strings.Repeat("x", 60)),
					API: "10.0.0.1:8080", Generation: "000050", State: "serving", HeartbeatAgo: 2 * time.Second})
			}
			v.Replicas[2].Lag, v.Replicas[2].Generation, v.Replicas[2].Error = 1, "000049", "download: "+strings.Repeat("timeout ", 20)
			return v, nil
		}
	}
	c, err := console.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.NewAdmin(server.AdminConfig{Status: cfg.Status, Registry: prometheus.NewRegistry(),
		Auth: cfg.Auth, Console: c}))
	t.Cleanup(srv.Close)
	admin = ti.Token(t, func(o *authtest.TokenOpts) { o.Scope = "grunndata:admin" })
	other = ti.Token(t, nil)
	return srv.URL, admin, other, clock
}

// screenshotDir, when set (make screenshots), receives a screenshot of the
// console with 50 generations and the fleet table.
var screenshotDir = flag.String("screenshots", "", "write TestConsoleLayout's screenshot to `DIR`")

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// login logs client in with token; it returns the console page's CSRF
// token and the login's status.
func login(t *testing.T, client *http.Client, base, token string) (int, string) {
	t.Helper()
	res, err := client.Get(base + "/console/login")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := csrfRE.FindSubmatch(b)
	if m == nil {
		t.Fatalf("login form without a nonce: %s", b)
	}
	res, err = client.PostForm(base+"/console/session", url.Values{"csrf": {string(m[1])}, "token": {token}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if m := csrfRE.FindSubmatch(b); m != nil && res.StatusCode == 200 {
		return res.StatusCode, string(m[1])
	}
	return res.StatusCode, ""
}

// TestConsoleSession: a token without the admin scope gets no session;
// a session ends at its expiry (the token's, or SessionTTL), after which
// the console sends the browser to the login form and refuses POSTs.
func TestConsoleSession(t *testing.T) {
	snaps := newFakeSnapshots(3)
	base, admin, other, clock := consoleServer(t, snaps, false)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	if code, _ := login(t, client, base, other); code != 403 {
		t.Fatalf("login without the admin scope: %d", code)
	}
	code, csrf := login(t, client, base, admin)
	if code != 200 || csrf == "" {
		t.Fatalf("admin login: %d", code)
	}
	res, err := client.PostForm(base+"/console/rollback", url.Values{"csrf": {csrf}, "confirm": {"yes"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || snaps.activeGen() != "000002" {
		t.Fatalf("rollback: %d, active %s", res.StatusCode, snaps.activeGen())
	}
	// The authtest token lives an hour: the session ends with it.
	*clock = clock.Add(61 * time.Minute)
	nf := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err = nf.Get(base + "/console")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 303 || res.Header.Get("Location") != "/console/login" {
		t.Fatalf("an expired session: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	res, err = nf.PostForm(base+"/console/activate", url.Values{"csrf": {csrf}, "confirm": {"yes"}, "gen": {"000003"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 || snaps.activeGen() != "000002" {
		t.Fatalf("a POST of an expired session: %d, active %s", res.StatusCode, snaps.activeGen())
	}
}

// TestConsoleLayout renders the console with 50 generations, long source,
// register and replica names and a long load error in headless Chromium
// at a laptop's 1366×768 and checks that nothing is wider than the window
// (long names wrap or scroll inside their card) and that every generation
// is listed. Chromium must be installed (.ci/deps).
func TestConsoleLayout(t *testing.T) {
	chrome, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed (bash .ci/deps installs Debian's chromium package)")
	}
	base, admin, _, _ := consoleServer(t, newFakeSnapshots(50), true)
	bound, cancelBound := context.WithTimeout(context.Background(), 2*time.Minute) // a bound on a stuck browser
	defer cancelBound()
	actx, cancelAlloc := chromedp.NewExecAllocator(bound, append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chrome),
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1366, 768), chromedp.UserDataDir(t.TempDir()))...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/console/login"),
		chromedp.SendKeys(chromedp.ID("token"), admin),
		chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("history")),
	); err != nil {
		t.Fatal(err)
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#history tbody tr").length`))
	if err != nil || rows != 50 {
		t.Fatalf("history rows: %d %v", rows, err)
	}
	for _, id := range []string{"fleet-table", "active", "loads"} {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("`+id+`") !== null`)); err != nil {
			t.Fatal(err)
		}
	}
	over, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
		const vw = document.documentElement.clientWidth;
		const out = [];
		if (document.documentElement.scrollWidth > vw) out.push("page " + document.documentElement.scrollWidth + " > " + vw);
		for (const c of document.querySelectorAll(".card")) {
			const r = c.getBoundingClientRect();
			if (r.right > vw + 0.5) out.push((c.id || c.className) + " ends at " + r.right);
			for (const el of c.querySelectorAll("*")) {
				if (el.closest(".scroll")) continue;
				const e = el.getBoundingClientRect();
				if (e.right > r.right + 0.5) { out.push((c.id || "card") + ": " + el.tagName + " overflows to " + e.right + " > " + r.right); break; }
			}
		}
		// The history and the manifest's tables fit their cards: long
		// names wrap rather than scroll sideways.
		for (const sel of ["#history", "#active table", "#loads table"]) {
			const el = document.querySelector(sel);
			const box = el.closest(".scroll");
			if (box.scrollWidth > box.clientWidth + 1) out.push(sel + " scrolls sideways: " + box.scrollWidth + " > " + box.clientWidth);
		}
		return out.join("; ");
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if over != "" {
		t.Fatalf("layout breaks at 1366×768: %s", over)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if len(png) < 20000 {
		t.Fatalf("a %d-byte screenshot of the console", len(png))
	}
	if *screenshotDir != "" {
		if err := os.MkdirAll(*screenshotDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(*screenshotDir, "console-fifty-generations.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The fleet table names the lagging replica.
	txt, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("fleet-table")))
	if err != nil || !strings.Contains(txt, "replica-2-") || !strings.Contains(txt, "timeout") {
		t.Fatalf("fleet table: %q %v", txt, err)
	}
}
