package console

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/grunndata/grunndata/registry/ops"
)

// pageData is what the console template renders.
type pageData struct {
	Now        time.Time
	CSRF       string
	Caller     string
	Expires    time.Time
	Flash      *flash
	Status     ops.StoreStatus
	Active     *ops.SnapshotInfo
	ActiveRegs []registerRow
	Warnings   int64
	Reports    []reportLink
	Gens       []ops.SnapshotInfo
	GensErr    string
	Rollback   string // the rollback target ("": none)
	Managed    bool   // Snapshots is set
	Loads      []Load
	Phases     []phase
	Traffic    *Window
	HasSampler bool
	Audit      *auditResult
	AuditOn    bool
	Fleet      *FleetView
	FleetErr   string
	FleetOn    bool
}

type registerRow struct {
	Name                      string
	Records, Rejects, Warning int64
}

type reportLink struct{ Name, Label string }

type phase struct {
	Name    string
	Seconds float64
}

func (c *Console) pageData(r *http.Request, s *session, res *auditResult) *pageData {
	d := &pageData{Now: c.cfg.Clock().UTC(), Status: c.cfg.Status(), Audit: res, Managed: c.cfg.Snapshots != nil,
		AuditOn: c.cfg.AuditDir != "" && c.cfg.Audit != nil, HasSampler: c.cfg.Sampler != nil, FleetOn: c.cfg.Fleet != nil}
	if s != nil {
		c.mu.Lock()
		d.CSRF, d.Caller, d.Expires, d.Flash = s.csrf, s.caller.ClientID, s.expires.UTC(), s.flash
		s.flash = nil
		c.mu.Unlock()
	}
	if c.cfg.Snapshots != nil {
		gens, err := c.cfg.Snapshots.List()
		if err != nil {
			d.GensErr = err.Error()
		}
		// Newest first.
		sort.Slice(gens, func(i, j int) bool { return gens[i].Generation > gens[j].Generation })
		d.Gens = gens
		for i := range gens {
			g := &gens[i]
			if g.RollbackTarget {
				d.Rollback = g.Generation
			}
			if g.Generation == d.Status.Generation || d.Status.Generation == "" && g.Active {
				d.Active = g
			}
		}
	}
	if d.Active != nil {
		for name, rc := range d.Active.Registers {
			row := registerRow{Name: name, Records: rc.Records, Rejects: rc.Rejects}
			for _, n := range rc.Warnings {
				row.Warning += n
			}
			d.Warnings += row.Warning
			d.ActiveRegs = append(d.ActiveRegs, row)
		}
		sort.Slice(d.ActiveRegs, func(i, j int) bool { return d.ActiveRegs[i].Name < d.ActiveRegs[j].Name })
		if c.cfg.ReportsDir != "" {
			for _, kind := range []string{"rejects", "warnings"} {
				name := d.Active.Generation + "-" + kind + ".jsonl"
				if fi, err := os.Stat(filepath.Join(c.cfg.ReportsDir, name)); err == nil {
					d.Reports = append(d.Reports, reportLink{Name: name, Label: fmt.Sprintf("%s report (%s)", kind, bytesIEC(fi.Size()))})
				}
			}
		}
	}
	if c.cfg.Loads != nil {
		d.Loads = c.cfg.Loads()
	}
	if a := d.Status.LastActivation; a != nil {
		for _, name := range []string{"verify", "open", "warm", "write", "swap", "old_drained", "old_closed"} {
			if v, ok := a.Phases[name]; ok {
				d.Phases = append(d.Phases, phase{name, v})
			}
		}
	}
	if c.cfg.Sampler != nil {
		w := c.cfg.Sampler.Window()
		d.Traffic = &w
	}
	if c.cfg.Fleet != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		fv, err := c.cfg.Fleet(ctx)
		cancel()
		if err != nil {
			d.FleetErr = err.Error()
		}
		d.Fleet = fv
	}
	return d
}

// securityHeaders: no caching, no framing, scripts and styles from the
// console only.
func securityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	// same-origin, not no-referrer: under no-referrer a browser sends
	// "Origin: null" with the console's own forms, which sameOrigin refuses.
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "+
		"form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
}

func (c *Console) execute(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := c.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		c.cfg.Log.Error("console template", "template", name, "err", err)
		http.Error(w, "the console page could not be rendered", http.StatusInternalServerError)
		return
	}
	securityHeaders(w)
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, s *session, res *auditResult) {
	c.execute(w, status, "page", c.pageData(r, s, res))
}

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	nonce := randomToken()
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: nonce, Path: "/console", MaxAge: 3600, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	c.execute(w, status, "login", map[string]any{"CSRF": nonce, "Error": msg, "AuthOff": c.cfg.Auth == nil})
}

func (c *Console) message(w http.ResponseWriter, r *http.Request, status int, s *session, msg string) {
	c.execute(w, status, "message", map[string]any{"Text": msg, "Status": status})
}

func (c *Console) confirm(w http.ResponseWriter, r *http.Request, s *session, action, gen string) {
	st := c.cfg.Status()
	d := map[string]any{"CSRF": s.csrf, "Action": action, "Gen": gen, "Active": st.Generation}
	if action == "rollback" {
		gens, _ := c.cfg.Snapshots.List()
		target := ""
		for _, g := range gens {
			if g.RollbackTarget {
				target = g.Generation
			}
		}
		if target == "" {
			c.message(w, r, http.StatusConflict, s, "There is no earlier good generation to roll back to.")
			return
		}
		d["Gen"] = target
	}
	c.execute(w, http.StatusOK, "confirm", d)
}

var funcs = template.FuncMap{
	"time": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	},
	"timep": func(t *time.Time) string {
		if t == nil || t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04Z")
	},
	"ago": func(now, t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return duration(now.Sub(t)) + " ago"
	},
	"dur":   duration,
	"bytes": bytesIEC,
	"count": count,
	"pct": func(v float64) string {
		if math.IsNaN(v) {
			return "—"
		}
		return strconv.FormatFloat(100*v, 'f', 1, 64) + " %"
	},
	"ms": func(seconds float64) string {
		if math.IsNaN(seconds) {
			return "—"
		}
		ms := seconds * 1000
		switch {
		case ms < 1:
			return strconv.FormatFloat(ms*1000, 'f', 0, 64) + " µs"
		case ms < 100:
			return strconv.FormatFloat(ms, 'f', 1, 64) + " ms"
		}
		return strconv.FormatFloat(ms, 'f', 0, 64) + " ms"
	},
	"rate": func(v float64) string {
		if v >= 100 {
			return strconv.FormatFloat(v, 'f', 0, 64)
		}
		return strconv.FormatFloat(v, 'f', 1, 64)
	},
	"short": func(s string) string {
		if len(s) > 12 {
			return s[:12] + "…"
		}
		return s
	},
	"dash": dash,
	"spark": func(points []Point, what string) template.HTML {
		vals := make([]float64, len(points))
		for i, p := range points {
			switch what {
			case "rate":
				vals[i] = p.Rate
			case "errors":
				vals[i] = p.ErrorRatio + p.ClientRatio
			case "p99":
				vals[i] = p.P99
			case "p50":
				vals[i] = p.P50
			}
		}
		return sparkline(vals, 160, 28, what)
	},
	"chart": func(points []Point) template.HTML { return chart(points) },
}

func duration(d time.Duration) string {
	switch {
	case d < 0:
		return "0 s"
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}

func bytesIEC(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// count writes n with thin spaces between groups of three digits.
func count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString("\u202f")
		}
		b.WriteRune(r)
	}
	return b.String()
}

// sparkline draws vals (NaN: a gap) as a small inline SVG polyline scaled
// to its own maximum; class names the colour (console.css).
func sparkline(vals []float64, w, h int, class string) template.HTML {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="spark %s" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s over the window">`, class, w, h, w, h, class)
	top := 0.0
	for _, v := range vals {
		if !math.IsNaN(v) && v > top {
			top = v
		}
	}
	fmt.Fprintf(&b, `<line class="base" x1="0" y1="%d" x2="%d" y2="%d"/>`, h-1, w, h-1)
	if len(vals) >= 2 && top > 0 {
		b.WriteString(`<polyline points="`)
		for i, v := range vals {
			if math.IsNaN(v) {
				v = 0
			}
			x := float64(i) * float64(w-2) / float64(len(vals)-1)
			y := float64(h-2) - v/top*float64(h-4)
			fmt.Fprintf(&b, "%.1f,%.1f ", x+1, y)
		}
		b.WriteString(`"/>`)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// chart draws the total's rate and p50/p99 latency as a wider SVG with two
// panels and axis labels.
func chart(points []Point) template.HTML {
	const w, h, pad = 900, 70, 44
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="request rate and latency over the window">`, w, 2*h+20)
	panel := func(y0 int, title string, series [][]float64, classes []string, format func(float64) string) {
		top := 0.0
		for _, s := range series {
			for _, v := range s {
				if !math.IsNaN(v) && v > top {
					top = v
				}
			}
		}
		fmt.Fprintf(&b, `<text class="label" x="%d" y="%d">%s</text>`, pad+4, y0+10, template.HTMLEscapeString(title))
		fmt.Fprintf(&b, `<line class="base" x1="%d" y1="%d" x2="%d" y2="%d"/>`, pad, y0+h, w, y0+h)
		fmt.Fprintf(&b, `<text class="axis" x="%d" y="%d" text-anchor="end">%s</text>`, pad-4, y0+18, template.HTMLEscapeString(format(top)))
		fmt.Fprintf(&b, `<line class="base" x1="%d" y1="%d" x2="%d" y2="%d" stroke-dasharray="2 3"/>`, pad, y0+14, w, y0+14)
		fmt.Fprintf(&b, `<text class="axis" x="%d" y="%d" text-anchor="end">0</text>`, pad-4, y0+h)
		if top <= 0 {
			return
		}
		for k, s := range series {
			if len(s) < 2 {
				continue
			}
			fmt.Fprintf(&b, `<polyline class="%s" points="`, classes[k])
			for i, v := range s {
				if math.IsNaN(v) {
					v = 0
				}
				x := pad + float64(i)*float64(w-pad-2)/float64(len(s)-1)
				y := float64(y0+h) - v/top*float64(h-14)
				fmt.Fprintf(&b, "%.1f,%.1f ", x, y)
			}
			b.WriteString(`"/>`)
		}
	}
	rate, p50, p99, errs := make([]float64, len(points)), make([]float64, len(points)), make([]float64, len(points)), make([]float64, len(points))
	for i, p := range points {
		rate[i], p50[i], p99[i], errs[i] = p.Rate, p.P50*1000, p.P99*1000, (p.ErrorRatio+p.ClientRatio)*p.Rate
	}
	panel(0, "requests/s (errors in red)", [][]float64{rate, errs}, []string{"rate", "errors"},
		func(v float64) string { return strconv.FormatFloat(v, 'g', 3, 64) })
	panel(h+20, "latency ms: p50, p99", [][]float64{p50, p99}, []string{"p50", "p99"},
		func(v float64) string { return strconv.FormatFloat(v, 'g', 3, 64) })
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
