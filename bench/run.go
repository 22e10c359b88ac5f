package bench

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/valyala/fasthttp"
)

// runner is one Run.
type runner struct {
	cfg    Config
	w      *workload
	hcs    []*fasthttp.HostClient // one per target
	hosts  [][]byte
	auth   []byte
	shards []*shard

	start, end time.Time // of the schedule (open) or of sending (closed)
	drainEnd   time.Time
	nsPerReq   float64 // open loop: interval between due times

	ready      chan slot    // open loop: due requests, from the pacer
	idle       atomic.Int64 // open loop: workers waiting for a slot
	sent       atomic.Int64
	lastDone   atomic.Int64 // unix nanoseconds of the last answer
	ticks      []Tick
	acts       activations
	cpuBefore  time.Duration
	busyBefore time.Duration // of the CPUs the generator may run on
}

var (
	ctJSON     = []byte("application/json")
	hdrAuth    = []byte("Authorization")
	methodGet  = []byte("GET")
	methodPost = []byte("POST")
)

// Run sends the configured load to cfg.Target and reports what it measured.
// It returns when the run is over (cfg.Duration, plus the open-loop drain)
// or ctx is done; a cancelled run reports what it did until then. An error
// means the run could not start (bad config, no ids, target unreachable).
func Run(ctx context.Context, cfg Config) (Report, error) {
	if err := cfg.validate(); err != nil {
		return Report{}, err
	}
	type target struct{ host, addr string }
	var targets []target
	isTLS := false
	for i, t := range strings.Split(cfg.Target, ",") {
		u, err := url.Parse(strings.TrimSpace(t))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return Report{}, fmt.Errorf("target %q is not an http(s)://host:port URL", t)
		}
		if i > 0 && (u.Scheme == "https") != isTLS {
			return Report{}, fmt.Errorf("targets %q mix http and https", cfg.Target)
		}
		isTLS = u.Scheme == "https"
		addr := u.Host
		if u.Port() == "" {
			if u.Scheme == "https" {
				addr += ":443"
			} else {
				addr += ":80"
			}
		}
		targets = append(targets, target{u.Host, addr})
	}
	var err error
	ids := cfg.IDs
	if ids == nil {
		if cfg.IDsFrom == "" {
			return Report{}, fmt.Errorf("no ids: give a dataset or data directory to read them from")
		}
		if ids, err = LoadIDs(cfg.IDsFrom, cfg.MaxIDs, cfg.Mix); err != nil {
			return Report{}, err
		}
	}
	w, err := newWorkload(&cfg, ids)
	if err != nil {
		return Report{}, err
	}
	// Fail fast, without sending a request the server would count.
	for _, t := range targets {
		c, err := net.DialTimeout("tcp", t.addr, cfg.Timeout)
		if err != nil {
			return Report{}, fmt.Errorf("target %s is not reachable: %w", t.host, err)
		}
		c.Close()
	}

	r := &runner{cfg: cfg, w: w}
	if cfg.AuthToken != "" {
		r.auth = []byte("Bearer " + cfg.AuthToken)
	}
	// Several targets (a fleet's replicas): connection i sends to target
	// i mod n, so the load spreads evenly.
	for _, t := range targets {
		r.hosts = append(r.hosts, []byte(t.host))
		r.hcs = append(r.hcs, newHostClient(&cfg, t.addr, isTLS, (cfg.Connections+len(targets)-1)/len(targets)))
	}
	nShards := min(cfg.Connections, max(4, 2*runtime.GOMAXPROCS(0)))
	for range nShards {
		r.shards = append(r.shards, newShard())
	}
	return r.run(ctx)
}

func newHostClient(cfg *Config, addr string, isTLS bool, conns int) *fasthttp.HostClient {
	return &fasthttp.HostClient{
		Addr:                      addr,
		IsTLS:                     isTLS,
		Name:                      "grunndata-bench",
		MaxConns:                  max(conns, 1),
		MaxIdleConnDuration:       time.Minute,
		ReadTimeout:               cfg.Timeout,
		WriteTimeout:              cfg.Timeout,
		MaxConnWaitTimeout:        cfg.Timeout + cfg.Duration,
		MaxIdemponentCallAttempts: 1, // no hidden retries: one request sent is one request counted
		RetryIfErr:                func(*fasthttp.Request, int, error) (bool, bool) { return false, false },
		DisablePathNormalizing:    true,
	}
}

func (r *runner) open() bool { return r.cfg.Rate > 0 }

func (r *runner) run(ctx context.Context) (Report, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r.cpuBefore = cpuTime()
	_, r.busyBefore = cpuSetBusy()
	r.start = time.Now()
	r.end = r.start.Add(r.cfg.Duration)
	r.drainEnd = r.end
	if r.open() {
		r.nsPerReq = 1e9 / r.cfg.Rate
		r.drainEnd = r.end.Add(r.cfg.Drain)
		r.ready = make(chan slot, 1<<16)
		go r.pace(ctx)
	}
	var wg sync.WaitGroup
	for i := range r.cfg.Connections {
		wg.Go(func() { r.worker(ctx, i) })
	}
	tickDone := make(chan struct{})
	go func() { r.tickLoop(ctx); close(tickDone) }()
	actDone := make(chan struct{})
	go func() {
		if r.cfg.ActivateEvery > 0 {
			r.activateLoop(ctx)
		}
		close(actDone)
	}()
	wg.Wait()
	cancel()
	<-tickDone
	<-actDone
	return r.report(), nil
}

// worker sends requests on one connection's worth of concurrency until the
// run ends.
func (r *runner) worker(ctx context.Context, id int) {
	p := newPicker(r.w, r.cfg.Seed, uint64(id)+1)
	sh := r.shards[id%len(r.shards)]
	hc := r.hcs[id%len(r.hcs)]
	// One request object per method, set up once: switching one object
	// between GET and POST leaves POST-only header state behind.
	get, post, resp := fasthttp.AcquireRequest(), fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(get)
	defer fasthttp.ReleaseRequest(post)
	defer fasthttp.ReleaseResponse(resp)
	for _, req := range []*fasthttp.Request{get, post} {
		req.Header.DisableNormalizing()
		req.Header.SetHostBytes(r.hosts[id%len(r.hosts)])
		if r.auth != nil {
			req.Header.SetBytesKV(hdrAuth, r.auth)
		}
	}
	get.Header.SetMethodBytes(methodGet)
	post.Header.SetMethodBytes(methodPost)
	post.Header.SetContentTypeBytes(ctJSON)
	var res result
	for ctx.Err() == nil {
		var due time.Time
		queued := false
		if r.open() {
			r.idle.Add(1)
			s, ok := <-r.ready
			r.idle.Add(-1)
			if !ok {
				return
			}
			if time.Now().After(r.drainEnd) {
				return // due, never sent: reported as unsent
			}
			due, queued = s.due, s.queued
		} else if !time.Now().Before(r.end) {
			return
		}
		route, k, rq := p.next()
		req := get
		if rq.body != nil {
			req = post
			req.SetBodyRaw(rq.body)
		}
		req.SetRequestURIBytes(rq.uri)
		sent := time.Now()
		r.sent.Add(1)
		err := hc.Do(req, resp)
		done := time.Now()
		r.lastDone.Store(done.UnixNano())
		res = result{route: route, kind: k, err: err, svc: done.Sub(sent), open: r.open()}
		res.lat = res.svc
		if res.open {
			res.lag = sent.Sub(due)
			// A request that was due while every connection was busy
			// waited for one: that wait is the server's doing and is
			// charged to it. One that a free worker took is measured from
			// when it was sent, so the generator's own timing slack is not
			// charged to the server (it shows as send lag).
			if queued {
				res.lat = done.Sub(due)
			}
		}
		if err == nil {
			res.status = resp.StatusCode()
			res.unexpected = !k.expected(res.status)
		}
		sh.record(&res)
	}
}

// slot is one open-loop request, released by the pacer when it is due.
type slot struct {
	due time.Time
	// queued is set when no worker was free to take it at once: every
	// connection was busy, so its latency counts from due.
	queued bool
}

// paceQuantum is the pacer's shortest sleep. Waking an idle process costs
// the generator tens of microseconds of CPU (more in a VM), far more than a
// request, so above 1/paceQuantum requests per second the pacer wakes every
// paceQuantum and releases every request that has become due: requests are
// sent at most about paceQuantum late, in batches of rate·paceQuantum, and
// never early. Below that rate each request is released on time.
const paceQuantum = 200 * time.Microsecond

// pace releases one slot per 1/Rate, on time (see waiter and paceQuantum),
// until the end of the schedule; slots that cannot be handed to a worker
// before the drain deadline are never sent.
func (r *runner) pace(ctx context.Context) {
	defer close(r.ready)
	w, err := newWaiter()
	if err != nil {
		panic("BUG: no timer for pacing: " + err.Error())
	}
	defer w.close()
	drain := time.NewTimer(time.Until(r.drainEnd))
	defer drain.Stop()
	for i := int64(0); ctx.Err() == nil; i++ {
		due := r.start.Add(time.Duration(float64(i) * r.nsPerReq))
		if !due.Before(r.end) {
			return
		}
		if d := time.Until(due); d > 0 {
			if d > 2*time.Millisecond {
				// Long waits (low rates) on the runtime's timer, which
				// can be interrupted; the last stretch precisely.
				select {
				case <-time.After(d - time.Millisecond):
				case <-ctx.Done():
					return
				}
				d = time.Until(due)
			}
			if d > 0 {
				w.sleep(max(d, paceQuantum))
			}
		}
		s := slot{due: due, queued: int64(len(r.ready)) >= r.idle.Load()}
		select {
		case r.ready <- s:
		case <-drain.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

// tickLoop collects the per-second numbers and prints a line per second.
func (r *runner) tickLoop(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	h := newHist()
	for sec := 1; ; sec++ {
		select {
		case <-ctx.Done():
			// The last partial second, if anything happened in it.
			if tk := r.tick(h, sec, time.Since(r.start)-time.Duration(sec-1)*time.Second); tk.Ops+tk.Errors > 0 {
				r.ticks = append(r.ticks, tk)
				r.printTick(&tk)
			}
			return
		case <-t.C:
		}
		tk := r.tick(h, sec, time.Second)
		r.ticks = append(r.ticks, tk)
		r.printTick(&tk)
	}
}

func (r *runner) tick(h *hdr.Histogram, sec int, span time.Duration) Tick {
	h.Reset()
	tk := Tick{Second: sec}
	for _, s := range r.shards {
		ops, errs := s.takeTick(h)
		tk.Ops += ops
		tk.Errors += errs
	}
	if span > 0 {
		tk.Rate = float64(tk.Ops) / span.Seconds()
	}
	tk.P50, tk.P99, tk.Max = float64(h.ValueAtQuantile(50)), float64(h.ValueAtQuantile(99)), float64(h.Max())
	if r.open() {
		elapsed := time.Since(r.start)
		if elapsed > r.cfg.Duration {
			elapsed = r.cfg.Duration
		}
		due := int64(elapsed.Seconds() * r.cfg.Rate)
		if b := due - r.sent.Load(); b > 0 {
			tk.Backlog = b
		}
	}
	return tk
}

func (r *runner) printTick(tk *Tick) {
	if r.cfg.Progress == nil {
		return
	}
	line := fmt.Sprintf("%4ds  %9.0f req/s  %6d errors  p50 %9s  p99 %9s  max %9s",
		tk.Second, tk.Rate, tk.Errors, fmtUs(tk.P50), fmtUs(tk.P99), fmtUs(tk.Max))
	// A few requests are always between due and sent (the pacer releases
	// them every paceQuantum): only more than 2 ms worth is news.
	if r.open() && float64(tk.Backlog) > r.cfg.Rate*0.002 {
		line += fmt.Sprintf("  %d behind schedule", tk.Backlog)
	}
	for _, a := range r.acts.during(tk.Second) {
		line += "  ← activated " + a
	}
	fmt.Fprintln(r.cfg.Progress, line)
}
