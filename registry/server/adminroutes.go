package server

import (
	"encoding/json"
	"net/http"
	"net/http/pprof"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/grunndata/grunndata/registry/auth"
	"github.com/grunndata/grunndata/registry/console"
	"github.com/grunndata/grunndata/registry/ops"
)

// The admin listener's route table (net/http), of the same route type as
// the API's: dispatch, the admin scope check, the metric labels of
// grunndata_admin_requests_total and the documentation test
// (routes_test.go: docs/api.md, "Admin listener") all read it. Routes
// without a scope are open (orchestrators and scrapers call them without
// tokens: bind the admin listener to loopback or a private network); the
// others need grunndata:admin when authentication is on. No admin route
// answers person lookups; the audit search (who looked a person up) is the
// admin's own tool.
var adminRoutes = []route{
	{name: "metrics", method: mGet, pattern: "/metrics", admin: func(a *admin) http.Handler {
		return promhttp.HandlerFor(a.cfg.Registry, promhttp.HandlerOpts{})
	}},
	{name: "healthz", method: mGet, pattern: "/healthz", admin: func(*admin) http.Handler { return http.HandlerFunc(healthz) }},
	{name: "readyz", method: mGet, pattern: "/readyz", admin: func(a *admin) http.Handler { return http.HandlerFunc(a.readyz) }},
	{name: "openapi", method: mGet, pattern: "/openapi.json", admin: func(*admin) http.Handler { return OpenAPIHandler() }},
	{name: "pprof", method: mGet, pattern: "/debug/pprof/", scope: auth.ScopeAdmin, admin: handlerFunc(pprof.Index)},
	{name: "pprof-cmdline", method: mGet, pattern: "/debug/pprof/cmdline", scope: auth.ScopeAdmin, admin: handlerFunc(pprof.Cmdline)},
	{name: "pprof-profile", method: mGet, pattern: "/debug/pprof/profile", scope: auth.ScopeAdmin, admin: handlerFunc(pprof.Profile)},
	{name: "pprof-symbol", method: mGet, pattern: "/debug/pprof/symbol", scope: auth.ScopeAdmin, admin: handlerFunc(pprof.Symbol)},
	{name: "pprof-trace", method: mGet, pattern: "/debug/pprof/trace", scope: auth.ScopeAdmin, admin: handlerFunc(pprof.Trace)},
	{name: "snapshots", method: mGet, pattern: "/admin/snapshots", scope: auth.ScopeAdmin, admin: snapshotRoute((*admin).listSnapshots)},
	{name: "snapshot-activate", method: mPost, pattern: "/admin/snapshots/{gen}/activate", scope: auth.ScopeAdmin,
		admin: snapshotRoute((*admin).activate)},
	{name: "snapshot-rollback", method: mPost, pattern: "/admin/snapshots/rollback", scope: auth.ScopeAdmin,
		admin: snapshotRoute((*admin).rollback)},
	{name: "audit-search", method: mGet, pattern: "/admin/audit", scope: auth.ScopeAdmin, admin: func(a *admin) http.Handler {
		if a.cfg.AuditDir == "" {
			return nil // the audit log is off
		}
		return AuditHandler(a.cfg.AuditDir, a.cfg.Store)
	}},
	{name: "certificate-report", method: mGet, pattern: "/admin/certificates", scope: auth.ScopeAdmin, admin: func(a *admin) http.Handler {
		if a.cfg.Store == nil {
			return nil
		}
		return CertReportHandler(a.cfg.Store, a.cfg.Clock)
	}},
	{name: "backup", method: mPost, pattern: "/admin/backup", scope: auth.ScopeAdmin, admin: func(a *admin) http.Handler { return a.cfg.Backup }},
	// The operator console (registry/console): a browser logs in with an
	// admin bearer token once (console-session) and then carries a session
	// cookie; the console checks it (and a CSRF token on every POST) on the
	// session routes. The login form and the stylesheet and script are open.
	{name: "console", method: mGet, pattern: "/console", scope: auth.ScopeAdmin, session: true, admin: consoleRoute((*console.Console).Page)},
	{name: "console-login", method: mGet, pattern: "/console/login", admin: consoleRoute((*console.Console).LoginForm)},
	{name: "console-session", method: mPost, pattern: "/console/session", admin: consoleRoute((*console.Console).Login)},
	{name: "console-logout", method: mPost, pattern: "/console/logout", scope: auth.ScopeAdmin, session: true, admin: consoleRoute((*console.Console).Logout)},
	{name: "console-activate", method: mPost, pattern: "/console/activate", scope: auth.ScopeAdmin, session: true, admin: consoleRoute((*console.Console).Activate)},
	{name: "console-rollback", method: mPost, pattern: "/console/rollback", scope: auth.ScopeAdmin, session: true, admin: consoleRoute((*console.Console).Rollback)},
	{name: "console-audit", method: mPost, pattern: "/console/audit", scope: auth.ScopeAdmin, session: true, admin: consoleRoute((*console.Console).Audit)},
	{name: "console-report", method: mGet, pattern: "/console/reports/{name}", scope: auth.ScopeAdmin, session: true, admin: consoleRoute((*console.Console).Report)},
	{name: "console-static", method: mGet, pattern: "/console/static/{name}", admin: consoleRoute((*console.Console).Static)},
}

// consoleRoute serves one of the console's handlers (nil without
// cfg.Console).
func consoleRoute(f func(*console.Console) http.Handler) func(*admin) http.Handler {
	return func(a *admin) http.Handler {
		if a.cfg.Console == nil {
			return nil
		}
		return f(a.cfg.Console)
	}
}

func handlerFunc(f http.HandlerFunc) func(*admin) http.Handler {
	return func(*admin) http.Handler { return f }
}

// AdminRoutes lists the admin listener's routes (for tests and tooling).
func AdminRoutes() []RouteInfo {
	out := make([]RouteInfo, 0, len(adminRoutes))
	for _, r := range adminRoutes {
		out = append(out, RouteInfo{Name: r.name, Method: r.method, Pattern: r.pattern, Scope: r.scope, Audited: r.audited, Public: r.scope == 0,
			Session: r.session})
	}
	return out
}

// admin is the admin listener: its config and per-route request counters.
type admin struct {
	cfg      AdminConfig
	requests *prometheus.CounterVec
}

// NewAdmin returns the admin listener's handler: the routes of adminRoutes
// whose dependencies cfg provides (the snapshot routes need Snapshots, the
// audit search AuditDir, the certificate report Store, the backup Backup).
func NewAdmin(cfg AdminConfig) http.Handler {
	a := &admin{cfg: cfg, requests: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "grunndata_admin_requests_total",
		Help: "Admin listener requests by route and status code.",
	}, []string{"route", "code"})}
	cfg.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		a.requests, &ops.StoreCollector{Status: cfg.Status, Cache: cfg.Cache})
	mux := http.NewServeMux()
	for i := range adminRoutes {
		r := &adminRoutes[i]
		if h := r.admin(a); h != nil {
			mux.Handle(r.pattern, a.serve(r, h))
		}
	}
	if cfg.Snapshots != nil {
		// Anything else under /admin/snapshots/: problem+json, not the mux's
		// plain-text 404.
		mux.Handle("/admin/snapshots/", a.serve(&route{name: "none", scope: auth.ScopeAdmin}, a.snapshotSeam(http.HandlerFunc(
			func(w http.ResponseWriter, r *http.Request) {
				writeAdminProblem(w, 404, CodeNoRoute, "No such route",
					"the routes are GET /admin/snapshots, POST /admin/snapshots/{gen}/activate and POST /admin/snapshots/rollback")
			}))))
	}
	// A path that names no route needs the admin scope too (an unauthenticated
	// caller learns nothing of the listener's routes).
	mux.Handle("/", a.serve(&route{name: "none", scope: auth.ScopeAdmin}, http.NotFoundHandler()))
	return mux
}

// serve wraps a route's handler: the scope check, then the handler, counted
// under the route's name.
func (a *admin) serve(r *route, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: 200}
		defer func() { a.requests.WithLabelValues(r.name, strconv.Itoa(sw.status)).Inc() }()
		if r.scope != 0 && !r.session && a.cfg.Auth != nil {
			switch _, aerr := a.cfg.Auth.RequireAdmin([]byte(req.Header.Get("Authorization"))); {
			case aerr == auth.ErrNotAdmin:
				writeHTTPProblem(sw, 403, bodyNotAdmin)
				return
			case aerr != nil:
				sw.Header().Set("WWW-Authenticate", authHeaders[aerr])
				writeHTTPProblem(sw, 401, authBodies[aerr])
				return
			}
		}
		h.ServeHTTP(sw, req)
	})
}

// statusWriter remembers the status a handler writes.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush passes flushes through (streamed profiles and backups).
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// snapshotRoute builds a snapshot administration route (nil without
// cfg.Snapshots), wrapped by the AdminAuth seam.
func snapshotRoute(f func(a *admin, w http.ResponseWriter, r *http.Request)) func(*admin) http.Handler {
	return func(a *admin) http.Handler {
		if a.cfg.Snapshots == nil {
			return nil
		}
		return a.snapshotSeam(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { f(a, w, r) }))
	}
}

// snapshotSeam wraps h in cfg.AdminAuth (nil: none).
func (a *admin) snapshotSeam(h http.Handler) http.Handler {
	if a.cfg.AdminAuth == nil {
		return h
	}
	return a.cfg.AdminAuth(h)
}

func (a *admin) listSnapshots(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET")
		writeAdminProblem(w, 405, CodeMethodNotAllowed, "Method not allowed", "GET /admin/snapshots lists the generations")
		return
	}
	list, err := a.cfg.Snapshots.List()
	if list == nil {
		list = []ops.SnapshotInfo{}
	}
	writeAdminAnswer(w, list, err)
}

func (a *admin) activate(w http.ResponseWriter, r *http.Request) {
	if postOnly(w, r) {
		info, err := a.cfg.Snapshots.Activate(r.PathValue("gen"))
		writeAdminAnswer(w, info, err)
	}
}

func (a *admin) rollback(w http.ResponseWriter, r *http.Request) {
	if postOnly(w, r) {
		info, err := a.cfg.Snapshots.Rollback()
		writeAdminAnswer(w, info, err)
	}
}

// postOnly answers 405 to anything but a POST and reports whether r is one.
func postOnly(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodPost {
		return true
	}
	w.Header().Set("Allow", "POST")
	writeAdminProblem(w, 405, CodeMethodNotAllowed, "Method not allowed", "activation and rollback are POSTs")
	return false
}

// writeAdminAnswer writes v as indented JSON, or err as a problem.
func writeAdminAnswer(w http.ResponseWriter, v any, err error) {
	var b []byte
	if err == nil {
		b, err = json.MarshalIndent(v, "", "  ")
	}
	if err != nil {
		writeAdminError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(append(b, '\n'))
}
