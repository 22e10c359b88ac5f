package server

import (
	"net/http/httptest"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/grunndata/grunndata/registry/auth/authtest"
	"github.com/grunndata/grunndata/registry/ops"
)

// documented returns the "METHOD /path" of every route named in a table row
// of a doc (query strings cut).
func documented(t *testing.T, file string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("`(GET|POST) (/(?:(?:v[0-9]|cp)/[^` ?]*|openapi\\.json))")
	out := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "|") {
			continue
		}
		for _, m := range re.FindAllStringSubmatch(line, -1) {
			out[m[1]+" "+m[2]] = true
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s documents no route", file)
	}
	return out
}

// TestRouteTableIsDocumented: every route of the table (and its alias) is in
// the route table of docs/api.md, or docs/soap.md for the SOAP routes, and
// every route the tables of either document is in the route table.
func TestRouteTableIsDocumented(t *testing.T) {
	docs := map[string]map[string]bool{"api": documented(t, "../../docs/api.md"), "soap": documented(t, "../../docs/soap.md")}
	inTable := map[string]map[string]bool{"api": {}, "soap": {}}
	for _, r := range Routes() {
		doc, method := "api", r.Method
		switch {
		case method == mSOAP:
			doc, method = "soap", mPost
		case strings.HasPrefix(r.Pattern, "/cp/"):
			doc = "soap" // NHN's REST shape is documented with the SOAP façades
		}
		for _, p := range []string{r.Pattern, r.Alias} {
			if p == "" {
				continue
			}
			k := method + " " + p
			inTable[doc][k] = true
			if !docs[doc][k] {
				t.Errorf("route %s (%s) is not in the route table of docs/%s.md", r.Name, k, doc)
			}
		}
	}
	for doc, m := range docs {
		var missing []string
		for k := range m {
			if inTable["api"][k] || inTable["soap"][k] {
				continue
			}
			// A concrete path (GET /v1/events/persons) names the route it matches.
			method, path, _ := strings.Cut(k, " ")
			if rt, _ := match([]byte(path)); rt != routeNone && strings.Contains(routes[rt].method, method) {
				continue
			}
			missing = append(missing, k)
		}
		sort.Strings(missing)
		for _, k := range missing {
			t.Errorf("docs/%s.md documents %s, which is not in the route table", doc, k)
		}
	}
}

// TestRouteMatching: every pattern finds its route with an id in its {x},
// literal segments win over {x}, and near misses find no route.
func TestRouteMatching(t *testing.T) {
	for i, r := range routes[1:] {
		for _, p := range []string{r.pattern, r.alias} {
			if p == "" {
				continue
			}
			path := strings.NewReplacer("{herId}", "80001", "{orgnr}", "923609016", "{reshId}", "7", "{hpr}", "9",
				"{id}", "5", "{register}", "persons", "{oid}", "9060").Replace(p)
			rt, id := match([]byte(path))
			if rt != routeID(i+1) {
				t.Errorf("%s matches route %q, want %q", path, routes[rt].name, r.name)
			}
			if strings.Contains(p, "{") != (len(id) > 0) {
				t.Errorf("%s: id %q", path, id)
			}
		}
	}
	for _, c := range []struct{ path, route, id string }{
		{"/v1/personnel/search", "personnel-search", ""},
		{"/v1/personnel/lookup", "personnel-lookup", ""},
		{"/v1/communication-parties/", "communication-party", ""},
		{"/v1/communication-parties/80001/certificates/history", "communication-party-certificate-history", "80001"},
		{"/v1/codes", "codes", ""},
		{"/v2/flr/Basic", "soap-flr", ""},
		{"/v1/communication-parties/80001/x", "none", ""},
		{"/v1/ARX", "none", ""},
		{"/v1/AR/Basic/x", "none", ""},
		{"/v1", "none", ""},
		{"/", "none", ""},
		{"", "none", ""},
		{"/v1/organisations/923609016/", "none", ""},
	} {
		rt, id := match([]byte(c.path))
		if routes[rt].name != c.route || string(id) != c.id {
			t.Errorf("%q: route %q id %q, want %q %q", c.path, routes[rt].name, id, c.route, c.id)
		}
	}
}

// TestAdminRouteTableIsDocumented: every admin route is in the admin
// listener's route table of docs/api.md with its scope, and every route
// that table documents is in adminRoutes.
func TestAdminRouteTableIsDocumented(t *testing.T) {
	b, err := os.ReadFile("../../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("^\\| `(GET|POST) (/(?:admin|console|metrics|healthz|readyz|debug|openapi\\.json)[^` ?]*)[^`]*` \\| ([^|]*) \\|")
	docs := map[string]string{} // route → documented scope
	_, section, _ := strings.Cut(string(b), "\n## Admin listener\n")
	section, _, _ = strings.Cut(section, "\n## ")
	for _, line := range strings.Split(section, "\n") {
		if m := re.FindStringSubmatch(line); m != nil {
			docs[m[1]+" "+m[2]] = strings.TrimSpace(m[3])
		}
	}
	if len(docs) < 5 {
		t.Fatalf("docs/api.md documents %d admin routes", len(docs))
	}
	inTable := map[string]bool{}
	for _, r := range AdminRoutes() {
		k := r.Method + " " + r.Pattern
		inTable[k] = true
		want := "—"
		if r.Scope != 0 {
			want = "`" + r.Scope.String() + "`"
		}
		switch scope, ok := docs[k]; {
		case !ok:
			t.Errorf("admin route %s (%s) is not in the admin route table of docs/api.md", r.Name, k)
		case scope != want:
			t.Errorf("docs/api.md gives %s the scope %s, the table %s", k, scope, want)
		}
	}
	for k := range docs {
		if !inTable[k] {
			t.Errorf("docs/api.md documents the admin route %s, which is not in adminRoutes", k)
		}
	}
}

// TestAdminRoutesScopeAndMetrics: with authentication on, a route with a
// scope refuses a caller without a token (401) and the open routes answer;
// each request is counted under its route's name.
func TestAdminRoutesScopeAndMetrics(t *testing.T) {
	ti := authtest.NewIssuer(t)
	reg := prometheus.NewRegistry()
	h := NewAdmin(AdminConfig{Status: func() ops.StoreStatus { return ops.StoreStatus{Generation: "000001"} }, Registry: reg,
		Auth: ti.Authenticator(t, nil), Snapshots: &fakeSnapshots{active: "000001"}})
	admin := "Bearer " + ti.Token(t, func(o *authtest.TokenOpts) { o.Scope = "grunndata:admin" })
	other := "Bearer " + ti.Token(t, nil)
	for _, c := range []struct {
		method, path, token string
		status              int
	}{
		{"GET", "/healthz", "", 200},
		{"GET", "/readyz", "", 200},
		{"GET", "/metrics", "", 200},
		{"GET", "/admin/snapshots", "", 401},
		{"GET", "/admin/snapshots", other, 403},
		{"GET", "/admin/snapshots", admin, 200},
		{"GET", "/debug/pprof/", "", 401},
		{"GET", "/nothing", "", 401},
		{"GET", "/nothing", admin, 404},
	} {
		req := httptest.NewRequest(c.method, c.path, nil)
		if c.token != "" {
			req.Header.Set("Authorization", c.token)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != c.status {
			t.Errorf("%s %s: %d %s, want %d", c.method, c.path, w.Code, w.Body, c.status)
		}
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "grunndata_admin_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			k := ""
			for _, l := range m.GetLabel() {
				k += l.GetValue() + " "
			}
			got[strings.TrimSpace(k)] = m.GetCounter().GetValue()
		}
	}
	for k, want := range map[string]float64{"401 snapshots": 1, "403 snapshots": 1, "200 snapshots": 1, "200 healthz": 1, "401 none": 1, "404 none": 1, "401 pprof": 1} {
		if got[k] != want {
			t.Errorf("grunndata_admin_requests_total{%s} = %v, want %v (all: %v)", k, got[k], want, got)
		}
	}
}
