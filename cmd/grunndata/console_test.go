package main

import (
	"bytes"
	"context"
	"flag"
	"image/png"
	"io"
	"math"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/loader/loadertest"
	"github.com/grunndata/grunndata/registry/audit"
	"github.com/grunndata/grunndata/registry/console"
)

// screenshotDir, when set (make screenshots), receives the browser test's
// screenshots of the console.
var screenshotDir = flag.String("screenshots", "", "write the console screenshots of TestConsoleInBrowser to `DIR`")

// consoleMain serves the small preset with two generations loaded by the
// CLI (so LOADS and the reject reports are real), authentication on, and
// some API traffic between two samples of the console's sampler; it
// returns the daemon, the token minter, the two generations and a person
// looked up once with a person.read token.
func consoleMain(t *testing.T) (m *Main, mint func(scopes ...string) string, gen1, gen2, person string) {
	t.Helper()
	data, src := loadertest.Snapshot(t)
	gen1, err := index.ReadActive(data)
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"load", "--from", src, "--data", data}, &out, &errb); code != 0 {
		t.Fatalf("second load: exit %d\n%s%s", code, out.String(), errb.String())
	}
	if gen2, err = index.ReadActive(data); err != nil || gen2 == gen1 {
		t.Fatalf("second load activated %q (first %q): %v", gen2, gen1, err)
	}
	m, mint = authMain(t, data)
	id := findIDs(t, m)
	m.consoleSampler.Sample()
	api := "http://" + m.APIAddr()
	org, pers := mint("grunndata:organisation.read"), mint("grunndata:person.read")
	for i := 0; i < 40; i++ {
		doAuth(t, "GET", api+"/v1/organisations/"+id.orgnr, org, "")
		doAuth(t, "GET", api+"/v1/codes/9060", org, "")
	}
	doAuth(t, "GET", api+"/v1/organisations/123456789", org, "") // a 400
	if r := doAuth(t, "POST", api+"/v1/persons/lookup", pers, `{"nin":"`+id.gpPatient+`"}`); r.status != 200 {
		t.Fatalf("person lookup: %d %s", r.status, r.body)
	}
	m.consoleSampler.Sample()
	return m, mint, gen1, gen2, id.gpPatient
}

// TestConsoleInBrowser drives the console in headless Chromium: a token
// without the admin scope is refused at the login form; an admin logs in,
// sees the active generation, rolls back (confirming) and sees the change,
// and looks a person up in the audit form, which finds the API lookup and
// is itself audited. Every screenshot is checked not to be blank. Chromium
// must be installed (.ci/deps installs Debian's chromium): without it the
// test fails.
func TestConsoleInBrowser(t *testing.T) {
	chrome, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed (bash .ci/deps installs Debian's chromium package): the console's browser test cannot run")
	}
	m, mint, gen1, gen2, person := consoleMain(t)
	base := "http://" + m.AdminAddr()

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chrome), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.WindowSize(1440, 900), chromedp.UserDataDir(t.TempDir()))
	// The bound on a stuck browser (not a measurement) is the allocator's:
	// the browser lives as long as it.
	bound, cancelBound := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancelBound()
	actx, cancelAlloc := chromedp.NewExecAllocator(bound, opts...)
	defer cancelAlloc()
	ctx, cancelCtx := chromedp.NewContext(actx)
	defer cancelCtx()

	shots := map[string][]byte{}
	shot := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			b, err := chromedp.FullScreenshot(100)(ctx, tg) // 100: PNG
			shots[name] = b
			return err
		})
	}
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(id string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(id)))
		if err != nil {
			t.Fatalf("text of %s: %v", id, err)
		}
		return s
	}

	// The login form refuses a token without grunndata:admin.
	do("non-admin login",
		chromedp.Navigate(base+"/console"),
		chromedp.WaitVisible(chromedp.ID("token")),
		shot("console-login"),
		chromedp.SendKeys(chromedp.ID("token"), mint("grunndata:organisation.read", "grunndata:person.read")),
		chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.CSS(".flash.bad")),
	)
	if s := text(".flash.bad"); !strings.Contains(s, "grunndata:admin") {
		t.Fatalf("a non-admin token: %q", s)
	}
	// An admin logs in and sees the active generation and its manifest.
	do("admin login",
		chromedp.SendKeys(chromedp.ID("token"), mint("grunndata:admin")),
		chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("active-generation")),
	)
	if s := text("#active-generation"); !strings.Contains(s, gen2) {
		t.Fatalf("the header names %q, want generation %s", s, gen2)
	}
	if s := text("#active"); !strings.Contains(s, gen2) || !strings.Contains(s, "Records") {
		t.Fatalf("the active generation card: %q", s)
	}
	if s := text("#history"); !strings.Contains(s, gen1) || !strings.Contains(s, gen2) {
		t.Fatalf("the history lacks a generation: %q", s)
	}
	if s := text("#routes"); !strings.Contains(s, "organisation") {
		t.Fatalf("the traffic table lacks the organisation route: %q", s)
	}
	if s := text("#loads"); !strings.Contains(s, gen2) {
		t.Fatalf("the loads table lacks the CLI's load of %s: %q", gen2, s)
	}
	do("screenshot", shot("console"))
	// Roll back: a confirmation first, then the change.
	do("rollback",
		chromedp.Click(chromedp.ID("rollback")),
		chromedp.WaitVisible(chromedp.ID("confirm")),
		shot("console-confirm"),
	)
	if got := m.Store().Active().ID(); got != gen2 {
		t.Fatalf("the confirmation page already changed the generation to %s", got)
	}
	do("confirm", chromedp.Click(chromedp.ID("confirm")), chromedp.WaitVisible(chromedp.ID("flash")))
	if s := text("#flash"); !strings.Contains(s, "Rolled back from "+gen2+" to "+gen1) {
		t.Fatalf("after the rollback: %q", s)
	}
	if s := text("#active-generation"); !strings.Contains(s, gen1) {
		t.Fatalf("after the rollback the header names %q, want %s", s, gen1)
	}
	if got := m.Store().Active().ID(); got != gen1 {
		t.Fatalf("the store serves %s after the rollback, want %s", got, gen1)
	}
	// Who looked the person up: the API lookup above, by its client.
	do("audit search",
		chromedp.SendKeys(chromedp.ID("nin"), person),
		chromedp.Click(chromedp.ID("audit-search")),
		chromedp.WaitVisible(chromedp.ID("audit-summary")),
		chromedp.ScrollIntoView(chromedp.ID("audit")),
		shot("console-audit"),
	)
	if s := text("#audit-results"); !strings.Contains(s, "epj-test-client") || !strings.Contains(s, "person-lookup") {
		t.Fatalf("the audit search: %q", s)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(loc, person) {
		t.Fatalf("the person number is in the URL %s", loc)
	}
	// The search itself is in the audit log, as the admin's access.
	found := false
	if err := audit.Search(m.security.auditDir, []string{person}, func(r *audit.Record) bool {
		found = found || r.Route == console.AuditRoute && r.ClientID == "epj-test-client"
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if !found {
		t.Fatalf("the console's audit search is not in the audit log")
	}

	for name, b := range shots {
		checkScreenshot(t, name, b)
		if *screenshotDir != "" {
			if err := os.MkdirAll(*screenshotDir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(*screenshotDir, name+".png"), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(shots) != 4 {
		t.Fatalf("%d screenshots", len(shots))
	}
}

// checkScreenshot fails unless b is a PNG of a rendered page: at least
// 800×400 pixels whose luminance varies (a blank or single-colour page has
// a standard deviation near 0) over many distinct colours.
func checkScreenshot(t *testing.T, name string, b []byte) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	r := img.Bounds()
	if r.Dx() < 800 || r.Dy() < 400 {
		t.Fatalf("screenshot %s is %v", name, r)
	}
	var sum, sq float64
	colours := map[uint32]bool{}
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y += 2 {
		for x := r.Min.X; x < r.Max.X; x += 2 {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			l := (0.299*float64(cr) + 0.587*float64(cg) + 0.114*float64(cb)) / 257
			sum += l
			sq += l * l
			n++
			if len(colours) < 1000 {
				colours[cr>>8<<16|cg>>8<<8|cb>>8] = true
			}
		}
	}
	mean := sum / float64(n)
	sd := math.Sqrt(max(sq/float64(n)-mean*mean, 0))
	if sd < 8 || len(colours) < 32 {
		t.Fatalf("screenshot %s looks blank: luminance sd %.1f, %d colours", name, sd, len(colours))
	}
}

// TestConsoleRefusesNonAdminAndCSRF: over plain HTTP (each answer checked
// against docs/openapi.yaml), a token without the admin scope gets no
// session, a bearer token alone opens no console, the session cookie is
// HttpOnly and SameSite=Strict, and a POST without the session's CSRF token
// or from another origin is refused and changes nothing.
func TestConsoleRefusesNonAdminAndCSRF(t *testing.T) {
	data, _ := loadertest.Snapshot(t)
	gen, err := index.ReadActive(data)
	if err != nil {
		t.Fatal(err)
	}
	m, mint := authMain(t, data)
	base := "http://" + m.AdminAddr()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	csrfRE := regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	get := func(path string, hdr map[string]string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", base+path, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		checkContract(t, res)
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return res, string(b)
	}
	post := func(path string, form url.Values, hdr map[string]string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", base+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		checkContract(t, res)
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return res, string(b)
	}
	csrfOf := func(body string) string {
		t.Helper()
		mm := csrfRE.FindStringSubmatch(body)
		if mm == nil {
			t.Fatalf("no CSRF field in %.300s", body)
		}
		return mm[1]
	}
	// A bearer token opens no console: the browser needs a session.
	if res, _ := get("/console", map[string]string{"Authorization": "Bearer " + mint("grunndata:admin")}); res.StatusCode != 303 ||
		res.Header.Get("Location") != "/console/login" {
		t.Fatalf("GET /console with a bearer token: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	_, body := get("/console/login", nil)
	nonce := csrfOf(body)
	// Without the admin scope: 403 and no session.
	res, body := post("/console/session", url.Values{"csrf": {nonce}, "token": {mint("grunndata:person.read")}}, nil)
	if res.StatusCode != 403 || !strings.Contains(body, "grunndata:admin") {
		t.Fatalf("login without the admin scope: %d %.300s", res.StatusCode, body)
	}
	nonce = csrfOf(body) // each answer of the form carries a new nonce
	if res, _ := post("/console/session", url.Values{"csrf": {nonce}, "token": {"x.y.z"}}, nil); res.StatusCode != 401 {
		t.Fatalf("login with a malformed token: %d", res.StatusCode)
	}
	if res, _ := get("/console", nil); res.StatusCode != 303 {
		t.Fatalf("a refused login opened a session: GET /console %d", res.StatusCode)
	}
	// The login nonce is checked (a login CSRF).
	_, body = get("/console/login", nil)
	nonce = csrfOf(body)
	if res, _ := post("/console/session", url.Values{"csrf": {"forged"}, "token": {mint("grunndata:admin")}}, nil); res.StatusCode != 403 {
		t.Fatalf("login with a forged nonce: %d", res.StatusCode)
	}
	_, body = get("/console/login", nil)
	nonce = csrfOf(body)
	res, _ = post("/console/session", url.Values{"csrf": {nonce}, "token": {mint("grunndata:admin")}}, nil)
	if res.StatusCode != 303 || res.Header.Get("Location") != "/console" {
		t.Fatalf("admin login: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	var cookie string
	for _, c := range res.Header.Values("Set-Cookie") {
		if strings.HasPrefix(c, console.SessionCookie+"=") {
			cookie = c
		}
	}
	for _, attr := range []string{"HttpOnly", "SameSite=Strict", "Path=/console", "Max-Age="} {
		if !strings.Contains(cookie, attr) {
			t.Fatalf("session cookie %q lacks %s", cookie, attr)
		}
	}
	res, body = get("/console", nil)
	if res.StatusCode != 200 || !strings.Contains(body, gen) {
		t.Fatalf("the console after login: %d", res.StatusCode)
	}
	for _, h := range []string{"Content-Security-Policy", "X-Frame-Options"} {
		if res.Header.Get(h) == "" {
			t.Fatalf("the console page lacks %s", h)
		}
	}
	csrf := csrfOf(body)
	// Activating the active generation is a harmless action to forge.
	for _, c := range []struct {
		name string
		form url.Values
		hdr  map[string]string
	}{
		{"no token", url.Values{"gen": {gen}, "confirm": {"yes"}}, nil},
		{"wrong token", url.Values{"gen": {gen}, "confirm": {"yes"}, "csrf": {csrf + "x"}}, nil},
		{"other origin", url.Values{"gen": {gen}, "confirm": {"yes"}, "csrf": {csrf}}, map[string]string{"Origin": "http://evil.example"}},
		{"cross-site fetch", url.Values{"gen": {gen}, "confirm": {"yes"}, "csrf": {csrf}}, map[string]string{"Sec-Fetch-Site": "cross-site"}},
	} {
		before := m.Store().Activations()
		if res, _ := post("/console/activate", c.form, c.hdr); res.StatusCode != 403 {
			t.Fatalf("%s: %d, want 403", c.name, res.StatusCode)
		}
		if m.Store().Activations() != before {
			t.Fatalf("%s: the refused POST activated a generation", c.name)
		}
	}
	// The audit search needs the CSRF token too, and its number never
	// reaches a URL or a log line.
	if res, _ := post("/console/audit", url.Values{"nin": {unknownNIN}}, nil); res.StatusCode != 403 {
		t.Fatalf("audit search without the CSRF token: %d", res.StatusCode)
	}
	if res, body := post("/console/audit", url.Values{"nin": {unknownNIN}, "csrf": {csrf}}, map[string]string{"Origin": base}); res.StatusCode != 200 ||
		!strings.Contains(body, "recorded accesses") {
		t.Fatalf("audit search: %d", res.StatusCode)
	}
	if res, _ := post("/console/audit", url.Values{"nin": {"12345678901"}, "csrf": {csrf}}, nil); res.StatusCode != 400 {
		t.Fatalf("audit search for a non-number: %d", res.StatusCode)
	}
	// With the right token and origin the action is done.
	if res, _ := post("/console/activate", url.Values{"gen": {gen}, "confirm": {"yes"}, "csrf": {csrf}}, map[string]string{"Origin": base}); res.StatusCode != 303 {
		t.Fatalf("activation with the CSRF token: %d", res.StatusCode)
	}
	if _, body := get("/console", nil); !strings.Contains(body, "Generation "+gen+" was already active.") {
		t.Fatalf("the activation with the CSRF token reports no outcome")
	}
	// Logged out, the session is gone.
	if res, _ := post("/console/logout", url.Values{"csrf": {csrf}}, nil); res.StatusCode != 303 {
		t.Fatalf("logout: %d", res.StatusCode)
	}
	if res, _ := post("/console/rollback", url.Values{"csrf": {csrf}, "confirm": {"yes"}}, nil); res.StatusCode != 401 {
		t.Fatalf("rollback after logout: %d", res.StatusCode)
	}
}
