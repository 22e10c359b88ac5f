package server

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/grunndata/grunndata/registry"
	"github.com/grunndata/grunndata/registry/auth"
	"github.com/grunndata/grunndata/registry/cache"
	"github.com/grunndata/grunndata/registry/console"
	"github.com/grunndata/grunndata/registry/ops"
)

// AdminConfig configures the admin listener (adminRoutes).
type AdminConfig struct {
	// Status returns the store's status; it must be cheap and safe to call
	// concurrently.
	Status func() ops.StoreStatus
	Cache  *cache.Cache
	// Registry receives the collectors; /metrics serves it.
	Registry *prometheus.Registry
	// Auth, when set, checks the routes with a scope: a bearer token with
	// grunndata:admin. nil lets every caller of the admin listener in, which
	// is what binding it to localhost assumes.
	Auth *auth.Authenticator
	// Snapshots, when set, serves GET /admin/snapshots, POST
	// /admin/snapshots/{gen}/activate and POST /admin/snapshots/rollback.
	Snapshots ops.Snapshots
	// AdminAuth wraps the snapshot routes: the seam for a check on them
	// alone (nil: none).
	AdminAuth func(http.Handler) http.Handler
	// Store and Clock (nil: time.Now), when Store is set, serve GET
	// /admin/certificates (and, with AuditDir, the audit search resolves a
	// person's numbers).
	Store registry.Store
	Clock func() time.Time
	// AuditDir, when set, serves GET /admin/audit?subject= from the audit
	// log there.
	AuditDir string
	// Backup, when set, serves POST /admin/backup.
	Backup http.Handler
	// Console, when set, serves the operator console (/console and below).
	Console *console.Console
	// ReadyDetail adds entries to /readyz's body (e.g. "fleet": a
	// replica's fleet state); each func must be cheap.
	ReadyDetail map[string]func() any
}

func healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	w.Write([]byte("ok\n"))
}

// readyz answers 200 with the active generation's status, 503 without one.
func (a *admin) readyz(w http.ResponseWriter, _ *http.Request) {
	st := a.cfg.Status()
	w.Header().Set("Content-Type", "application/json")
	body := map[string]any{"ready": st.Generation != ""}
	if st.Generation != "" {
		body["generation"] = st.Generation
		body["activeSince"] = st.ActivatedAt.UTC().Format(time.RFC3339Nano)
		body["activations"] = st.Activations
		body["generationReads"] = st.Served
		body["generationRequests"] = st.Requests
		body["generations"] = st.Generations
		if st.LastActivation != nil {
			body["lastActivation"] = st.LastActivation
		}
		body["openGenerations"] = st.OpenGenerations
	} else {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	for k, f := range a.cfg.ReadyDetail {
		body[k] = f()
	}
	json.NewEncoder(w).Encode(body)
}
