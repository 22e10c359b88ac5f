package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/loader/loadertest"
	"github.com/grunndata/grunndata/registry/audit"
)

// authMain starts the daemon with authentication on against a development
// key in a temporary directory; mint returns tokens for it.
func authMain(t *testing.T, data string) (*Main, func(scopes ...string) string) {
	t.Helper()
	keyDir := t.TempDir()
	key, err := devKey(keyDir)
	if err != nil {
		t.Fatal(err)
	}
	m := MustRunMain(t, data, func(c *ServeConfig) {
		c.Security.AuthOff = false
		c.Security.JWKS = filepath.Join(keyDir, devJWKSFile)
		c.Security.Auth.Issuer, c.Security.Auth.Audience = devIssuer, devAudience
	})
	mint := func(scopes ...string) string {
		tok, err := mintToken(key, TokenClaims{Scopes: scopes, ClientID: "epj-test-client", OrgnrParent: "999999999",
			OrgnrChild: "888888888", TTL: time.Hour, Issuer: devIssuer, Audience: devAudience}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	return m, mint
}

func doAuth(t *testing.T, method, url, token, body string) response {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	checkContract(t, res)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode == 401 && res.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("401 without WWW-Authenticate")
	}
	return response{res.StatusCode, res.Header.Get("Content-Type"), b}
}

func TestAuthEndToEnd(t *testing.T) {
	data, _ := loadertest.Snapshot(t)
	m, mint := authMain(t, data)
	id := findIDs(t, m)
	api := "http://" + m.APIAddr()
	org := mint("grunndata:organisation.read")
	person := mint("grunndata:person.read")
	cases := []struct {
		name, method, path, token, body string
		status                          int
		want                            string
	}{
		{"no-token", "GET", "/v1/organisations/" + id.orgnr, "", "", 401, `"code":"unauthorized"`},
		{"bad-token", "GET", "/v1/organisations/" + id.orgnr, "x.y.z", "", 401, `malformed token`},
		{"scope-ok", "GET", "/v1/organisations/" + id.orgnr, org, "", 200, id.orgnr},
		{"scope-missing", "POST", "/v1/persons/lookup", org, `{"nin":"` + id.gpPatient + `"}`, 403, `grunndata:person.read`},
		{"gp-scope-missing", "POST", "/v1/gp/lookup", person, `{"nin":"` + id.gpPatient + `"}`, 403, `grunndata:gp.read`},
		{"person", "POST", "/v1/persons/lookup", person, `{"nin":"` + id.gpPatient + `"}`, 200, id.gpPatient},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := doAuth(t, c.method, api+c.path, c.token, c.body)
			if r.status != c.status || !bytes.Contains(r.body, []byte(c.want)) {
				t.Fatalf("%d %s, want %d with %s", r.status, r.body, c.status, c.want)
			}
		})
	}
	// The person lookup above is in the audit log with the caller.
	var out bytes.Buffer
	if code := run(context.Background(), []string{"audit", "who-looked-up", "--data", data, "--nin", id.gpPatient}, &out, io.Discard); code != 0 {
		t.Fatalf("who-looked-up exit %d", code)
	}
	if !strings.Contains(out.String(), "client_id=epj-test-client") || !strings.Contains(out.String(), "orgnr_parent=999999999") {
		t.Fatalf("who-looked-up:\n%s", out.String())
	}
	// The admin listener answers the same question, for admins only.
	admin := "http://" + m.AdminAddr() + "/admin/audit?subject=" + id.gpPatient
	if r := doAuth(t, "GET", admin, person, ""); r.status != 403 {
		t.Fatalf("/admin/audit without the admin scope: %d", r.status)
	}
	if r := doAuth(t, "GET", admin, "", ""); r.status != 401 {
		t.Fatalf("/admin/audit without a token: %d", r.status)
	}
	if r := doAuth(t, "GET", admin, mint("grunndata:admin"), ""); r.status != 200 || !bytes.Contains(r.body, []byte(`"clientId":"epj-test-client"`)) {
		t.Fatalf("/admin/audit: %d %s", r.status, r.body)
	}
	// `snapshots activate --admin` sends its --token: refused without one,
	// done with an admin token (reactivating the active generation).
	gen, err := index.ReadActive(data)
	if err != nil {
		t.Fatal(err)
	}
	if code, _, e := runCLI(t, "snapshots", "activate", gen, "--admin", m.AdminAddr(), "--token", ""); code != 1 || !strings.Contains(e, "401") {
		t.Fatalf("snapshots activate --admin without a token: exit %d %s", code, e)
	}
	if code, out, e := runCLI(t, "snapshots", "activate", gen, "--admin", m.AdminAddr(), "--token", mint("grunndata:admin")); code != 0 || !strings.Contains(out, "generation "+gen+" serves") {
		t.Fatalf("snapshots activate --admin --token: exit %d %s%s", code, out, e)
	}
	if r := doAuth(t, "GET", "http://"+m.AdminAddr()+"/metrics", "", ""); r.status != 200 {
		t.Fatalf("/metrics needs no token: %d", r.status)
	}
	// The refused lookup (403) never reached the person and is not audited;
	// exactly one access is recorded.
	if n := strings.Count(out.String(), "\n"); n != 1 {
		t.Fatalf("who-looked-up lists %d accesses, want 1:\n%s", n, out.String())
	}
}

// protectedAddressValues reads the source files and returns, for each
// protected person, the strings of their addresses that must never reach a
// restricted caller.
func protectedAddressValues(t *testing.T, src string) map[string][]string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(src, "freg", "*.json.gz"))
	out := map[string][]string{}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		zr, _ := gzip.NewReader(fh)
		var resp struct {
			Oppslag []struct {
				NIN    string                     `json:"foedselsEllerDNummer"`
				Person map[string]json.RawMessage `json:"folkeregisterperson"`
			} `json:"oppslag"`
		}
		if err := json.NewDecoder(zr).Decode(&resp); err != nil {
			t.Fatal(err)
		}
		fh.Close()
		for _, o := range resp.Oppslag {
			raw, _ := json.Marshal(o.Person)
			if !bytes.Contains(raw, []byte(`"fortrolig"`)) && !bytes.Contains(raw, []byte(`"strengtFortrolig"`)) &&
				!bytes.Contains(raw, []byte(`"klientadresse"`)) {
				continue
			}
			var vals []string
			for _, k := range []string{"bostedsadresse", "oppholdsadresse", "postadresse", "deltBosted", "postadresseIUtlandet"} {
				collectStrings(o.Person[k], &vals)
			}
			out[o.NIN] = vals
		}
	}
	if len(out) == 0 {
		t.Fatal("no protected persons in the dataset")
	}
	return out
}

// collectStrings gathers the address values (names and numbers) in raw,
// skipping metadata and gradings.
func collectStrings(raw json.RawMessage, out *[]string) {
	if len(raw) == 0 {
		return
	}
	var v any
	json.Unmarshal(raw, &v)
	var walk func(key string, v any)
	walk = func(key string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				walk(k, c)
			}
		case []any:
			for _, c := range x {
				walk(key, c)
			}
		case string:
			switch key {
			case "ajourholdstidspunkt", "gyldighetstidspunkt", "opphoerstidspunkt", "kilde", "aarsak", "adressegradering", "flyttedato",
				"landkode", "land": // a country code is also the citizenship, not an address
				return
			}
			if len(x) >= 3 {
				*out = append(*out, `"`+x+`"`)
			}
		case float64:
			if key == "gaardsnummer" || key == "bruksnummer" {
				*out = append(*out, `"`+key+`":`)
			}
		}
	}
	walk("", v)
}

// TestProtectedAddressSweep asks every person route about every protected
// person with a restricted token and checks no byte of their addresses is in
// any response, and that their GP answer identifies no GP (gpWithheld); with
// the protected scope they are there (the control). Then it loads a second
// dataset and sweeps the persons and GP feeds the same way.
func TestProtectedAddressSweep(t *testing.T) {
	data, src := loadertest.Snapshot(t)
	m, mint := authMain(t, data)
	api := "http://" + m.APIAddr()
	restricted := mint("grunndata:person.read", "grunndata:gp.read", "grunndata:personnel.read", "grunndata:organisation.read",
		"grunndata:person.feed")
	full := mint("grunndata:person.read-protected", "grunndata:gp.read", "grunndata:person.feed")
	protected := protectedAddressValues(t, src)
	routes := []string{"/v1/persons/lookup", "/v1/gp/lookup", "/v1/personnel/lookup", "/v1/persons/bulk", "/v1/gp/bulk"}
	seen := 0
	for nin, vals := range protected {
		body := `{"nin":"` + nin + `"}`
		for _, rt := range routes {
			rb := body
			if strings.HasSuffix(rt, "/bulk") {
				rb = `{"nins":["` + nin + `"]}`
			}
			r := doAuth(t, "POST", api+rt, restricted, rb)
			if r.status != 200 && r.status != 404 {
				t.Fatalf("%s: status %d %s", rt, r.status, r.body)
			}
			for _, v := range vals {
				if bytes.Contains(r.body, []byte(v)) {
					t.Fatalf("%s leaks %s of a protected person to a restricted caller: %s", rt, v, r.body)
				}
			}
			if rt == "/v1/gp/lookup" && r.status == 200 {
				checkWithheldGP(t, rt, r.body)
			}
			if rt == "/v1/gp/bulk" {
				var bulk struct {
					Items []struct {
						GP json.RawMessage `json:"gp"`
					} `json:"items"`
				}
				json.Unmarshal(r.body, &bulk)
				if len(bulk.Items) == 1 && bulk.Items[0].GP != nil {
					checkWithheldGP(t, rt, bulk.Items[0].GP)
				}
			}
			if rt == "/v1/persons/lookup" || rt == "/v1/persons/bulk" {
				if !bytes.Contains(r.body, []byte(`"addressesWithheld":true`)) || bytes.Contains(r.body, []byte(`"addressProtection":"ugradert"`)) {
					t.Fatalf("restricted view does not say the person is protected: %s", r.body)
				}
			}
		}
		// Search by name finds them (restricted view); adding their own postal
		// code or municipality must not, or a caller could learn where they live.
		var pr struct {
			NIN  string `json:"nin"`
			Name struct {
				Family string `json:"family"`
			} `json:"name"`
		}
		json.Unmarshal(doAuth(t, "POST", api+"/v1/persons/lookup", full, body).body, &pr)
		sr := doAuth(t, "POST", api+"/v1/persons/search", restricted, `{"familyName":"`+pr.Name.Family+`","limit":1000}`)
		var items struct {
			Items []json.RawMessage `json:"items"`
		}
		json.Unmarshal(sr.body, &items)
		var mine json.RawMessage // other people of the same name have their own addresses
		for _, it := range items.Items {
			if bytes.Contains(it, []byte(`"nin":"`+nin+`"`)) {
				mine = it
			}
		}
		if mine == nil || !bytes.Contains(mine, []byte(`"addressesWithheld":true`)) {
			t.Fatalf("name search does not find the protected person in its restricted view: %.300s", sr.body)
		}
		for _, v := range vals {
			if bytes.Contains(mine, []byte(v)) {
				t.Fatalf("search leaks %s of a protected person: %s", v, mine)
			}
		}
		locs := protectedLocations(vals)
		controlHit := false
		for _, loc := range locs {
			q := `{"familyName":"` + pr.Name.Family + `",` + loc + `,"limit":1000}`
			if r := doAuth(t, "POST", api+"/v1/persons/search", restricted, q); bytes.Contains(r.body, []byte(`"nin":"`+nin+`"`)) {
				t.Fatalf("location filter %s matches a protected person for a restricted caller", loc)
			}
			if r := doAuth(t, "POST", api+"/v1/persons/search", full, q); bytes.Contains(r.body, []byte(`"nin":"`+nin+`"`)) {
				controlHit = true
			}
		}
		if len(locs) > 0 && !controlHit {
			t.Fatalf("no location filter finds the person even with read-protected (control): %v", locs)
		}
		r := doAuth(t, "POST", api+"/v1/persons/lookup", full, body)
		hasAny := false
		for _, v := range vals {
			hasAny = hasAny || bytes.Contains(r.body, []byte(v))
		}
		if len(vals) > 0 && !hasAny {
			t.Fatalf("full view lacks the address (control): %s", r.body)
		}
		seen++
	}
	t.Logf("%d protected persons swept over %d routes", seen, len(routes))

	// The feeds: a second dataset makes every person and GP patient of it
	// an upsert; no page may carry a protected person's address or GP.
	src2 := loadSecondDataset(t, data)
	waitFor(t, func() bool { return m.Store().Active().ID() == "000002" })
	protected2 := protectedAddressValues(t, src2)
	for _, feed := range []string{"persons", "gp"} {
		items := feedItems(t, api, feed, restricted)
		hits := 0
		for _, it := range items {
			var ev struct {
				ID     string          `json:"id"`
				Entity json.RawMessage `json:"entity"`
			}
			json.Unmarshal(it, &ev)
			if protected2[ev.ID] == nil || ev.Entity == nil {
				continue
			}
			hits++
			checkProtectedObjects(t, "/v1/events/"+feed, it, protected2)
			if feed == "persons" && !bytes.Contains(ev.Entity, []byte(`"addressesWithheld":true`)) {
				t.Fatalf("persons feed: a protected person's entity is not withheld: %.300s", ev.Entity)
			}
		}
		if hits == 0 {
			t.Fatalf("the %s feed holds no protected person: the sweep proves nothing", feed)
		}
		// Control: with read-protected, the feed carries the full views.
		fullItems := feedItems(t, api, feed, full)
		control := false
		for _, it := range fullItems {
			control = control || bytes.Contains(it, []byte(`"gpContractId":`)) && feed == "gp"
			for n, vals := range protected2 {
				if feed == "persons" && bytes.Contains(it, []byte(`"id":"`+n+`"`)) && len(vals) > 0 && bytes.Contains(it, []byte(vals[0])) {
					control = true
				}
			}
			if control {
				break
			}
		}
		if !control {
			t.Fatalf("the %s feed lacks the full view for read-protected (control)", feed)
		}
		// Every page was audited naming every subject on it.
		audited := auditedSubjects(t, data)["events-"+feed]
		for _, it := range items {
			var ev struct {
				ID   json.RawMessage `json:"id"`
				Kind string          `json:"kind"`
			}
			json.Unmarshal(it, &ev)
			var n string
			if json.Unmarshal(ev.ID, &n) == nil && len(n) == 11 && !audited[n] {
				t.Fatalf("the %s feed returned %s without an audit record naming them", feed, n)
			}
		}
		t.Logf("%s feed: %d items, %d about protected persons", feed, len(items), hits)
	}
}

const childEnv = "GRUNNDATA_TEST_AUDIT_CHILD"

// TestAuditChild is the server process of TestAuditDurability; it does
// nothing in a normal run.
func TestAuditChild(t *testing.T) {
	if os.Getenv(childEnv) == "" {
		t.Skip("helper process")
	}
	data := os.Getenv("GRUNNDATA_TEST_DATA")
	cfg := DefaultServeConfig()
	cfg.DataDir, cfg.Addr, cfg.AdminAddr = data, "127.0.0.1:0", "127.0.0.1:0"
	cfg.Security = DefaultSecurityConfig()
	cfg.Security.AuthOff = true
	cfg.Security.AuditMaxMB = 1
	m := &Main{Config: cfg}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(data, "child-addr"), []byte(m.APIAddr()), 0o644)
	select {} // until killed
}

// TestAuditDurability kills the server with SIGKILL while clients look
// persons up, many times, and checks that every answered request has its
// audit record and that the chain verifies after each crash.
func TestAuditDurability(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess crash test")
	}
	data, _ := loadertest.Snapshot(t)
	pcfg := DefaultServeConfig()
	pcfg.DataDir, pcfg.Addr, pcfg.AdminAddr = data, "127.0.0.1:0", "127.0.0.1:0"
	pcfg.Security = DefaultSecurityConfig()
	pcfg.Security.AuthOff, pcfg.Security.AuditOff = true, true
	probe := &Main{Config: pcfg}
	if err := probe.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	id := findIDs(t, probe)
	probe.Close() // the child opens the same data directory
	var acked atomic.Int64
	for iter := 0; iter < 6; iter++ {
		os.Remove(filepath.Join(data, "child-addr"))
		cmd := exec.Command(os.Args[0], "-test.run=^TestAuditChild$")
		cmd.Env = append(os.Environ(), childEnv+"=1", "GRUNNDATA_TEST_DATA="+data)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var addr []byte
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if addr, _ = os.ReadFile(filepath.Join(data, "child-addr")); len(addr) > 0 {
				break
			}
		}
		if len(addr) == 0 {
			cmd.Process.Kill()
			t.Fatal("child did not start")
		}
		url := "http://" + string(addr) + "/v1/persons/lookup"
		stop := make(chan struct{})
		var wg sync.WaitGroup
		client := &http.Client{Timeout: 5 * time.Second}
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					res, err := client.Post(url, "application/json", strings.NewReader(`{"nin":"`+id.gpPatient+`"}`))
					if err != nil {
						continue // the server died mid-request: not acknowledged
					}
					b, err := io.ReadAll(res.Body)
					res.Body.Close()
					if err == nil && res.StatusCode == 200 && bytes.Contains(b, []byte(id.gpPatient)) {
						acked.Add(1)
					}
				}
			}()
		}
		time.Sleep(time.Duration(50+rand.IntN(250)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		close(stop)
		wg.Wait()
		n, err := audit.Verify(filepath.Join(data, "audit"))
		if err != nil {
			t.Fatalf("iteration %d: audit chain after kill -9: %v", iter, err)
		}
		if n < acked.Load() {
			t.Fatalf("iteration %d: %d answered requests but only %d audit records survived kill -9", iter, acked.Load(), n)
		}
	}
	if acked.Load() == 0 {
		t.Fatal("no request was answered")
	}
	t.Logf("%d answered requests across 6 kill -9 crashes, all audited", acked.Load())
}

// protectedLocations turns a protected person's address values into search
// filters on their own postal code and municipality.
func protectedLocations(vals []string) []string {
	var out []string
	for _, v := range vals {
		s := strings.Trim(v, `"`)
		if len(s) == 4 && strings.Trim(s, "0123456789") == "" {
			out = append(out, `"postalCode":"`+s+`"`, `"municipality":"`+s+`"`)
		}
	}
	return out
}
