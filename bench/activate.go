package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// Activation is one generation activation the harness triggered.
type Activation struct {
	// At is when the activate request was sent, in seconds since the start.
	At float64 `json:"atSeconds"`
	// From is the generation that was active before; Generation the one
	// activated.
	From       string  `json:"from"`
	Generation string  `json:"generation"`
	Status     int     `json:"status"`
	TookMs     float64 `json:"tookMs"`
	Error      string  `json:"error,omitempty"`
}

// second is the tick (1-based second of the run) the activation fell in.
func (a *Activation) second() int { return int(math.Floor(a.At)) + 1 }

type activations struct {
	mu   sync.Mutex
	list []Activation
}

func (a *activations) add(x Activation) {
	a.mu.Lock()
	a.list = append(a.list, x)
	a.mu.Unlock()
}

func (a *activations) all() []Activation {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Activation(nil), a.list...)
}

// during describes the activations that fell in tick sec.
func (a *activations) during(sec int) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for i := range a.list {
		if x := &a.list[i]; x.second() == sec {
			s := x.Generation
			if x.Error != "" {
				s += " (failed: " + x.Error + ")"
			}
			out = append(out, s)
		}
	}
	return out
}

// snapshotInfo is what GET /admin/snapshots lists per generation; only these
// fields are relied on.
type snapshotInfo struct {
	Generation string `json:"generation"`
	Active     bool   `json:"active"`
	// Error is set on a generation whose manifest does not read: it
	// cannot be activated.
	Error string `json:"error"`
}

// activateLoop alternates the two newest generations every ActivateEvery
// until the end of the run.
func (r *runner) activateLoop(ctx context.Context) {
	client := &http.Client{Timeout: r.cfg.Timeout}
	t := time.NewTicker(r.cfg.ActivateEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !time.Now().Before(r.end) {
			return
		}
		r.acts.add(r.activateOnce(ctx, client))
	}
}

func (r *runner) adminRequest(ctx context.Context, client *http.Client, method, path string) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(r.cfg.Admin, "/")+path, nil)
	if err != nil {
		return nil, 0, err
	}
	if r.cfg.AuthToken != "" {
		req.Header.Set("Authorization", "Bearer "+r.cfg.AuthToken)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	return b, resp.StatusCode, err
}

// activateOnce lists the generations and activates whichever of the two
// newest is not the active one.
func (r *runner) activateOnce(ctx context.Context, client *http.Client) Activation {
	a := Activation{At: time.Since(r.start).Seconds()}
	b, status, err := r.adminRequest(ctx, client, "GET", "/admin/snapshots")
	if err != nil {
		a.Error = "list generations: " + err.Error()
		return a
	}
	if status != 200 {
		a.Status, a.Error = status, fmt.Sprintf("list generations: status %d: %s", status, bytes.TrimSpace(b))
		return a
	}
	var all, gens []snapshotInfo
	if err := json.Unmarshal(b, &all); err != nil {
		a.Error = "list generations: " + err.Error()
		return a
	}
	for _, g := range all {
		if g.Active {
			a.From = g.Generation
		}
		if g.Error == "" && g.Generation != "" {
			gens = append(gens, g)
		}
	}
	if len(gens) < 2 {
		a.Error = fmt.Sprintf("need two generations to alternate, found %d", len(gens))
		return a
	}
	// Generation ids are zero-padded counters: longer is newer, then
	// lexical order.
	sort.Slice(gens, func(i, j int) bool {
		gi, gj := gens[i].Generation, gens[j].Generation
		if len(gi) != len(gj) {
			return len(gi) < len(gj)
		}
		return gi < gj
	})
	newest, second := gens[len(gens)-1], gens[len(gens)-2]
	a.Generation = newest.Generation
	if newest.Active {
		a.Generation = second.Generation
	}
	a.At = time.Since(r.start).Seconds()
	t0 := time.Now()
	b, a.Status, err = r.adminRequest(ctx, client, "POST", "/admin/snapshots/"+a.Generation+"/activate")
	a.TookMs = float64(time.Since(t0).Microseconds()) / 1e3
	switch {
	case err != nil:
		a.Error = err.Error()
	case a.Status/100 != 2:
		a.Error = fmt.Sprintf("status %d: %s", a.Status, bytes.TrimSpace(b))
	}
	return a
}
