package main

import (
	"context"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/index/fleet"
	"github.com/grunndata/grunndata/registry/console"
)

// consoleSampleEvery and consoleSamples: the console's charts cover the
// last ten minutes in 5-second steps.
const (
	consoleSampleEvery = 5 * time.Second
	consoleSamples     = 121
)

// newConsole builds the operator console (registry/console) over the
// running daemon and starts its metric sampler over apiReg, the API's
// request metrics; nil when it cannot be built (the admin listener then
// serves no console).
func (m *Main) newConsole(apiReg *prometheus.Registry) *console.Console {
	cfg := m.Config
	sampler := console.NewSampler(apiReg, func() console.Counters {
		cm := m.cache.Metrics()
		out := console.Counters{CacheHits: cm.Hits, CacheMisses: cm.Misses}
		if g, err := m.store.AcquireGen(); err == nil { // the active generation's block cache
			pm := g.Metrics()
			g.Release()
			out.BlockCacheHits, out.BlockCacheMiss = uint64(max(pm.BlockCacheHits, 0)), uint64(max(pm.BlockCacheMisses, 0))
		}
		return out
	}, cfg.Server.Clock, consoleSamples)
	cc := console.Config{
		Auth: m.security.auth, Status: m.status, Snapshots: snapshotAdmin{m},
		ReportsDir: filepath.Join(cfg.DataDir, "reports"), Loads: func() []console.Load { return recentLoads(cfg.DataDir) },
		Sampler: sampler, Store: m.store, AuditDir: m.security.auditDir, Audit: m.security.audit,
		Clock: cfg.Server.Clock, Log: m.Log,
	}
	if c := m.fleet.client; c != nil {
		cc.Fleet = func(ctx context.Context) (*console.FleetView, error) { return fleetView(ctx, c) }
	}
	con, err := console.New(cc)
	if err != nil {
		m.Log.Error("operator console", "err", err)
		return nil
	}
	m.consoleSampler = sampler
	m.consoleStop = make(chan struct{})
	go sampler.Run(consoleSampleEvery, m.consoleStop)
	return con
}

// recentLoads is DATADIR/LOADS for the console: the latest load and the
// other outcome (success or failure), newest first.
func recentLoads(data string) []console.Load {
	s, err := index.ReadLoadStatus(data)
	if err != nil {
		return []console.Load{{Error: "LOADS: " + err.Error()}}
	}
	var out []console.Load
	for _, o := range []*index.LoadOutcome{s.LastSuccess, s.LastFailure} {
		if o == nil {
			continue
		}
		l := console.Load{At: o.At, Generation: o.Generation, Parent: o.Parent, Delta: o.Delta, Seconds: o.Seconds,
			Error: o.Error, Activated: o.Activated}
		for _, n := range o.Records {
			l.Records += n
		}
		for _, n := range o.Rejects {
			l.Rejects += n
		}
		out = append(out, l)
	}
	if len(out) == 2 && out[1].At.After(out[0].At) {
		out[0], out[1] = out[1], out[0]
	}
	return out
}

// fleetView is `grunndata fleet status` for the console.
func fleetView(ctx context.Context, c *fleet.Client) (*console.FleetView, error) {
	p, err := c.Pointer(ctx)
	if err != nil {
		return nil, err
	}
	gens, err := c.Generations(ctx)
	if err != nil {
		return nil, err
	}
	reps, err := c.Replicas(ctx)
	if err != nil {
		return nil, err
	}
	v := &console.FleetView{Generation: p.Generation, Revision: p.Revision, History: p.History, Published: gens}
	for _, hb := range reps {
		v.Replicas = append(v.Replicas, console.FleetReplica{Name: hb.Replica, API: hb.API, Generation: hb.Generation,
			State: hb.State, Error: hb.Error, Lag: fleet.Lag(gens, hb.Generation, p.Generation), HeartbeatAgo: hb.Age})
	}
	return v, nil
}
