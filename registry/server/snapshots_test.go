package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/grunndata/grunndata/registry/ops"
)

type fakeSnapshots struct{ active string }

func (f *fakeSnapshots) List() ([]ops.SnapshotInfo, error) {
	return []ops.SnapshotInfo{{Generation: "000001"}, {Generation: "000002", Active: f.active == "000002"}}, nil
}

func (f *fakeSnapshots) Activate(gen string) (ops.ActivationInfo, error) {
	switch gen {
	case "000001", "000002":
		prev := f.active
		f.active = gen
		return ops.ActivationInfo{Generation: gen, Previous: prev}, nil
	case "000003":
		return ops.ActivationInfo{}, fmt.Errorf("%w: generation 000003 does not verify: file 000004.sst is missing", ops.ErrGenerationRefused)
	case "000009":
		return ops.ActivationInfo{}, fmt.Errorf("%w: generation 000009", ops.ErrNoSuchGeneration)
	}
	return ops.ActivationInfo{}, fmt.Errorf("%w: %q", ops.ErrInvalidGeneration, gen)
}

func (f *fakeSnapshots) Rollback() (ops.ActivationInfo, error) {
	return ops.ActivationInfo{}, ops.ErrNoRollbackTarget
}

func TestAdminSnapshotRoutes(t *testing.T) {
	var authed []string
	h := NewAdmin(AdminConfig{
		Status:    func() ops.StoreStatus { return ops.StoreStatus{} },
		Registry:  prometheus.NewRegistry(),
		Snapshots: &fakeSnapshots{active: "000001"},
		AdminAuth: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				authed = append(authed, r.Method+" "+r.URL.Path)
				if r.Header.Get("X-Deny") != "" {
					writeHTTPProblem(w, 403, bodyNotAdmin) // as the admin scope check refuses
					return
				}
				next.ServeHTTP(w, r)
			})
		},
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	cases := []struct {
		method, path string
		status       int
		ctype, want  string
	}{
		{"GET", "/admin/snapshots", 200, "application/json", `"generation": "000002"`},
		{"POST", "/admin/snapshots/000002/activate", 200, "application/json", `"previous": "000001"`},
		{"POST", "/admin/snapshots/000003/activate", 409, "application/problem+json", `file 000004.sst is missing`},
		{"POST", "/admin/snapshots/000009/activate", 404, "application/problem+json", `"code":"no_such_generation"`},
		{"POST", "/admin/snapshots/12x/activate", 400, "application/problem+json", `"code":"invalid_generation"`},
		{"POST", "/admin/snapshots/rollback", 409, "application/problem+json", `"code":"no_rollback_target"`},
		{"GET", "/admin/snapshots/000002/activate", 405, "application/problem+json", `"code":"method_not_allowed"`},
		{"GET", "/admin/snapshots/rollback", 405, "application/problem+json", `"code":"method_not_allowed"`},
		{"POST", "/admin/snapshots", 405, "application/problem+json", `"code":"method_not_allowed"`},
		{"GET", "/admin/snapshots/000002/nothing", 404, "application/problem+json", `"code":"no_route"`},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, srv.URL+c.path, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != c.status || res.Header.Get("Content-Type") != c.ctype || !strings.Contains(string(b), c.want) {
			t.Errorf("%s %s: %d %s %s; want %d %s containing %s", c.method, c.path, res.StatusCode,
				res.Header.Get("Content-Type"), b, c.status, c.ctype, c.want)
		}
		if !json.Valid(b) {
			t.Errorf("%s %s: not JSON: %s", c.method, c.path, b)
		}
	}
	if len(authed) != len(cases) {
		t.Fatalf("the admin auth seam saw %d of %d requests: %v", len(authed), len(cases), authed)
	}
	req, _ := http.NewRequest("POST", srv.URL+"/admin/snapshots/000001/activate", nil)
	req.Header.Set("X-Deny", "1")
	if res, _ := http.DefaultClient.Do(req); res.StatusCode != 403 {
		t.Fatalf("the seam did not refuse: %d", res.StatusCode)
	}
	// /readyz and /healthz stay outside the seam.
	if res, _ := http.Get(srv.URL + "/healthz"); res.StatusCode != 200 || len(authed) != len(cases)+1 {
		t.Fatalf("healthz %d, seam saw %d", res.StatusCode, len(authed))
	}
	_ = errors.New
}
