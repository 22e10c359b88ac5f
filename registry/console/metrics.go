package console

import (
	"math"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// The console's charts come from the server's own metrics: a Sampler
// gathers the API's request counters and latency histograms
// (grunndata_http_requests_total, grunndata_http_request_duration_seconds)
// and the cache counters every few seconds into a ring of samples, and the
// page draws the differences between consecutive samples. Nothing leaves
// the process; the ring holds the last minutes only.

const (
	metricRequests = "grunndata_http_requests_total"
	metricLatency  = "grunndata_http_request_duration_seconds"
)

// Counters is what the Sampler reads besides the HTTP metrics: cumulative
// cache and block-cache counters (nil funcs: not shown).
type Counters struct {
	CacheHits, CacheMisses         uint64
	BlockCacheHits, BlockCacheMiss uint64
}

// routeSample is one route's cumulative counters at a sample.
type routeSample struct {
	requests, clientErrors, serverErrors float64
	count                                float64   // histogram observations
	buckets                              []float64 // cumulative counts by bound
}

// sample is the cumulative state at one instant.
type sample struct {
	at       time.Time
	routes   map[string]*routeSample
	counters Counters
}

// Sampler keeps a ring of metric samples. Sample takes one; Run takes one
// per interval until stopped.
type Sampler struct {
	gather   prometheus.Gatherer
	counters func() Counters
	clock    func() time.Time

	mu     sync.Mutex
	ring   []sample // oldest first once full (see ordered)
	next   int
	full   bool
	bounds []float64 // the latency histogram's upper bounds (one set for every route)
}

// NewSampler keeps size samples of g's HTTP metrics and of counters (nil:
// none); clock nil is time.Now.
func NewSampler(g prometheus.Gatherer, counters func() Counters, clock func() time.Time, size int) *Sampler {
	if clock == nil {
		clock = time.Now
	}
	if counters == nil {
		counters = func() Counters { return Counters{} }
	}
	return &Sampler{gather: g, counters: counters, clock: clock, ring: make([]sample, max(size, 2))}
}

// Run samples every interval until stop is closed.
func (s *Sampler) Run(interval time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	s.Sample()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			s.Sample()
		}
	}
}

// Sample gathers the metrics once and appends them to the ring.
func (s *Sampler) Sample() {
	sm := sample{at: s.clock(), routes: map[string]*routeSample{}, counters: s.counters()}
	var bounds []float64
	if s.gather != nil {
		mfs, _ := s.gather.Gather() // a partial gather still carries what it could read
		for _, mf := range mfs {
			switch mf.GetName() {
			case metricRequests:
				for _, m := range mf.GetMetric() {
					rt, code := label(m, "route"), label(m, "code")
					r := sm.route(rt)
					v := m.GetCounter().GetValue()
					r.requests += v
					if c, err := strconv.Atoi(code); err == nil && c >= 500 {
						r.serverErrors += v
					} else if err == nil && c >= 400 {
						r.clientErrors += v
					}
				}
			case metricLatency:
				for _, m := range mf.GetMetric() {
					h := m.GetHistogram()
					r := sm.route(label(m, "route"))
					r.count = float64(h.GetSampleCount())
					r.buckets = r.buckets[:0]
					bs := h.GetBucket()
					if bounds == nil {
						for _, b := range bs {
							bounds = append(bounds, b.GetUpperBound())
						}
					}
					for _, b := range bs {
						r.buckets = append(r.buckets, float64(b.GetCumulativeCount()))
					}
				}
			}
		}
	}
	s.mu.Lock()
	if bounds != nil {
		s.bounds = bounds
	}
	s.ring[s.next] = sm
	s.next = (s.next + 1) % len(s.ring)
	if s.next == 0 {
		s.full = true
	}
	s.mu.Unlock()
}

func (sm *sample) route(name string) *routeSample {
	r := sm.routes[name]
	if r == nil {
		r = &routeSample{}
		sm.routes[name] = r
	}
	return r
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// ordered returns the samples oldest first (under s.mu).
func (s *Sampler) ordered() []sample {
	if !s.full {
		return append([]sample(nil), s.ring[:s.next]...)
	}
	return append(append([]sample(nil), s.ring[s.next:]...), s.ring[:s.next]...)
}

// Point is one interval between two consecutive samples.
type Point struct {
	At            time.Time
	Rate          float64 // requests per second
	ErrorRatio    float64 // 5xx / requests (0 without requests)
	ClientRatio   float64 // 4xx / requests
	P50, P95, P99 float64 // seconds (NaN without observations)
}

// RouteStats is one route over the sampled window: the whole window's
// figures and one Point per interval.
type RouteStats struct {
	Route         string
	Requests      float64
	Rate          float64
	ErrorRatio    float64
	ClientRatio   float64
	P50, P95, P99 float64
	Points        []Point
}

// Window is what the ring holds, summarised for the page.
type Window struct {
	From, To time.Time
	Samples  int
	// Total is every route together; Routes those with requests in the
	// window, busiest first.
	Total  RouteStats
	Routes []RouteStats
	// Cache and block-cache hit ratios over the window and since start
	// (NaN: no lookups).
	CacheWindow, CacheAll, BlockWindow, BlockAll float64
	CacheLookups, BlockLookups                   float64 // in the window
}

// Window summarises the ring.
func (s *Sampler) Window() Window {
	s.mu.Lock()
	ss := s.ordered()
	bounds := s.bounds
	s.mu.Unlock()
	w := Window{Samples: len(ss), CacheWindow: math.NaN(), CacheAll: math.NaN(), BlockWindow: math.NaN(), BlockAll: math.NaN(),
		Total: RouteStats{Route: "all routes", P50: math.NaN(), P95: math.NaN(), P99: math.NaN()}}
	if len(ss) == 0 {
		return w
	}
	first, last := ss[0], ss[len(ss)-1]
	w.From, w.To = first.at, last.at
	lc := last.counters
	w.CacheAll = ratio(float64(lc.CacheHits), float64(lc.CacheHits+lc.CacheMisses))
	w.BlockAll = ratio(float64(lc.BlockCacheHits), float64(lc.BlockCacheHits+lc.BlockCacheMiss))
	if len(ss) < 2 {
		return w
	}
	fc := first.counters
	ch, cm := sub(lc.CacheHits, fc.CacheHits), sub(lc.CacheMisses, fc.CacheMisses)
	bh, bm := sub(lc.BlockCacheHits, fc.BlockCacheHits), sub(lc.BlockCacheMiss, fc.BlockCacheMiss)
	w.CacheWindow, w.CacheLookups = ratio(ch, ch+cm), ch+cm
	w.BlockWindow, w.BlockLookups = ratio(bh, bh+bm), bh+bm

	names := map[string]bool{}
	for name := range last.routes {
		names[name] = true
	}
	for name := range names {
		rs := stats(name, ss, bounds, func(i int) *routeSample { return ss[i].routes[name] })
		if rs.Requests > 0 {
			w.Routes = append(w.Routes, rs)
		}
	}
	sort.Slice(w.Routes, func(i, j int) bool {
		if w.Routes[i].Requests != w.Routes[j].Requests {
			return w.Routes[i].Requests > w.Routes[j].Requests
		}
		return w.Routes[i].Route < w.Routes[j].Route
	})
	// The total: every route's counters summed at each sample.
	totals := make([]*routeSample, len(ss))
	for i := range ss {
		t := &routeSample{buckets: make([]float64, len(bounds))}
		for _, r := range ss[i].routes {
			t.requests += r.requests
			t.clientErrors += r.clientErrors
			t.serverErrors += r.serverErrors
			t.count += r.count
			for j := range min(len(r.buckets), len(t.buckets)) {
				t.buckets[j] += r.buckets[j]
			}
		}
		totals[i] = t
	}
	w.Total = stats("all routes", ss, bounds, func(i int) *routeSample { return totals[i] })
	return w
}

func sub(a, b uint64) float64 {
	if a < b { // a counter reset
		return float64(a)
	}
	return float64(a - b)
}

func ratio(a, b float64) float64 {
	if b <= 0 {
		return math.NaN()
	}
	return a / b
}

// stats computes one route's window and points; get returns the route's
// counters at a sample (nil: none yet, i.e. zero).
func stats(name string, ss []sample, bounds []float64, get func(i int) *routeSample) RouteStats {
	zero := &routeSample{}
	at := func(i int) *routeSample {
		if r := get(i); r != nil {
			return r
		}
		return zero
	}
	rs := RouteStats{Route: name}
	for i := 1; i < len(ss); i++ {
		rs.Points = append(rs.Points, point(at(i-1), at(i), ss[i].at.Sub(ss[i-1].at), ss[i].at, bounds))
	}
	whole := point(at(0), at(len(ss)-1), ss[len(ss)-1].at.Sub(ss[0].at), ss[len(ss)-1].at, bounds)
	rs.Requests = nonNeg(at(len(ss)-1).requests - at(0).requests)
	rs.Rate, rs.ErrorRatio, rs.ClientRatio = whole.Rate, whole.ErrorRatio, whole.ClientRatio
	rs.P50, rs.P95, rs.P99 = whole.P50, whole.P95, whole.P99
	return rs
}

func nonNeg(v float64) float64 { return max(v, 0) }

// point is the interval from a to b (d long).
func point(a, b *routeSample, d time.Duration, at time.Time, bounds []float64) Point {
	p := Point{At: at, P50: math.NaN(), P95: math.NaN(), P99: math.NaN()}
	req := nonNeg(b.requests - a.requests)
	if d > 0 {
		p.Rate = req / d.Seconds()
	}
	if req > 0 {
		p.ErrorRatio = nonNeg(b.serverErrors-a.serverErrors) / req
		p.ClientRatio = nonNeg(b.clientErrors-a.clientErrors) / req
	}
	if len(b.buckets) == len(bounds) && len(bounds) > 0 {
		delta := make([]float64, len(bounds))
		for i := range bounds {
			var prev float64
			if i < len(a.buckets) {
				prev = a.buckets[i]
			}
			delta[i] = nonNeg(b.buckets[i] - prev)
		}
		n := nonNeg(b.count - a.count)
		p.P50, p.P95, p.P99 = quantile(0.5, bounds, delta, n), quantile(0.95, bounds, delta, n), quantile(0.99, bounds, delta, n)
	}
	return p
}

// quantile estimates the q-quantile from cumulative bucket counts (upper
// bounds bounds; n observations in all, those above the last bound in the
// +Inf bucket) by linear interpolation inside the bucket, as Prometheus'
// histogram_quantile does. Past the last bound it answers the last bound.
func quantile(q float64, bounds, cum []float64, n float64) float64 {
	if n <= 0 {
		return math.NaN()
	}
	rank := q * n
	lower, prev := 0.0, 0.0
	for i, ub := range bounds {
		if cum[i] >= rank {
			in := cum[i] - prev
			if in <= 0 {
				return ub
			}
			return lower + (ub-lower)*(rank-prev)/in
		}
		lower, prev = ub, cum[i]
	}
	return bounds[len(bounds)-1]
}
