package server

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/grunndata/grunndata/docs"
	"github.com/grunndata/grunndata/registry/auth"
)

// specOp is what the route test reads of an OpenAPI operation.
type specOp struct {
	Tags     []string               `json:"tags"`
	Security *[]map[string][]string `json:"security"`
}

var specMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// specOps returns "METHOD path" -> operation of docs/openapi.yaml, and the
// document's default security.
func specOps(t *testing.T) (map[string]specOp, []map[string][]string) {
	t.Helper()
	var doc struct {
		Security []map[string][]string                 `json:"security"`
		Paths    map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(docs.OpenAPIJSON(), &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string]specOp{}
	for p, item := range doc.Paths {
		for _, m := range specMethods {
			raw, ok := item[m]
			if !ok {
				continue
			}
			var op specOp
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatalf("%s %s: %v", m, p, err)
			}
			out[strings.ToUpper(m)+" "+p] = op
		}
	}
	return out, doc.Security
}

// requirement renders security requirements as sorted "scheme:scope1+scope2"
// alternatives ("" for none: a public operation).
func requirement(reqs []map[string][]string) []string {
	out := []string{}
	for _, r := range reqs {
		var parts []string
		for scheme, scopes := range r {
			s := slices.Clone(scopes)
			sort.Strings(s)
			parts = append(parts, scheme+":"+strings.Join(s, "+"))
		}
		sort.Strings(parts)
		out = append(out, strings.Join(parts, ","))
	}
	sort.Strings(out)
	return out
}

// tableRequirement is the security requirement a route's scope means: any
// one of its scopes, any valid token for AnyScope, none for public routes.
func tableRequirement(r RouteInfo) []string {
	switch {
	case r.Public:
		return []string{}
	case r.Session:
		return []string{"consoleSession:"}
	case r.Scope == auth.AnyScope:
		return []string{"helseid:"}
	}
	out := []string{}
	for _, n := range strings.Fields(r.Scope.String()) {
		out = append(out, "helseid:"+n)
	}
	sort.Strings(out)
	return out
}

// TestOpenAPIMatchesRouteTable: every route of the table (pattern and alias,
// every method it answers) is an operation of docs/openapi.yaml whose
// security requirement is the route's scope, and every operation of the
// spec not tagged admin (the admin listener's) is a route of the table.
func TestOpenAPIMatchesRouteTable(t *testing.T) {
	ops, def := specOps(t)
	inTable := map[string]bool{}
	for _, r := range Routes() {
		var methods []string
		switch r.Method {
		case mGet:
			methods = []string{"GET"}
		case mPost:
			methods = []string{"POST"}
		case mSOAP:
			methods = []string{"POST", "GET"}
		default:
			t.Fatalf("route %s: method %q", r.Name, r.Method)
		}
		for _, p := range []string{r.Pattern, r.Alias} {
			if p == "" {
				continue
			}
			for _, m := range methods {
				k := m + " " + p
				inTable[k] = true
				op, ok := ops[k]
				if !ok {
					t.Errorf("route %s: %s is not in docs/openapi.yaml", r.Name, k)
					continue
				}
				sec := def
				if op.Security != nil {
					sec = *op.Security
				}
				if got, want := requirement(sec), tableRequirement(r); !slices.Equal(got, want) {
					t.Errorf("route %s: %s has security %q in docs/openapi.yaml, the table's scope means %q", r.Name, k, got, want)
				}
				if slices.Contains(op.Tags, "admin") {
					t.Errorf("%s is tagged admin but is an API route", k)
				}
			}
		}
	}
	var extra []string
	for k, op := range ops {
		if !inTable[k] && !slices.Contains(op.Tags, "admin") {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	for _, k := range extra {
		t.Errorf("docs/openapi.yaml describes %s, which is not in the route table (tag admin operations of the admin listener)", k)
	}
}

// TestOpenAPIMatchesAdminRouteTable: every admin route is an operation of
// docs/openapi.yaml (the profiles under /debug/pprof/{profile}) tagged
// admin, with the route's scope as its security requirement, and every
// operation tagged admin is an admin route. /openapi.json is the API's
// operation, served on both listeners.
func TestOpenAPIMatchesAdminRouteTable(t *testing.T) {
	ops, def := specOps(t)
	seen := map[string]bool{}
	for _, r := range AdminRoutes() {
		k := r.Method + " " + r.Pattern
		if strings.HasPrefix(r.Pattern, "/debug/pprof/") && r.Pattern != "/debug/pprof/" {
			k = r.Method + " /debug/pprof/{profile}"
		}
		seen[k] = true
		op, ok := ops[k]
		if !ok {
			t.Errorf("admin route %s: %s is not in docs/openapi.yaml", r.Name, k)
			continue
		}
		if r.Pattern == "/openapi.json" {
			continue
		}
		if !slices.Contains(op.Tags, "admin") {
			t.Errorf("admin route %s: %s is not tagged admin", r.Name, k)
		}
		sec := def
		if op.Security != nil {
			sec = *op.Security
		}
		if got, want := requirement(sec), tableRequirement(r); !slices.Equal(got, want) {
			t.Errorf("admin route %s: %s has security %q in docs/openapi.yaml, the table's scope means %q", r.Name, k, got, want)
		}
	}
	for k, op := range ops {
		if slices.Contains(op.Tags, "admin") && !seen[k] {
			t.Errorf("docs/openapi.yaml describes the admin operation %s, which is not in adminRoutes", k)
		}
	}
}
