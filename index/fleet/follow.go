package fleet

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
)

// FollowerConfig configures a replica's Follower.
type FollowerConfig struct {
	Client  *Client
	DataDir string
	// Replica names this replica in the heartbeat bucket.
	Replica string
	// API is the replica's API address, shown by `fleet status`.
	API string
	// Active returns the generation this process serves ("" none).
	Active func() string
	// Activate swaps generation gen in (durably: a restart serves it).
	Activate func(gen string) error
	// Heartbeat is how often the replica writes its heartbeat (default 2 s).
	Heartbeat time.Duration
	// Poll is how often the pointer is read besides its watch (default 1 s).
	Poll time.Duration
	// RetryAfter is how long a generation that failed to fetch or activate
	// waits before it is tried again, unless the pointer moves (default
	// 30 s).
	RetryAfter time.Duration
	Fetch      FetchOptions
	Log        *slog.Logger
}

// Replica states.
const (
	StateWaiting    = "waiting"    // no fleet generation published yet
	StateFetching   = "fetching"   // downloading the fleet's generation
	StateActivating = "activating" // swapping it in
	StateServing    = "serving"    // serving the fleet's generation
	StateFailed     = "failed"     // the fleet's generation could not be fetched or activated
	StateOffline    = "offline"    // NATS does not answer; serving the last good generation
)

// Status is a Follower's state for /readyz and metrics.
type Status struct {
	Connected bool   `json:"connected"`
	State     string `json:"state"`
	// Fleet is the fleet pointer's generation as last read.
	Fleet   string `json:"fleetGeneration,omitempty"`
	Serving string `json:"generation,omitempty"`
	// Lag is how many published generations the replica is behind (or
	// ahead of) the fleet pointer.
	Lag      int       `json:"lag"`
	LastSync time.Time `json:"lastSync,omitzero"`
	Error    string    `json:"error,omitempty"`
	// Detail says in words what the replica does.
	Detail   string         `json:"detail"`
	Progress *FetchProgress `json:"fetch,omitempty"`
	// LastFetch is the last completed fetch.
	LastFetch *FetchReport `json:"lastFetch,omitempty"`
}

// Follower keeps a replica on the fleet's active generation.
type Follower struct {
	cfg FollowerConfig
	log *slog.Logger

	mu        sync.Mutex
	st        Status
	published []string
	pubRev    uint64 // the pointer revision published was listed at
	failedGen string
	failedRev uint64
	failedAt  time.Time

	fetchedBytes, fetches, failures, activations float64 // under mu

	// kick asks for a heartbeat now (the state changed).
	kick chan struct{}
}

// NewFollower returns a Follower; Run starts it.
func NewFollower(cfg FollowerConfig) *Follower {
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = 2 * time.Second
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = 30 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	f := &Follower{cfg: cfg, log: cfg.Log, kick: make(chan struct{}, 1)}
	f.st.State, f.st.Detail = StateWaiting, "connecting to NATS"
	return f
}

// Status returns the follower's state now.
func (f *Follower) Status() Status {
	f.mu.Lock()
	st := f.st
	f.mu.Unlock()
	st.Connected = f.cfg.Client.Connected()
	st.Serving = f.cfg.Active()
	if !st.Connected {
		st.State = StateOffline
		if st.Serving != "" {
			st.Detail = "NATS does not answer: serving the last good generation " + st.Serving + "; the fleet may have moved on"
		} else {
			st.Detail = "NATS does not answer and no generation is local: not serving"
		}
	}
	return st
}

func (f *Follower) set(fn func(st *Status)) {
	f.mu.Lock()
	was := f.st.State
	fn(&f.st)
	changed := f.st.State != was
	f.mu.Unlock()
	if changed {
		f.beatNow()
	}
}

func (f *Follower) beatNow() {
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

// Run follows the pointer and heartbeats until ctx ends.
func (f *Follower) Run(ctx context.Context) {
	go f.heartbeat(ctx)
	var watch jetstream.KeyWatcher
	defer func() {
		if watch != nil {
			watch.Stop()
		}
	}()
	t := time.NewTicker(f.cfg.Poll)
	defer t.Stop()
	for {
		if watch == nil && f.cfg.Client.Connected() {
			if kv, err := f.cfg.Client.pointerKV(ctx); err == nil {
				watch, _ = kv.Watch(ctx, PointerKey, jetstream.UpdatesOnly())
			}
		}
		f.sync(ctx)
		var updates <-chan jetstream.KeyValueEntry
		if watch != nil {
			updates = watch.Updates()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case _, ok := <-updates:
			if !ok {
				watch = nil
			}
		}
	}
}

func (f *Follower) heartbeat(ctx context.Context) {
	t := time.NewTicker(f.cfg.Heartbeat)
	defer t.Stop()
	for {
		st := f.Status()
		if st.Connected {
			err := f.cfg.Client.Beat(ctx, Heartbeat{Replica: f.cfg.Replica, API: f.cfg.API, Generation: st.Serving,
				Fleet: st.Fleet, Lag: st.Lag, State: st.State, Error: st.Error})
			if err != nil && ctx.Err() == nil {
				f.log.Warn("fleet heartbeat failed", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-f.kick:
		}
	}
}

// sync reads the pointer and, if this replica serves another generation,
// fetches and activates the fleet's.
func (f *Follower) sync(ctx context.Context) {
	if !f.cfg.Client.Connected() {
		return
	}
	p, err := f.cfg.Client.Pointer(ctx)
	if err != nil {
		f.set(func(st *Status) {
			st.Error, st.Detail = err.Error(), "the fleet pointer does not read: serving what is active"
		})
		return
	}
	now := time.Now()
	f.refreshPublished(ctx, p.Revision)
	active := f.cfg.Active()
	f.set(func(st *Status) {
		st.LastSync, st.Fleet = now, p.Generation
		st.Lag = Lag(f.published, active, p.Generation)
	})
	switch {
	case p.Generation == "":
		f.set(func(st *Status) {
			st.State, st.Error, st.Detail = StateWaiting, "", "no generation has been published to the fleet yet"
		})
		return
	case p.Generation == active:
		f.set(func(st *Status) {
			st.State, st.Error, st.Progress = StateServing, "", nil
			st.Detail = "serving the fleet's generation " + active
		})
		return
	}
	f.mu.Lock()
	skip := f.failedGen == p.Generation && f.failedRev == p.Revision && time.Since(f.failedAt) < f.cfg.RetryAfter
	f.mu.Unlock()
	if skip {
		return
	}
	if err := f.move(ctx, p); err != nil {
		if ctx.Err() != nil {
			return
		}
		f.log.Error("fleet generation refused; the previous one keeps serving", "generation", p.Generation, "err", err)
		f.mu.Lock()
		f.failedGen, f.failedRev, f.failedAt = p.Generation, p.Revision, time.Now()
		f.failures++
		f.st.State, f.st.Error, f.st.Progress = StateFailed, err.Error(), nil
		f.st.Detail = fmt.Sprintf("the fleet's generation %s was refused (retried in %s or when the pointer moves); serving %s",
			p.Generation, f.cfg.RetryAfter, orNone(active))
		f.mu.Unlock()
		f.beatNow()
	}
}

func orNone(s string) string {
	if s == "" {
		return "nothing"
	}
	return s
}

func (f *Follower) refreshPublished(ctx context.Context, rev uint64) {
	f.mu.Lock()
	fresh := f.published != nil && f.pubRev == rev
	f.mu.Unlock()
	if fresh {
		return
	}
	gens, err := f.cfg.Client.Generations(ctx)
	if err != nil {
		return
	}
	f.mu.Lock()
	f.published, f.pubRev = gens, rev
	f.mu.Unlock()
}

// move fetches p's generation and activates it, unless the pointer moved
// on while it was fetched.
func (f *Follower) move(ctx context.Context, p Pointer) error {
	gen := p.Generation
	f.set(func(st *Status) {
		st.State, st.Error = StateFetching, ""
		st.Detail = "fetching the fleet's generation " + gen + "; serving " + orNone(f.cfg.Active())
	})
	opt := f.cfg.Fetch
	opt.Progress = func(pr FetchProgress) {
		f.set(func(st *Status) { st.Progress = &pr })
		if f.cfg.Fetch.Progress != nil {
			f.cfg.Fetch.Progress(pr)
		}
	}
	rep, err := f.cfg.Client.Fetch(ctx, f.cfg.DataDir, gen, opt)
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.fetchedBytes += float64(rep.DownloadedBytes)
	if !rep.Local {
		f.fetches++
	}
	f.st.LastFetch = &rep
	f.mu.Unlock()
	if !rep.Local {
		f.log.Info("fleet generation fetched", "generation", gen, "files", rep.Files, "downloaded", rep.Downloaded,
			"resumed", rep.Resumed, "linked", rep.Linked, "bytes", rep.DownloadedBytes, "seconds", rep.Elapsed.Seconds())
	}
	if err := RemoveStaleFetches(f.cfg.DataDir, ""); err != nil {
		f.log.Warn("remove stale fetches", "err", err)
	}
	now, err := f.cfg.Client.Pointer(ctx)
	if err == nil && now.Generation != gen {
		return nil // moved on while fetching: the next sync follows
	}
	f.set(func(st *Status) { st.State, st.Detail = StateActivating, "activating the fleet's generation "+gen })
	if err := f.cfg.Activate(gen); err != nil {
		return fmt.Errorf("activate %s: %w", gen, err)
	}
	f.mu.Lock()
	f.activations++
	f.st.State, f.st.Error, f.st.Progress, f.st.Lag = StateServing, "", nil, 0
	f.st.Detail = "serving the fleet's generation " + gen
	f.mu.Unlock()
	f.beatNow()
	f.log.Info("fleet generation active", "generation", gen)
	return nil
}

var (
	dConnected = prometheus.NewDesc("grunndata_fleet_connected", "1 when the replica is connected to the fleet's NATS.", nil, nil)
	dLag       = prometheus.NewDesc("grunndata_fleet_generation_lag", "Published generations between the one served and the fleet pointer.", nil, nil)
	dLastSync  = prometheus.NewDesc("grunndata_fleet_last_sync_timestamp_seconds", "When the fleet pointer was last read (Unix seconds).", nil, nil)
	dState     = prometheus.NewDesc("grunndata_fleet_state", "The replica's fleet state (value 1).", []string{"state"}, nil)
	dFleetGen  = prometheus.NewDesc("grunndata_fleet_generation_info", "The fleet pointer's generation as last read (value 1).", []string{"generation"}, nil)
	dFetched   = prometheus.NewDesc("grunndata_fleet_fetched_bytes_total", "Bytes downloaded from the object store.", nil, nil)
	dFetches   = prometheus.NewDesc("grunndata_fleet_fetches_total", "Generations downloaded.", nil, nil)
	dFailures  = prometheus.NewDesc("grunndata_fleet_failures_total", "Fleet generations refused (fetch or activation failed).", nil, nil)
	dActs      = prometheus.NewDesc("grunndata_fleet_activations_total", "Fleet generations activated.", nil, nil)
)

// Describe implements prometheus.Collector.
func (f *Follower) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{dConnected, dLag, dLastSync, dState, dFleetGen, dFetched, dFetches, dFailures, dActs} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (f *Follower) Collect(ch chan<- prometheus.Metric) {
	st := f.Status()
	b := 0.0
	if st.Connected {
		b = 1
	}
	ch <- prometheus.MustNewConstMetric(dConnected, prometheus.GaugeValue, b)
	ch <- prometheus.MustNewConstMetric(dLag, prometheus.GaugeValue, float64(st.Lag))
	var ts float64
	if !st.LastSync.IsZero() {
		ts = float64(st.LastSync.UnixNano()) / 1e9
	}
	ch <- prometheus.MustNewConstMetric(dLastSync, prometheus.GaugeValue, ts)
	for _, s := range []string{StateWaiting, StateFetching, StateActivating, StateServing, StateFailed, StateOffline} {
		v := 0.0
		if s == st.State {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(dState, prometheus.GaugeValue, v, s)
	}
	if st.Fleet != "" {
		ch <- prometheus.MustNewConstMetric(dFleetGen, prometheus.GaugeValue, 1, st.Fleet)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	ch <- prometheus.MustNewConstMetric(dFetched, prometheus.CounterValue, f.fetchedBytes)
	ch <- prometheus.MustNewConstMetric(dFetches, prometheus.CounterValue, f.fetches)
	ch <- prometheus.MustNewConstMetric(dFailures, prometheus.CounterValue, f.failures)
	ch <- prometheus.MustNewConstMetric(dActs, prometheus.CounterValue, f.activations)
}
