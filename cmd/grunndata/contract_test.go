package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/grunndata/grunndata/docs"
	"github.com/grunndata/grunndata/docs/openapitest"
	"github.com/grunndata/grunndata/loader/loadertest"
	"github.com/grunndata/grunndata/registry/auth"
	"github.com/grunndata/grunndata/registry/server"
	"github.com/grunndata/grunndata/registry/soap"
)

func TestMain(m *testing.M) {
	// Every response a test receives over http.DefaultTransport (the
	// helpers do, doAuth, soapPost, and every client without a Transport of
	// its own) is checked against docs/openapi.yaml; a drift fails the run.
	rec, err := openapitest.Install()
	if err != nil {
		fmt.Fprintln(os.Stderr, "docs/openapi.yaml:", err)
		os.Exit(1)
	}
	code := m.Run()
	if raceFixtureDir != "" {
		os.RemoveAll(raceFixtureDir)
	}
	os.Exit(rec.Exit(code, os.Stderr))
}

// checkContract fails t when the transport found res to drift from
// docs/openapi.yaml (TestMain fails the run anyway; this names the test).
func checkContract(t testing.TB, res *http.Response) {
	t.Helper()
	if v := res.Header.Get(openapitest.ViolationHeader); v != "" {
		t.Errorf("response drifts from docs/openapi.yaml: %s", v)
	}
}

// contractCase is one request of TestEveryRouteMeetsContract.
type contractCase struct {
	method, path, ctype, body string
	status                    int
	code                      string // the problem code of an error
}

// TestEveryRouteMeetsContract sends every route of the route table and of
// the admin listener one valid and one invalid request on the small preset,
// with authentication on, plus every class of error once; the transport
// checks each response against docs/openapi.yaml (status, headers, media
// type, body schema), so this covers success and problem+json answers of
// every route even where the other suites do not.
func TestEveryRouteMeetsContract(t *testing.T) {
	data, _ := loadertest.Snapshot(t)
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
	mint := func(client string, scopes ...string) string {
		tok, err := mintToken(key, TokenClaims{Scopes: scopes, ClientID: client, OrgnrParent: "999999999",
			OrgnrChild: "888888888", TTL: time.Hour, Issuer: devIssuer, Audience: devAudience}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	all := mint("contract-all", auth.ScopeNames()...)
	id := findIDs(t, m)
	api, admin := "http://"+m.APIAddr(), "http://"+m.AdminAddr()
	const js = "application/json"
	const form = "application/x-www-form-urlencoded"
	const ct12 = "application/soap+xml; charset=utf-8"
	nin := func(n string) string { return `{"nin":"` + n + `"}` }
	soapEnv := func(svc *soap.Service, op, inner string) string {
		return `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><` + op + ` xmlns="` + svc.NS + `">` +
			inner + `</` + op + `></s:Body></s:Envelope>`
	}
	her, hpr := u(id.her), u(id.hpr)
	// One valid and one invalid request per route of the table.
	cases := map[string][2]contractCase{
		"communication-party": {{"GET", "/v1/communication-parties/" + her, "", "", 200, ""},
			{"GET", "/v1/communication-parties/0" + her, "", "", 400, "invalid_identifier"}},
		"organisation": {{"GET", "/v1/organisations/" + id.orgnr, "", "", 200, ""},
			{"GET", "/v1/organisations/123456789", "", "", 400, "invalid_identifier"}},
		"resh": {{"GET", "/v1/resh/" + u(id.resh) + "?children=true&ancestors=true", "", "", 200, ""},
			{"GET", "/v1/resh/" + u(id.resh) + "?children=yes", "", "", 400, "invalid_parameter"}},
		"personnel": {{"GET", "/v1/personnel/" + hpr + "?atTime=2026-01-05", "", "", 200, ""},
			{"GET", "/v1/personnel/2147483646", "", "", 404, "not_found"}},
		"gp-contract": {{"GET", "/v1/gp-contracts/" + u(id.contract), "", "", 200, ""},
			{"GET", "/v1/gp-contracts/x", "", "", 400, "invalid_identifier"}},
		"person-lookup": {{"POST", "/v1/persons/lookup", js, nin(id.protected), 200, ""},
			{"POST", "/v1/persons/lookup", js, `{"nin":"01810050019","x":1}`, 400, "invalid_body"}},
		"personnel-lookup": {{"POST", "/v1/personnel/lookup", js, nin(id.hprNIN), 200, ""},
			{"POST", "/v1/personnel/lookup", js, nin(unknownNIN), 404, "not_found"}},
		"gp-lookup": {{"POST", "/v1/gp/lookup", js, nin(id.gpPatient), 200, ""},
			{"POST", "/v1/gp/lookup", js, nin("01810050018"), 400, "invalid_identifier"}},
		"communication-party-children": {{"GET", "/v1/communication-parties/" + her + "/children?limit=2", "", "", 200, ""},
			{"GET", "/v1/communication-parties/" + her + "/children?limit=0", "", "", 400, "invalid_parameter"}},
		"communication-party-search": {{"GET", "/v1/communication-parties?name=legesenter&limit=3", "", "", 200, ""},
			{"GET", "/v1/communication-parties?colour=red", "", "", 400, "invalid_parameter"}},
		"organisation-subunits": {{"GET", "/v1/organisations/" + id.orgnr + "/subunits", "", "", 200, ""},
			{"GET", "/v1/organisations/" + id.orgnr + "/subunits?limit=1001", "", "", 400, "invalid_parameter"}},
		"person-bulk": {{"POST", "/v1/persons/bulk", js, `{"nins":["` + id.protected + `","` + id.gpPatient + `","12","` + unknownNIN + `",7]}`, 200, ""},
			{"POST", "/v1/persons/bulk", js, `{"nins":[` + strings.Repeat(`"01810050019",`, 1000) + `"01810050019"]}`, 400, "too_many_items"}},
		"gp-bulk": {{"POST", "/v1/gp/bulk", js, `{"nins":["` + id.protected + `","` + id.gpPatient + `","12","` + unknownNIN + `"]}`, 200, ""},
			{"POST", "/v1/gp/bulk", js, `{"nins":"01810050019"}`, 400, "invalid_body"}},
		"codes": {{"GET", "/v1/codes/9060", "", "", 200, ""},
			{"GET", "/v1/codes/1", "", "", 404, "not_found"}},
		"ain": {{"POST", "/v1/ain", js, `{"givenName":"Ukjent","familyName":"Pasient","notes":"kom inn\tmed ambulanse"}`, 201, ""},
			{"POST", "/v1/ain", js, `{"givenName":"a\u0001b"}`, 400, "invalid_body"}},
		"gp-contract-list": {{"GET", "/v1/gp-contracts?limit=3", "", "", 200, ""},
			{"GET", "/v1/gp-contracts?orgnr=12", "", "", 400, "invalid_identifier"}},
		"person-search": {{"POST", "/v1/persons/search", js, `{"birthDate":"1990","limit":5}`, 200, ""},
			{"POST", "/v1/persons/search", js, `{"familyName":"K."}`, 400, "invalid_name"}},
		"personnel-search": {{"POST", "/v1/personnel/search", js, `{"category":"LE","limit":5}`, 200, ""},
			{"POST", "/v1/personnel/search", js, `{"name":"*"}`, 400, "invalid_name"}},
		"events": {{"GET", "/v1/events/communication-parties?after=0&limit=5", "", "", 200, ""},
			{"GET", "/v1/events/nothing", "", "", 404, "not_found"}},
		"soap-ar": {{"POST", "/v1/AR", ct12, soapEnv(soap.AR(), "GetCommunicationPartyDetails", "<herId>"+her+"</herId>"), 200, ""},
			{"POST", "/v1/AR", "text/plain", "<x/>", 415, "unsupported_media_type"}},
		"soap-hpr": {{"POST", "/v2/HPR/Basic", "text/xml; charset=utf-8", `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><HentPerson xmlns="` + soap.HPR().NS + `"><hprNummer>` + hpr + `</hprNummer></HentPerson></s:Body></s:Envelope>`, 200, ""},
			{"GET", "/v2/HPR", "", "", 405, "method_not_allowed"}},
		"soap-flr": {{"GET", "/v2/flr?wsdl", "", "", 200, ""},
			{"POST", "/v2/flr", js, "{}", 415, "unsupported_media_type"}},
		"communication-party-certificates": {{"GET", "/v1/communication-parties/" + her + "/certificates?usage=encryption", "", "", 200, ""},
			{"GET", "/v1/communication-parties/" + her + "/certificates?usage=both", "", "", 400, "invalid_parameter"}},
		"communication-party-certificate-history": {{"GET", "/v1/communication-parties/" + her + "/certificates/history", "", "", 200, ""},
			{"GET", "/v1/communication-parties/2147483646/certificates/history", "", "", 404, "not_found"}},
		"communication-party-certificate-fallback": {{"GET", "/v1/communication-parties/" + her + "/certificates/fallback", "", "", 200, ""},
			{"GET", "/v1/communication-parties/-1/certificates/fallback", "", "", 400, "invalid_identifier"}},
		"organisation-certificates": {{"GET", "/v1/organisations/" + id.arOrgnr + "/certificates", "", "", 200, ""},
			{"GET", "/v1/organisations/" + id.orgnr + "/certificates?usage=x", "", "", 400, "invalid_parameter"}},
		"certificate-search": {{"GET", "/v1/certificates?cn=a&limit=3", "", "", 200, ""},
			{"GET", "/v1/certificates?cn=a&ou=b", "", "", 400, "invalid_parameter"}},
		"cp-communication-party": {{"GET", "/cp/communicationparty/" + her, "", "", 200, ""},
			{"GET", "/cp/communicationparty/2147483646", "", "", 404, "not_found"}},
		"cp-event": {{"GET", "/cp/event?fromSequenceNumber=1&limit=5", "", "", 200, ""},
			{"GET", "/cp/event?fromSequenceNumber=x", "", "", 400, "invalid_parameter"}},
		"personnel-history": {{"GET", "/v1/personnel/" + hpr + "/history", "", "", 200, ""},
			{"GET", "/v1/personnel/" + hpr + "/history?atTime=tomorrow", "", "", 400, "invalid_parameter"}},
		"personnel-bulk": {{"POST", "/v1/personnel/bulk?atTime=2026-01-05", js, `{"hprNumbers":[` + hpr + `,"` + hpr + `",2147483646,"01",7.5]}`, 200, ""},
			{"POST", "/v1/personnel/bulk", js, `{"hprNumbers":[` + strings.Repeat(hpr+`,`, 1000) + hpr + `]}`, 400, "too_many_items"}},
		"openapi": {{"GET", "/openapi.json", "", "", 200, ""},
			{"POST", "/openapi.json", js, "{}", 405, "method_not_allowed"}},
	}
	send := func(t *testing.T, base, tok string, c contractCase) response {
		t.Helper()
		req, _ := http.NewRequest(c.method, base+c.path, strings.NewReader(c.body))
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		if c.ctype != "" {
			req.Header.Set("Content-Type", c.ctype)
		}
		if c.status == 413 {
			// The server refuses by Content-Length and closes: without
			// waiting for 100 Continue the client may still be writing.
			req.Header.Set("Expect", "100-continue")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		checkContract(t, res)
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != c.status {
			t.Fatalf("%s %s: status %d, want %d: %.300s", c.method, c.path, res.StatusCode, c.status, b)
		}
		if c.code != "" && !bytes.Contains(b, []byte(`"code":"`+c.code+`"`)) {
			t.Fatalf("%s %s: want code %s: %.300s", c.method, c.path, c.code, b)
		}
		return response{res.StatusCode, res.Header.Get("Content-Type"), b}
	}
	for _, r := range server.Routes() {
		cs, ok := cases[r.Name]
		if !ok {
			t.Errorf("route %s has no contract case: add a valid and an invalid request", r.Name)
			continue
		}
		t.Run(r.Name, func(t *testing.T) {
			send(t, api, all, cs[0])
			send(t, api, all, cs[1])
		})
	}
	// The restricted views of a caller without person.read-protected.
	plain := mint("contract-plain", "grunndata:person.read", "grunndata:gp.read", "grunndata:person.feed")
	for _, c := range []contractCase{
		{"POST", "/v1/persons/lookup", js, nin(id.protected), 200, ""},
		{"POST", "/v1/gp/bulk", js, `{"nins":["` + id.protected + `","` + id.gpPatient + `"]}`, 200, ""},
		{"POST", "/v1/persons/bulk", js, `{"nins":["` + id.protected + `"]}`, 200, ""},
		{"GET", "/v1/events/persons?limit=3", "", "", 200, ""},
	} {
		t.Run("restricted "+c.path, func(t *testing.T) {
			if r := send(t, api, plain, c); c.path == "/v1/persons/lookup" && !bytes.Contains(r.body, []byte(`"addressesWithheld":true`)) {
				t.Fatalf("not the restricted view: %s", r.body)
			}
		})
	}
	// Every class of error once (the rate limit below).
	orgOnly := mint("contract-org", "grunndata:organisation.read")
	for _, c := range []struct {
		name, tok string
		c         contractCase
	}{
		{"no-token", "", contractCase{"GET", "/v1/organisations/" + id.orgnr, "", "", 401, "unauthorized"}},
		{"bad-token", "x.y.z", contractCase{"POST", "/v1/persons/lookup", js, nin(id.gpPatient), 401, "unauthorized"}},
		{"missing-scope", orgOnly, contractCase{"POST", "/v1/gp/bulk", js, `{"nins":[]}`, 403, "forbidden"}},
		{"feed-scope", orgOnly, contractCase{"GET", "/v1/events/persons", "", "", 403, "forbidden"}},
		{"method", all, contractCase{"DELETE", "/v1/gp-contracts/" + u(id.contract), "", "", 405, "method_not_allowed"}},
		{"head", all, contractCase{"HEAD", "/v1/communication-parties/" + her, "", "", 200, ""}},
		{"media-type", all, contractCase{"POST", "/v1/personnel/search", "text/plain", `{}`, 415, "unsupported_media_type"}},
		{"body-too-large", all, contractCase{"POST", "/v1/ain", js, `{"notes":"` + strings.Repeat("x", 70<<10) + `"}`, 413, "body_too_large"}},
		{"no-route", all, contractCase{"GET", "/v1/organisations/" + id.orgnr + "/x", "", "", 404, "no_route"}},
		{"gone-feed", all, contractCase{"GET", "/v1/events/organisations?after=x", "", "", 400, "invalid_parameter"}},
	} {
		t.Run("error-"+c.name, func(t *testing.T) { send(t, api, c.tok, c.c) })
	}

	// The admin listener: every operation of the spec tagged admin gets a
	// valid and an invalid request (a spec path the listener does not serve
	// answers an undocumented 404 and fails).
	adminTok := mint("contract-admin", "grunndata:admin")
	adminCases := map[string][2]contractCase{
		"GET /healthz":      {{"GET", "/healthz", "", "", 200, ""}, {"HEAD", "/healthz", "", "", 200, ""}},
		"GET /readyz":       {{"GET", "/readyz", "", "", 200, ""}, {"HEAD", "/readyz", "", "", 200, ""}},
		"GET /metrics":      {{"GET", "/metrics", "", "", 200, ""}, {"HEAD", "/metrics", "", "", 200, ""}},
		"GET /debug/pprof/": {{"GET", "/debug/pprof/", "", "", 200, ""}, {"GET", "/debug/pprof/nothing", "", "", 404, ""}},
		"GET /debug/pprof/{profile}": {{"GET", "/debug/pprof/heap?debug=1", "", "", 200, ""},
			{"GET", "/debug/pprof/goroutine", "", "", 200, ""}},
		"GET /admin/snapshots": {{"GET", "/admin/snapshots", "", "", 200, ""},
			{"DELETE", "/admin/snapshots", "", "", 405, "method_not_allowed"}},
		"POST /admin/snapshots/{gen}/activate": {{"POST", "/admin/snapshots/000001/activate", "", "", 200, ""},
			{"POST", "/admin/snapshots/x/activate", "", "", 400, "invalid_generation"}},
		"POST /admin/snapshots/rollback": {{"POST", "/admin/snapshots/rollback", "", "", 409, "no_rollback_target"},
			{"GET", "/admin/snapshots/rollback", "", "", 405, "method_not_allowed"}},
		"GET /admin/certificates": {{"GET", "/admin/certificates?days=90", "", "", 200, ""},
			{"GET", "/admin/certificates?days=-1", "", "", 400, ""}},
		"GET /admin/audit": {{"GET", "/admin/audit?subject=" + id.gpPatient, "", "", 200, ""},
			{"GET", "/admin/audit?subject=123", "", "", 400, "invalid_identifier"}},
		"POST /admin/backup": {{"POST", "/admin/backup", "", "", 200, ""},
			{"GET", "/admin/backup", "", "", 405, ""}},
		// The console: a bearer token opens no session (303 to the login
		// form, which the client follows; 401 for a POST);
		// TestConsoleRefusesNonAdminAndCSRF logs in.
		"GET /console":                {{"GET", "/console", "", "", 200, ""}, {"POST", "/console", "", "", 405, ""}},
		"GET /console/login":          {{"GET", "/console/login", "", "", 200, ""}, {"DELETE", "/console/login", "", "", 405, ""}},
		"POST /console/session":       {{"POST", "/console/session", form, "csrf=x&token=y", 403, ""}, {"GET", "/console/session", "", "", 405, ""}},
		"POST /console/logout":        {{"POST", "/console/logout", form, "csrf=x", 401, ""}, {"GET", "/console/logout", "", "", 405, ""}},
		"POST /console/activate":      {{"POST", "/console/activate", form, "csrf=x&gen=000001", 401, ""}, {"GET", "/console/activate", "", "", 405, ""}},
		"POST /console/rollback":      {{"POST", "/console/rollback", form, "csrf=x", 401, ""}, {"GET", "/console/rollback", "", "", 405, ""}},
		"POST /console/audit":         {{"POST", "/console/audit", form, "csrf=x&nin=" + id.gpPatient, 401, ""}, {"GET", "/console/audit", "", "", 405, ""}},
		"GET /console/reports/{name}": {{"GET", "/console/reports/000001-rejects.jsonl", "", "", 200, ""}, {"POST", "/console/reports/x", "", "", 405, ""}},
		"GET /console/static/{name}":  {{"GET", "/console/static/console.css", "", "", 200, ""}, {"GET", "/console/static/nothing.js", "", "", 404, ""}},
	}
	ops := specAdminOps(t)
	for _, k := range ops {
		cs, ok := adminCases[k]
		if !ok {
			t.Errorf("admin operation %s of docs/openapi.yaml has no contract case", k)
			continue
		}
		t.Run("admin "+k, func(t *testing.T) {
			send(t, admin, adminTok, cs[0])
			send(t, admin, adminTok, cs[1])
		})
	}
	for k := range adminCases {
		if !slices.Contains(ops, k) {
			t.Errorf("contract case %s is not an admin operation of docs/openapi.yaml", k)
		}
	}
	send(t, admin, "", contractCase{"GET", "/admin/snapshots", "", "", 401, "unauthorized"})
	send(t, admin, orgOnly, contractCase{"POST", "/admin/backup", "", "", 403, "forbidden"})
	// /openapi.json is on both listeners, without a token.
	send(t, admin, "", contractCase{"GET", "/openapi.json", "", "", 200, ""})
	send(t, admin, "", contractCase{"PUT", "/openapi.json", "", "", 405, "method_not_allowed"})
	send(t, admin, adminTok, contractCase{"GET", "/admin/snapshots/000001", "", "", 404, "no_route"})
}

// specAdminOps lists "METHOD path" of the operations tagged admin.
func specAdminOps(t *testing.T) []string {
	t.Helper()
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(docs.OpenAPIJSON(), &doc); err != nil {
		t.Fatal(err)
	}
	var out []string
	for p, item := range doc.Paths {
		for _, m := range []string{"get", "post", "put", "delete", "patch"} {
			var op struct {
				Tags []string `json:"tags"`
			}
			if raw, ok := item[m]; ok && json.Unmarshal(raw, &op) == nil && slices.Contains(op.Tags, "admin") {
				out = append(out, strings.ToUpper(m)+" "+p)
			}
		}
	}
	sort.Strings(out)
	if len(out) < 5 {
		t.Fatalf("docs/openapi.yaml has only %d admin operations", len(out))
	}
	return out
}

// TestRateLimitMeetsContract: a spent rate limit answers 429 with
// Retry-After as docs/openapi.yaml says.
func TestRateLimitMeetsContract(t *testing.T) {
	data, _ := loadertest.Snapshot(t)
	keyDir := t.TempDir()
	key, err := devKey(keyDir)
	if err != nil {
		t.Fatal(err)
	}
	m := MustRunMain(t, data, func(c *ServeConfig) {
		c.Security.AuthOff = false
		c.Security.JWKS = filepath.Join(keyDir, devJWKSFile)
		c.Security.Auth.Issuer, c.Security.Auth.Audience = devIssuer, devAudience
		// One request, then a refill every ~3 hours: the second is refused.
		c.Security.Auth.RatePerSecond, c.Security.Auth.Burst = 0.0001, 1
	})
	tok, err := mintToken(key, TokenClaims{Scopes: []string{"grunndata:organisation.read"}, ClientID: "contract-rate",
		TTL: time.Hour, Issuer: devIssuer, Audience: devAudience}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + m.APIAddr() + "/v1/codes"
	if r := doAuth(t, "GET", url, tok, ""); r.status != 200 {
		t.Fatalf("first request: %d %s", r.status, r.body)
	}
	if r := doAuth(t, "GET", url, tok, ""); r.status != 429 || !bytes.Contains(r.body, []byte(`"code":"too_many_requests"`)) {
		t.Fatalf("second request: %d %s", r.status, r.body)
	}
}
