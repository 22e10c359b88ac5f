//go:build e2e

// Package e2e is the end-to-end system test (`make e2e`): the real binary,
// as operators run it, on the medium preset — gen, load, serve with
// authentication, every route, a delta, activations under load, rollback,
// backup and restore while serving — writing a dated Markdown report of
// what passed with timings (e2e-report-YYYY-MM-DD.md). Too long for make
// test; the build tag keeps it out.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/grunndata/grunndata/bench"
)

var (
	binFlag    = flag.String("bin", "", "the grunndata binary (required)")
	presetFlag = flag.String("preset", "medium", "dataset preset")
	reportDir  = flag.String("report-dir", "..", "directory for e2e-report-YYYY-MM-DD.md")
	workFlag   = flag.String("work", "", "work directory (default: a temporary one, removed)")
)

type stepResult struct {
	name, detail string
	took         time.Duration
	err          error
}

type runner struct {
	t       *testing.T
	bin     string
	work    string
	steps   []stepResult
	started time.Time
	serve   *exec.Cmd
	api     string
	admin   string
	token   string
}

// step runs fn, timing it; a failing step ends the test (the report is
// written either way).
func (r *runner) step(name string, fn func() (string, error)) {
	r.t.Helper()
	start := time.Now()
	detail, err := fn()
	res := stepResult{name: name, detail: detail, took: time.Since(start), err: err}
	r.steps = append(r.steps, res)
	if err != nil {
		r.t.Fatalf("%s: %v", name, err)
	}
	r.t.Logf("%-34s %7.2fs  %s", name, res.took.Seconds(), detail)
}

// cmd runs the binary and returns its stdout; a non-zero exit is an error
// carrying stderr.
func (r *runner) cmd(args ...string) (string, error) {
	var out, errb bytes.Buffer
	c := exec.Command(r.bin, args...)
	c.Stdout, c.Stderr = &out, &errb
	if err := c.Run(); err != nil {
		return out.String(), fmt.Errorf("grunndata %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String(), nil
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type answer struct {
	status int
	ctype  string
	body   []byte
}

func (r *runner) http(method, url, token, body string) (answer, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return answer{}, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return answer{res.StatusCode, res.Header.Get("Content-Type"), b}, err
}

func (r *runner) activeGeneration() (string, error) {
	a, err := r.http("GET", r.admin+"/readyz", "", "")
	if err != nil {
		return "", err
	}
	var body struct {
		Generation string `json:"generation"`
	}
	json.Unmarshal(a.body, &body)
	return body.Generation, nil
}

// waitGeneration waits until the server serves gen.
func (r *runner) waitGeneration(gen string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		g, _ := r.activeGeneration()
		if g == gen {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the server serves %q, not %s, after %v", g, gen, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var genLine = regexp.MustCompile(`generation (\d{6}) is active`)

func TestEndToEnd(t *testing.T) {
	if *binFlag == "" {
		t.Fatal("-bin is required (make e2e passes bin/grunndata)")
	}
	bin, err := filepath.Abs(*binFlag)
	if err != nil {
		t.Fatal(err)
	}
	work := *workFlag
	if work == "" {
		work = t.TempDir()
	}
	r := &runner{t: t, bin: bin, work: work, started: time.Now()}
	defer r.writeReport()
	defer r.stopServer()
	src, data := filepath.Join(work, "source"), filepath.Join(work, "data")

	r.step("gen "+*presetFlag+" (with one delta)", func() (string, error) {
		out, err := r.cmd("gen", "--preset", *presetFlag, "--seed", "1", "--out", src, "--deltas", "1")
		return lastLine(out), err
	})
	r.step("load", func() (string, error) {
		out, err := r.cmd("load", "--from", src, "--data", data, "--quiet")
		if err != nil {
			return "", err
		}
		if !genLine.MatchString(out) {
			return "", fmt.Errorf("load did not activate a generation: %s", out)
		}
		return genLine.FindString(out), nil
	})
	r.step("mint tokens", func() (string, error) {
		out, err := r.cmd("token", "--key-dir", filepath.Join(work, "key"), "--ttl", "2h", "--scope", "all")
		r.token = strings.TrimSpace(out)
		if err == nil && strings.Count(r.token, ".") != 2 {
			err = fmt.Errorf("token: %q", out)
		}
		return "a development token with every scope", err
	})
	r.step("serve (authentication on)", func() (string, error) {
		apiAddr, adminAddr := freePort(t), freePort(t)
		r.api, r.admin = "http://"+apiAddr, "http://"+adminAddr
		r.serve = exec.Command(bin, "serve", "--data", data, "--addr", apiAddr, "--admin-addr", adminAddr,
			"--jwks", filepath.Join(work, "key", "dev-jwks.json"), "--issuer", "https://grunndata.local/dev-issuer",
			"--audience", "grunndata")
		logf, err := os.Create(filepath.Join(work, "serve.log"))
		if err != nil {
			return "", err
		}
		r.serve.Stdout, r.serve.Stderr = logf, logf
		if err := r.serve.Start(); err != nil {
			return "", err
		}
		return "ready with 000001", r.waitGeneration("000001", 60*time.Second)
	})

	var ids *bench.IDs
	r.step("every route", func() (string, error) {
		mix, _ := bench.ParseMix(bench.DefaultMix)
		var err error
		if ids, err = bench.LoadIDs(src, 20, mix); err != nil {
			return "", err
		}
		n, err := r.everyRoute(ids)
		return fmt.Sprintf("%d requests, every answer as expected", n), err
	})
	r.step("delta", func() (string, error) {
		out, err := r.cmd("load", "--delta", filepath.Join(src, "deltas", "0001"), "--data", data, "--quiet")
		if err != nil {
			return "", err
		}
		m := genLine.FindStringSubmatch(out)
		if m == nil {
			return "", fmt.Errorf("the delta did not activate a generation: %s", out)
		}
		if err := r.waitGeneration(m[1], 10*time.Second); err != nil {
			return "", err
		}
		a, err := r.http("GET", r.api+"/v1/events/persons?after=0&limit=5", r.token, "")
		if err != nil || a.status != 200 || !bytes.Contains(a.body, []byte(`"seq":1`)) {
			return "", fmt.Errorf("the delta's changes are not in the persons feed: %d %.200s %v", a.status, a.body, err)
		}
		return "generation " + m[1] + " serves, its changes are in the event feed", nil
	})
	r.step("activations under load (20 s)", func() (string, error) {
		rep := filepath.Join(work, "bench.json")
		_, err := r.cmd("bench", "--target", r.api, "--ids-from", src, "--rate", "1000", "--duration", "20s",
			"--activate-every", "4s", "--admin", r.admin, "--auth-token", r.token, "--json", rep, "--quiet")
		if err != nil {
			return "", err
		}
		b, err := os.ReadFile(rep)
		if err != nil {
			return "", err
		}
		var br struct {
			Completed, TransportErrors, Unexpected int64
			Total                                  struct {
				Latency struct{ P50, P99, Max float64 }
			}
			Activations []struct {
				Generation string
				Status     int
				TookMs     float64
				Error      string
			}
		}
		if err := json.Unmarshal(b, &br); err != nil {
			return "", err
		}
		var worst float64
		for _, a := range br.Activations {
			if a.Status != 200 || a.Error != "" {
				return "", fmt.Errorf("activation of %s: %d %s", a.Generation, a.Status, a.Error)
			}
			worst = max(worst, a.TookMs)
		}
		if len(br.Activations) < 3 {
			return "", fmt.Errorf("only %d activations", len(br.Activations))
		}
		if br.TransportErrors != 0 || br.Unexpected != 0 || br.Completed == 0 {
			return "", fmt.Errorf("%d completed, %d transport errors, %d unexpected answers", br.Completed, br.TransportErrors, br.Unexpected)
		}
		return fmt.Sprintf("%d requests at 1000/s, 0 errors, 0 unexpected; %d activations (slowest %.0f ms); p50 %.2f ms, p99 %.2f ms, max %.1f ms",
			br.Completed, len(br.Activations), worst, br.Total.Latency.P50/1e3, br.Total.Latency.P99/1e3, br.Total.Latency.Max/1e3 /* µs */), nil
	})
	r.step("rollback", func() (string, error) {
		before, _ := r.activeGeneration()
		a, err := r.http("POST", r.admin+"/admin/snapshots/rollback", r.token, "")
		if err != nil || a.status != 200 {
			return "", fmt.Errorf("rollback: %d %s %v", a.status, a.body, err)
		}
		after, _ := r.activeGeneration()
		if after == before || after == "" {
			return "", fmt.Errorf("rollback: still %s", after)
		}
		if a, err := r.http("GET", r.admin+"/admin/snapshots/rollback", "", ""); err == nil && a.status != 401 {
			return "", fmt.Errorf("the admin listener answered %d without a token", a.status)
		}
		return fmt.Sprintf("%s → %s (admin API, refused without a token)", before, after), nil
	})
	var allocated []string
	r.step("backup while serving", func() (string, error) {
		for i := 0; i < 50; i++ {
			a, err := r.http("POST", r.api+"/v1/ain", r.token, `{"givenName":"E2e","familyName":"Test","birthYear":1990,"gender":"ukjent"}`)
			if err != nil || a.status != 201 {
				return "", fmt.Errorf("allocate AIN: %d %s %v", a.status, a.body, err)
			}
			var v struct{ NIN string }
			json.Unmarshal(a.body, &v)
			allocated = append(allocated, v.NIN)
		}
		// Lookups go on during the backup.
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan int)
		go func() {
			n := 0
			for ctx.Err() == nil {
				nin := ids[bench.RoutePerson][n%len(ids[bench.RoutePerson])]
				if a, err := r.http("POST", r.api+"/v1/persons/lookup", r.token, `{"nin":"`+nin+`"}`); err == nil && a.status == 200 {
					n++
				}
			}
			done <- n
		}()
		out, err := r.cmd("backup", "--data", data, "--out", filepath.Join(work, "backup.tar.gz"), "--token", r.token)
		cancel()
		n := <-done
		return fmt.Sprintf("%s (%d person lookups during it)", strings.TrimSpace(out), n), err
	})
	r.step("restore into an empty directory", func() (string, error) {
		dst := filepath.Join(work, "restored")
		out, err := r.cmd("restore", "--from", filepath.Join(work, "backup.tar.gz"), "--data", dst)
		if err != nil {
			return "", err
		}
		av, err := r.cmd("audit", "verify", "--data", dst)
		if err != nil {
			return "", err
		}
		iv, err := r.cmd("ain", "verify", "--data", dst)
		if err != nil {
			return "", err
		}
		for _, nin := range allocated {
			if out, err := r.cmd("audit", "who-looked-up", "--data", dst, "--nin", nin, "--json"); err != nil || !strings.Contains(out, `"route":"ain"`) {
				return "", fmt.Errorf("the restored audit log lacks the allocation of an AIN: %v", err)
			}
		}
		return strings.TrimSpace(out) + "; " + strings.TrimSpace(av) + "; " + strings.TrimSpace(iv) +
			fmt.Sprintf("; all %d AINs allocated before the backup have their audit record", len(allocated)), nil
	})
	r.step("stop the server", func() (string, error) {
		if err := r.serve.Process.Signal(syscall.SIGTERM); err != nil {
			return "", err
		}
		err := r.serve.Wait()
		r.serve = nil
		return "SIGTERM: clean exit", err
	})
}

// everyRoute asks every route of docs/api.md with real ids and checks the
// answers, plus the error classes; it returns the number of requests.
func (r *runner) everyRoute(ids *bench.IDs) (int, error) {
	n := 0
	get := func(path string, want int) (answer, error) {
		n++
		a, err := r.http("GET", r.api+path, r.token, "")
		if err == nil && a.status != want {
			err = fmt.Errorf("GET %s: %d, want %d: %.300s", path, a.status, want, a.body)
		}
		return a, err
	}
	post := func(path, body string, want int) (answer, error) {
		n++
		a, err := r.http("POST", r.api+path, r.token, body)
		if err == nil && a.status != want {
			err = fmt.Errorf("POST %s: %d, want %d: %.300s", path, a.status, want, a.body)
		}
		return a, err
	}
	first := func(re string, b []byte) string {
		m := regexp.MustCompile(re).FindSubmatch(b)
		if m == nil {
			return ""
		}
		return string(m[1])
	}
	her, org, hpr, resh := ids[bench.RouteHer][0], ids[bench.RouteOrg][0], ids[bench.RouteHPR][0], ids[bench.RouteResh][0]
	person, patient := ids[bench.RoutePerson][0], ids[bench.RouteGP][0]
	party, err := get("/v1/communication-parties/"+her, 200)
	if err != nil {
		return n, err
	}
	for _, p := range []string{"/v1/communication-parties/" + her + "/children", "/v1/organisations/" + org,
		"/v1/organisations/" + org + "/subunits", "/v1/resh/" + resh, "/v1/resh/" + resh + "?children=true&ancestors=true",
		"/v1/personnel/" + hpr + "?atTime=2026-01-01T00:00:00Z", "/v1/codes", "/v1/codes/9060",
		"/v1/communication-parties?name=" + strings.ToLower(strings.Fields(first(`"name":"([^"]+)"`, party.body) + " x")[0]),
		"/v1/events/organisations?after=0&limit=10", "/v1/events/communication-parties?after=0&limit=10",
		"/v1/events/personnel?after=0&limit=10", "/v1/events/gp?after=0&limit=10"} {
		if _, err := get(p, 200); err != nil {
			return n, err
		}
	}
	hp, err := get("/v1/personnel/"+hpr, 200)
	if err != nil {
		return n, err
	}
	if nin := first(`"nin":"(\d{11})"`, hp.body); nin != "" {
		if _, err := post("/v1/personnel/lookup", `{"nin":"`+nin+`"}`, 200); err != nil {
			return n, err
		}
	}
	if _, err := post("/v1/personnel/search", `{"familyName":"`+first(`"familyName":"([^"]+)"`, hp.body)+`"}`, 200); err != nil {
		return n, err
	}
	pa, err := post("/v1/persons/lookup", `{"nin":"`+person+`"}`, 200)
	if err != nil {
		return n, err
	}
	if _, err := post("/v1/persons/search", `{"familyName":"`+first(`"family":"([^"]+)"`, pa.body)+`","birthDate":"`+
		first(`"birthDate":"([^"]+)"`, pa.body)+`"}`, 200); err != nil {
		return n, err
	}
	bulk := `{"nins":["` + strings.Join(ids[bench.RoutePerson][:10], `","`) + `"]}`
	if _, err := post("/v1/persons/bulk", bulk, 200); err != nil {
		return n, err
	}
	gp, err := post("/v1/gp/lookup", `{"nin":"`+patient+`"}`, 200)
	if err != nil {
		return n, err
	}
	if _, err := post("/v1/gp/bulk", `{"nins":["`+strings.Join(ids[bench.RouteGP][:10], `","`)+`"]}`, 200); err != nil {
		return n, err
	}
	contract := first(`"gpContractId":(\d+)`, gp.body)
	if _, err := get("/v1/gp-contracts/"+contract, 200); err != nil {
		return n, err
	}
	if _, err := get("/v1/gp-contracts?orgnr="+first(`"gpOfficeOrganizationNumber":"(\d{9})"`, gp.body), 200); err != nil {
		return n, err
	}
	if _, err := post("/v1/ain", `{"givenName":"E2e","familyName":"Route","birthYear":1980,"gender":"ukjent"}`, 201); err != nil {
		return n, err
	}
	if _, err := get("/v1/events/persons?after=0&limit=10", 200); err != nil {
		return n, err
	}
	// Every id of the sample on the six lookup routes.
	for i := range ids[bench.RouteHer] {
		for _, p := range []string{"/v1/communication-parties/" + ids[bench.RouteHer][i]} {
			if _, err := get(p, 200); err != nil {
				return n, err
			}
		}
	}
	for _, rt := range []struct {
		r    bench.Route
		path string
	}{{bench.RouteOrg, "/v1/organisations/"}, {bench.RouteHPR, "/v1/personnel/"}, {bench.RouteResh, "/v1/resh/"}} {
		for _, id := range ids[rt.r] {
			if _, err := get(rt.path+id, 200); err != nil {
				return n, err
			}
		}
	}
	for _, id := range ids[bench.RoutePerson] {
		if _, err := post("/v1/persons/lookup", `{"nin":"`+id+`"}`, 200); err != nil {
			return n, err
		}
	}
	for _, id := range ids[bench.RouteGP] {
		if _, err := post("/v1/gp/lookup", `{"nin":"`+id+`"}`, 200); err != nil {
			return n, err
		}
	}
	// Error classes: bad ids, unknown ids, no token, wrong scope, bad body.
	for _, c := range []struct {
		method, path, token, body string
		want                      int
	}{
		{"GET", "/v1/organisations/12345678", r.token, "", 400},
		{"GET", "/v1/communication-parties/2147483647", r.token, "", 404},
		{"POST", "/v1/persons/lookup", r.token, `{"nin":"32810050019"}`, 400},
		{"POST", "/v1/persons/lookup", r.token, `{"nin":`, 400},
		{"GET", "/v1/organisations/" + org, "", "", 401},
		{"GET", "/v1/organisations/" + org, "not.a.token", "", 401},
		{"GET", "/v1/nothing", r.token, "", 404},
	} {
		n++
		a, err := r.http(c.method, r.api+c.path, c.token, c.body)
		if err != nil {
			return n, err
		}
		if a.status != c.want || a.ctype != "application/problem+json" {
			return n, fmt.Errorf("%s %s: %d %s, want %d problem+json", c.method, c.path, a.status, a.ctype, c.want)
		}
		if bytes.Contains(a.body, []byte("32810050019")) {
			return n, fmt.Errorf("an error body echoes the person number")
		}
	}
	return n, nil
}

func (r *runner) stopServer() {
	if r.serve != nil && r.serve.Process != nil {
		r.serve.Process.Signal(syscall.SIGTERM)
		r.serve.Wait()
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func (r *runner) writeReport() {
	var b strings.Builder
	day := r.started.Format("2006-01-02")
	fmt.Fprintf(&b, "# grunndata end-to-end system test, %s\n\n", day)
	version, _ := exec.Command(r.bin, "version").Output()
	passed := 0
	for _, s := range r.steps {
		if s.err == nil {
			passed++
		}
	}
	result := "PASSED"
	if passed != len(r.steps) || r.t.Failed() {
		result = "FAILED"
	}
	fmt.Fprintf(&b, "**%s**: %d of %d steps passed in %.1f s. Binary %s, preset `%s`, %s/%s, %d CPUs, started %s.\n\n",
		result, passed, len(r.steps), time.Since(r.started).Seconds(), strings.TrimSpace(string(version)), *presetFlag,
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), r.started.UTC().Format(time.RFC3339))
	if la, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Fprintf(&b, "Load average at the end (other work on the machine stretches the timings): %s.\n\n", strings.Join(strings.Fields(string(la))[:3], " "))
	}
	fmt.Fprintf(&b, "Run by `make e2e` (e2e/e2e_test.go). Each step runs the real binary as an operator would.\n\n")
	fmt.Fprintf(&b, "| # | Step | Result | Seconds | Detail |\n|---|---|---|---|---|\n")
	for i, s := range r.steps {
		res, detail := "passed", s.detail
		if s.err != nil {
			res, detail = "**FAILED**", s.err.Error()
		}
		detail = strings.ReplaceAll(strings.ReplaceAll(detail, "|", `\|`), "\n", " ")
		if len(detail) > 600 {
			detail = detail[:600] + "…"
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %.2f | %s |\n", i+1, s.name, res, s.took.Seconds(), detail)
	}
	p := filepath.Join(*reportDir, "e2e-report-"+day+".md")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		r.t.Errorf("write the report: %v", err)
		return
	}
	r.t.Logf("report: %s", p)
}
