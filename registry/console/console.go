// Package console is the operator console on the admin listener: one
// server-rendered page (html/template, with its CSS and a little script
// embedded in the binary; nothing is fetched from the network) that shows
// the active generation and its manifest, the generation history with
// activate and roll-back buttons, the latest loads and activation, the API's
// request rate, error ratio and latency percentiles per route over the last
// minutes (Sampler), the cache hit ratios, the fleet in fleet mode, and
// answers "who looked this person up" (audited as an admin access).
//
// Authentication: the operator pastes a bearer token with grunndata:admin
// into the login form (POST /console/session); the console checks it with
// the listener's authenticator and answers with a session cookie
// (HttpOnly, SameSite=Strict, Secure when the request came over TLS, path
// /console) that expires with the token and after SessionTTL at the latest.
// A token without the admin scope is refused (403). The token itself is
// never stored in the browser.
//
// CSRF: every form carries the session's synchronizer token, compared in
// constant time; the login form, before a session exists, carries a
// double-submit nonce from a SameSite=Strict cookie. Every POST whose Origin
// (or Sec-Fetch-Site) names another site is refused as well.
//
// registry/server routes the console's paths (adminRoutes) to the handlers
// of a Console.
package console

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"sync"
	"time"

	"github.com/grunndata/grunndata/registry"
	"github.com/grunndata/grunndata/registry/audit"
	"github.com/grunndata/grunndata/registry/auth"
	"github.com/grunndata/grunndata/registry/ops"
)

//go:embed templates/*.html static/*
var assets embed.FS

// Cookie names. The session cookie's path is /console.
const (
	SessionCookie = "grunndata_console"
	loginCookie   = "grunndata_console_login"
	// AuditRoute is the route name of the console's audit searches in the
	// audit log.
	AuditRoute = "console-audit-search"
)

// Config is what the console shows and acts on. Only Status is required;
// a section whose source is nil is left out.
type Config struct {
	// Auth checks the login token. nil: the admin listener runs without
	// authentication, and the login form opens a session without a token.
	Auth *auth.Authenticator
	// Status is the store's status (active generation, activations, block
	// cache counters).
	Status func() ops.StoreStatus
	// Snapshots lists, activates and rolls back generations.
	Snapshots ops.Snapshots
	// ReportsDir holds the loads' reject and warning reports
	// (<gen>-rejects.jsonl, <gen>-warnings.jsonl).
	ReportsDir string
	// Loads returns the latest loads (newest first).
	Loads func() []Load
	// Sampler holds the API's recent metrics.
	Sampler *Sampler
	// Store resolves a person's other numbers for the audit search; AuditDir
	// is the audit log searched; Audit records each search.
	Store    registry.Store
	AuditDir string
	Audit    audit.Auditor
	// Fleet returns the fleet table (nil: not in fleet mode).
	Fleet func(ctx context.Context) (*FleetView, error)
	// Clock (nil: time.Now); SessionTTL caps a session's life (0: 8 h).
	Clock      func() time.Time
	SessionTTL time.Duration
	Log        *slog.Logger
}

// Load is one load or delta of the data directory.
type Load struct {
	At         time.Time
	Generation string
	Parent     string
	Delta      bool
	Seconds    float64
	Error      string
	Activated  bool
	Records    int64
	Rejects    int64
}

// FleetView is the fleet table.
type FleetView struct {
	Generation string
	Revision   uint64
	History    []string
	Published  []string
	Replicas   []FleetReplica
}

// FleetReplica is one replica's heartbeat.
type FleetReplica struct {
	Name, API, Generation, State, Error string
	Lag                                 int
	HeartbeatAgo                        time.Duration
}

// Console serves the console's routes.
type Console struct {
	cfg    Config
	tmpl   *template.Template
	static http.Handler

	mu       sync.Mutex
	sessions map[string]*session
}

type session struct {
	csrf    string
	caller  audit.Caller
	expires time.Time
	flash   *flash
}

type flash struct {
	OK   bool
	Text string
}

// maxSessions bounds the session table; the oldest session goes first.
const maxSessions = 256

// New returns a console over cfg.
func New(cfg Config) (*Console, error) {
	if cfg.Status == nil {
		return nil, errors.New("console: Status is required")
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 8 * time.Hour
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	t, err := template.New("console").Funcs(funcs).ParseFS(assets, "templates/*.html")
	if err != nil {
		return nil, err
	}
	st, err := fs.Sub(assets, "static")
	if err != nil {
		return nil, err
	}
	return &Console{cfg: cfg, tmpl: t, static: http.StripPrefix("/console/static/", http.FileServerFS(st)),
		sessions: map[string]*session{}}, nil
}

// Handlers, one per route of the admin listener's table.

// Page is GET /console: the console, or a redirect to the login form.
func (c *Console) Page() http.Handler {
	return c.authed(false, func(w http.ResponseWriter, r *http.Request, s *session) {
		c.render(w, r, http.StatusOK, s, nil)
	})
}

// LoginForm is GET /console/login.
func (c *Console) LoginForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !method(w, r, http.MethodGet) {
			return
		}
		c.loginPage(w, r, http.StatusOK, "")
	})
}

// Login is POST /console/session: a token with grunndata:admin for a
// session cookie.
func (c *Console) Login() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !method(w, r, http.MethodPost) || !c.form(w, r) {
			return
		}
		ck, err := r.Cookie(loginCookie)
		if err != nil || !sameOrigin(r) || !equal(ck.Value, r.PostForm.Get("csrf")) {
			c.loginPage(w, r, http.StatusForbidden, "The login form expired or came from another site. Try again.")
			return
		}
		caller := audit.Caller{ClientID: "anonymous (authentication off)"}
		expires := c.cfg.Clock().Add(c.cfg.SessionTTL)
		if c.cfg.Auth != nil {
			tok := bytes.TrimSpace([]byte(r.PostForm.Get("token")))
			tok = bytes.TrimPrefix(tok, []byte("Bearer "))
			p, aerr := c.cfg.Auth.RequireAdmin(append([]byte("Bearer "), tok...))
			switch {
			case aerr == auth.ErrNotAdmin:
				c.loginPage(w, r, http.StatusForbidden, "This token does not carry the scope grunndata:admin.")
				return
			case aerr != nil:
				c.loginPage(w, r, http.StatusUnauthorized, "The token was refused: "+aerr.Error()+".")
				return
			}
			caller = audit.Caller{ClientID: p.ClientID, OrgnrParent: p.OrgnrParent, OrgnrChild: p.OrgnrChild, OrgnrSupplier: p.OrgnrSupplier}
			if !p.Expiry.IsZero() && p.Expiry.Before(expires) {
				expires = p.Expiry
			}
		}
		id := c.newSession(caller, expires)
		http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: "", Path: "/console", MaxAge: -1, HttpOnly: true,
			SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
		http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: id, Path: "/console", Expires: expires,
			MaxAge: max(int(expires.Sub(c.cfg.Clock()).Seconds()), 1), HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
		c.cfg.Log.Info("console login", "client", caller.ClientID)
		http.Redirect(w, r, "/console", http.StatusSeeOther)
	})
}

// Logout is POST /console/logout.
func (c *Console) Logout() http.Handler {
	return c.authed(true, func(w http.ResponseWriter, r *http.Request, s *session) {
		if ck, err := r.Cookie(SessionCookie); err == nil {
			c.mu.Lock()
			delete(c.sessions, ck.Value)
			c.mu.Unlock()
		}
		http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/console", MaxAge: -1, HttpOnly: true,
			SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
		http.Redirect(w, r, "/console/login", http.StatusSeeOther)
	})
}

var genRE = regexp.MustCompile(`^[0-9]{6}$`)

// Activate is POST /console/activate (gen; confirm=yes does it, without it
// the answer is a confirmation page).
func (c *Console) Activate() http.Handler {
	return c.authed(true, func(w http.ResponseWriter, r *http.Request, s *session) {
		if c.cfg.Snapshots == nil {
			c.message(w, r, http.StatusNotFound, s, "Generations are not managed by this server.")
			return
		}
		gen := r.PostForm.Get("gen")
		if !genRE.MatchString(gen) {
			c.message(w, r, http.StatusBadRequest, s, "A generation id is six digits.")
			return
		}
		if r.PostForm.Get("confirm") != "yes" {
			c.confirm(w, r, s, "activate", gen)
			return
		}
		info, err := c.cfg.Snapshots.Activate(gen)
		c.cfg.Log.Info("console activation", "client", s.caller.ClientID, "generation", gen, "err", err)
		c.done(w, r, s, info, err)
	})
}

// Rollback is POST /console/rollback (confirm=yes, as Activate).
func (c *Console) Rollback() http.Handler {
	return c.authed(true, func(w http.ResponseWriter, r *http.Request, s *session) {
		if c.cfg.Snapshots == nil {
			c.message(w, r, http.StatusNotFound, s, "Generations are not managed by this server.")
			return
		}
		if r.PostForm.Get("confirm") != "yes" {
			c.confirm(w, r, s, "rollback", "")
			return
		}
		info, err := c.cfg.Snapshots.Rollback()
		c.cfg.Log.Info("console rollback", "client", s.caller.ClientID, "generation", info.Generation, "err", err)
		c.done(w, r, s, info, err)
	})
}

func (c *Console) done(w http.ResponseWriter, r *http.Request, s *session, info ops.ActivationInfo, err error) {
	f := &flash{OK: err == nil}
	switch {
	case err != nil:
		f.Text = "Refused: " + err.Error() + ". The active generation keeps serving."
	case info.NoOp:
		f.Text = fmt.Sprintf("Generation %s was already active.", info.Generation)
	case info.Rollback:
		f.Text = fmt.Sprintf("Rolled back from %s to %s in %.0f ms.", info.Previous, info.Generation, info.TotalMS)
	default:
		f.Text = fmt.Sprintf("Generation %s is active (was %s), in %.0f ms.", info.Generation, dash(info.Previous), info.TotalMS)
	}
	c.mu.Lock()
	s.flash = f
	c.mu.Unlock()
	http.Redirect(w, r, "/console", http.StatusSeeOther)
}

// Audit is POST /console/audit (nin): every audited access to the person,
// by any of their numbers. The search itself is audited (route
// AuditRoute, the session's caller) before it runs; the number travels in
// the body only and is never logged.
func (c *Console) Audit() http.Handler {
	return c.authed(true, func(w http.ResponseWriter, r *http.Request, s *session) {
		res := &auditResult{}
		if c.cfg.AuditDir == "" || c.cfg.Audit == nil {
			res.Error = "The audit log of this server is not searchable here (audit off, or the fleet's audit stream: use grunndata audit on the stream)."
			c.render(w, r, http.StatusNotFound, s, res)
			return
		}
		nin := r.PostForm.Get("nin")
		n, _, err := registry.ParseNIN([]byte(nin))
		if err != nil {
			res.Error = "That is not a person number (11 digits with valid check digits)."
			c.render(w, r, http.StatusBadRequest, s, res)
			return
		}
		start := c.cfg.Clock()
		numbers := []string{nin}
		gen := ""
		if c.cfg.Store != nil {
			if v, err := c.cfg.Store.Acquire(); err == nil {
				numbers = audit.PersonNumbers(v, n)
				v.Release()
			}
		}
		if st := c.cfg.Status(); st.Generation != "" {
			gen = st.Generation
		}
		if err := c.cfg.Audit.Record(&audit.Entry{Caller: s.caller, Route: AuditRoute, Subject: n[:], Status: http.StatusOK,
			Duration: c.cfg.Clock().Sub(start), Generation: gen}); err != nil {
			res.Error = "The audit log cannot record this search, so it is not made."
			c.render(w, r, http.StatusServiceUnavailable, s, res)
			return
		}
		res.Numbers = len(numbers)
		err = audit.Search(c.cfg.AuditDir, numbers, func(rec *audit.Record) bool {
			res.Total++
			cp := *rec
			res.Records = append(res.Records, &cp)
			if len(res.Records) > maxAuditRows {
				res.Records = res.Records[1:]
			}
			return true
		})
		if err != nil {
			c.cfg.Log.Error("console audit search", "err", err)
			res.Error = "The audit log could not be read."
			res.Records = nil
			c.render(w, r, http.StatusInternalServerError, s, res)
			return
		}
		// Newest first.
		sort.SliceStable(res.Records, func(i, j int) bool { return res.Records[i].Seq > res.Records[j].Seq })
		res.Done = true
		c.render(w, r, http.StatusOK, s, res)
	})
}

// maxAuditRows is how many of a person's accesses the page lists (the
// newest); the total is counted.
const maxAuditRows = 500

type auditResult struct {
	Done    bool
	Error   string
	Numbers int
	Total   int
	Records []*audit.Record
}

var reportRE = regexp.MustCompile(`^[0-9]{6}-(rejects|warnings)\.jsonl$`)

// Report is GET /console/reports/{name}: a load's reject or warning report
// (person numbers in it are masked by the loader).
func (c *Console) Report() http.Handler {
	return c.authed(false, func(w http.ResponseWriter, r *http.Request, s *session) {
		name := r.PathValue("name")
		if c.cfg.ReportsDir == "" || !reportRE.MatchString(name) {
			c.message(w, r, http.StatusNotFound, s, "No such report.")
			return
		}
		f, err := os.Open(filepath.Join(c.cfg.ReportsDir, name))
		if err != nil {
			c.message(w, r, http.StatusNotFound, s, "No such report (the load wrote none, or it was pruned).")
			return
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			c.message(w, r, http.StatusInternalServerError, s, "The report cannot be read.")
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		http.ServeContent(w, r, "", fi.ModTime(), f)
	})
}

// Static is GET /console/static/{name}: the stylesheet and the script.
func (c *Console) Static() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !method(w, r, http.MethodGet) {
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		c.static.ServeHTTP(w, r)
	})
}

// authed wraps a handler that needs a session: without a valid one, GET
// redirects to the login form and anything else is 401. post handlers
// need POST, a form and the session's CSRF token from the same origin.
func (c *Console) authed(post bool, h func(w http.ResponseWriter, r *http.Request, s *session)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		want := http.MethodGet
		if post {
			want = http.MethodPost
		}
		if !method(w, r, want) {
			return
		}
		s := c.session(r)
		if s == nil {
			if !post {
				http.Redirect(w, r, "/console/login", http.StatusSeeOther)
				return
			}
			c.loginPage(w, r, http.StatusUnauthorized, "Your session ended. Log in again.")
			return
		}
		if post {
			if !c.form(w, r) {
				return
			}
			if !sameOrigin(r) || !equal(s.csrf, r.PostForm.Get("csrf")) {
				c.message(w, r, http.StatusForbidden, s, "The form expired or came from another site, so nothing was done. Reload the console and try again.")
				return
			}
		}
		h(w, r, s)
	})
}

// session returns r's valid session (nil: none).
func (c *Console) session(r *http.Request) *session {
	ck, err := r.Cookie(SessionCookie)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.sessions[ck.Value]
	if s == nil {
		return nil
	}
	if !c.cfg.Clock().Before(s.expires) {
		delete(c.sessions, ck.Value)
		return nil
	}
	return s
}

func (c *Console) newSession(caller audit.Caller, expires time.Time) string {
	id := randomToken()
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.cfg.Clock()
	var oldestID string
	var oldest time.Time
	for k, s := range c.sessions {
		if !now.Before(s.expires) {
			delete(c.sessions, k)
		} else if oldestID == "" || s.expires.Before(oldest) {
			oldestID, oldest = k, s.expires
		}
	}
	if len(c.sessions) >= maxSessions {
		delete(c.sessions, oldestID)
	}
	c.sessions[id] = &session{csrf: randomToken(), caller: caller, expires: expires}
	return id
}

// Sessions counts the open sessions (tests).
func (c *Console) Sessions() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.sessions)
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func equal(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// sameOrigin refuses a request a browser marks as coming from another
// site: an Origin whose host is not the request's, or Sec-Fetch-Site other
// than same-origin or none. Clients that send neither (old browsers,
// scripts) are decided by the CSRF token alone.
func sameOrigin(r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return false
		}
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
		return true
	}
	return false
}

// form parses a POST body of at most 64 KiB.
func (c *Console) form(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		c.message(w, r, http.StatusBadRequest, nil, "The form could not be read.")
		return false
	}
	return true
}

func method(w http.ResponseWriter, r *http.Request, m string) bool {
	if r.Method == m || m == http.MethodGet && r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", m)
	http.Error(w, "method not allowed: "+m+" only", http.StatusMethodNotAllowed)
	return false
}

func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
