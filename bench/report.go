package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Report is what a run measured. Latencies are in microseconds.
type Report struct {
	Target      string    `json:"target"`
	Mode        string    `json:"mode"` // "open" or "closed"
	Started     time.Time `json:"started"`
	Duration    float64   `json:"durationSeconds"` // as configured
	Elapsed     float64   `json:"elapsedSeconds"`  // from the start to the last answer
	Connections int       `json:"connections"`
	// RequestedRate is the open-loop arrival rate (0 in closed loop);
	// Throughput the answers (any status) per second of Elapsed.
	RequestedRate float64 `json:"requestedRate"`
	Throughput    float64 `json:"throughput"`

	Mix         string         `json:"mix"`
	MissRate    float64        `json:"missRate"`
	InvalidRate float64        `json:"invalidRate"`
	Zipf        float64        `json:"zipf"`
	IDs         map[string]int `json:"ids"` // distinct ids per route

	// Scheduled counts open-loop requests due before the end; Unsent those
	// of them never sent (the server was too slow for the drain to catch
	// up). Sent = Completed + TransportErrors.
	Scheduled       int64 `json:"scheduled"`
	Sent            int64 `json:"sent"`
	Completed       int64 `json:"completed"`
	Unsent          int64 `json:"unsent"`
	TransportErrors int64 `json:"transportErrors"`
	// Unexpected counts answers other than the kind of id predicts (200 or
	// 410 for a hit, 404 for a miss, 400 for an invalid id).
	Unexpected int64 `json:"unexpected"`

	Total  RouteReport   `json:"total"`
	Routes []RouteReport `json:"routes"`
	// SendLag is, in open loop, how late requests were sent after they were
	// due: waiting for a free connection, plus the generator's own delays.
	SendLag     *Latency     `json:"sendLag,omitempty"`
	Generator   Generator    `json:"generator"`
	Ticks       []Tick       `json:"ticks"`
	Activations []Activation `json:"activations,omitempty"`
}

// RouteReport is one route's numbers (or all routes', in Report.Total).
type RouteReport struct {
	Route      string  `json:"route"`
	Sent       int64   `json:"sent"`
	Completed  int64   `json:"completed"`
	Throughput float64 `json:"throughput"`
	// Latency is measured from the time a request was due (open loop) or
	// sent (closed loop); Service always from the time it was sent.
	Latency Latency `json:"latency"`
	Service Latency `json:"service"`
	// Status counts answers by HTTP status code.
	Status map[string]int64 `json:"status"`
	// Kinds counts answers by the kind of id asked for.
	Kinds           map[string]KindCounts `json:"kinds"`
	TransportErrors map[string]int64      `json:"transportErrors,omitempty"`
	Unexpected      int64                 `json:"unexpected"`
	// Histogram is Latency's HDR histogram, V2-encoded (base64), for tools
	// that want more than the percentiles above.
	Histogram string `json:"histogram,omitempty"`
}

// KindCounts counts the answers to one kind of id.
type KindCounts struct {
	Completed  int64 `json:"completed"`
	Unexpected int64 `json:"unexpected"`
}

// Latency summarises a histogram, in microseconds.
type Latency struct {
	Count int64   `json:"count"`
	Mean  float64 `json:"mean"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	P999  float64 `json:"p999"`
	Max   float64 `json:"max"`
}

func summarise(h *hdr.Histogram) Latency {
	if h.TotalCount() == 0 {
		return Latency{}
	}
	return Latency{
		Count: h.TotalCount(), Mean: math.Round(h.Mean()*10) / 10,
		P50: float64(h.ValueAtQuantile(50)), P90: float64(h.ValueAtQuantile(90)),
		P99: float64(h.ValueAtQuantile(99)), P999: float64(h.ValueAtQuantile(99.9)),
		Max: float64(h.Max()),
	}
}

// Generator is what the run cost the generator itself.
type Generator struct {
	GOMAXPROCS int `json:"gomaxprocs"`
	// CPUSeconds is user + system CPU time of the process during the run;
	// Cores that per second of the run.
	CPUSeconds float64 `json:"cpuSeconds"`
	Cores      float64 `json:"cores"`
	// CPUPerRequest is microseconds of generator CPU per request sent, and
	// MaxRatePerCore its inverse: the most requests per second one core of
	// the generator can drive at this concurrency. Only a busy generator
	// measures its capacity: a mostly idle one pays for a wake-up (epoll,
	// scheduler, a lone loopback write) on nearly every request.
	CPUPerRequest  float64 `json:"cpuPerRequestUs"`
	MaxRatePerCore float64 `json:"maxRatePerCore"`
	// CPUs is how many CPUs the generator may run on (its affinity, e.g.
	// taskset), and OtherCores how much of them other processes used
	// during the run (Linux). When the generator shares its CPUs, it may
	// wait for them: requests go out late and answers are read late, and
	// latency measured from the due time includes that delay.
	CPUs       int     `json:"cpus"`
	OtherCores float64 `json:"otherCores"`
}

// Tick is one second of the run.
type Tick struct {
	Second int     `json:"second"`
	Ops    int64   `json:"ops"` // answers in this second
	Rate   float64 `json:"rate"`
	Errors int64   `json:"errors"` // transport errors and unexpected answers
	P50    float64 `json:"p50"`
	P99    float64 `json:"p99"`
	Max    float64 `json:"max"`
	// Backlog is, in open loop, how many due requests were not yet sent.
	Backlog int64 `json:"backlog,omitempty"`
}

func (r *runner) report() Report {
	stop := time.Now()
	elapsed := stop.Sub(r.start)
	if ld := r.lastDone.Load(); ld != 0 {
		elapsed = time.Unix(0, ld).Sub(r.start)
	}
	cpu := cpuTime() - r.cpuBefore
	cpus, busy := cpuSetBusy()
	others := busy - r.busyBefore - cpu
	rep := Report{
		Target: r.cfg.Target, Mode: "closed", Started: r.start.UTC(),
		Duration: r.cfg.Duration.Seconds(), Elapsed: elapsed.Seconds(),
		Connections: r.cfg.Connections, Mix: r.cfg.Mix.String(),
		MissRate: r.cfg.MissRate, InvalidRate: r.cfg.InvalidRate, Zipf: r.cfg.Zipf,
		IDs:         map[string]int{},
		Sent:        r.sent.Load(),
		Ticks:       r.ticks,
		Activations: r.acts.all(),
	}
	for rt := Route(0); rt < NumRoutes; rt++ {
		if n := len(r.w.sets[rt].reqs[kindHit]); n > 0 {
			rep.IDs[rt.String()] = n
		}
	}
	totalLat, totalSvc, lag := newHist(), newHist(), newHist()
	rep.Total = RouteReport{Route: "total", Status: map[string]int64{}, Kinds: map[string]KindCounts{}, TransportErrors: map[string]int64{}}
	for rt := Route(0); rt < NumRoutes; rt++ {
		if r.cfg.Mix[rt] == 0 {
			continue
		}
		lat, svc := newHist(), newHist()
		rr := RouteReport{Route: rt.String(), Status: map[string]int64{}, Kinds: map[string]KindCounts{}, TransportErrors: map[string]int64{}}
		for _, s := range r.shards {
			s.mu.Lock()
			lat.Merge(s.mu.lat[rt])
			svc.Merge(s.mu.svc[rt])
			for k := kind(0); k < numKinds; k++ {
				kc := rr.Kinds[kindNames[k]]
				for st, n := range s.mu.status[rt][k] {
					if n == 0 {
						continue
					}
					rr.Status[strconv.Itoa(st)] += n
					kc.Completed += n
					if !k.expected(st) {
						kc.Unexpected += n
					}
				}
				if kc.Completed > 0 {
					rr.Kinds[kindNames[k]] = kc
				}
			}
			for class, n := range s.mu.transport[rt] {
				rr.TransportErrors[class] += n
			}
			s.mu.Unlock()
		}
		for _, kc := range rr.Kinds {
			rr.Completed += kc.Completed
			rr.Unexpected += kc.Unexpected
		}
		var terr int64
		for _, n := range rr.TransportErrors {
			terr += n
		}
		rr.Sent = rr.Completed + terr
		rr.Latency, rr.Service = summarise(lat), summarise(svc)
		rr.Throughput = perSecond(rr.Completed, elapsed)
		if enc, err := lat.Encode(hdr.V2CompressedEncodingCookieBase); err == nil {
			rr.Histogram = string(enc)
		}
		totalLat.Merge(lat)
		totalSvc.Merge(svc)
		addRoute(&rep.Total, &rr)
		rep.Routes = append(rep.Routes, rr)
	}
	for _, s := range r.shards {
		s.mu.Lock()
		lag.Merge(s.mu.lag)
		s.mu.Unlock()
	}
	t := &rep.Total
	t.Latency, t.Service = summarise(totalLat), summarise(totalSvc)
	t.Throughput = perSecond(t.Completed, elapsed)
	rep.Completed, rep.Unexpected, rep.Throughput = t.Completed, t.Unexpected, t.Throughput
	for _, n := range t.TransportErrors {
		rep.TransportErrors += n
	}
	if r.open() {
		rep.Mode = "open"
		rep.RequestedRate = r.cfg.Rate
		// Slots due before the end of the schedule, or before the run was
		// cancelled.
		horizon := r.cfg.Duration
		if stop.Before(r.end) {
			horizon = stop.Sub(r.start)
		}
		rep.Scheduled = int64(math.Ceil(float64(horizon.Nanoseconds()) / r.nsPerReq))
		if rep.Scheduled < rep.Sent {
			rep.Scheduled = rep.Sent
		}
		rep.Unsent = rep.Scheduled - rep.Sent
		l := summarise(lag)
		rep.SendLag = &l
	} else {
		rep.Scheduled = rep.Sent
	}
	rep.Generator = Generator{GOMAXPROCS: runtime.GOMAXPROCS(0), CPUSeconds: cpu.Seconds(), CPUs: cpus}
	if others > 0 && elapsed > 0 {
		rep.Generator.OtherCores = math.Round(others.Seconds()/elapsed.Seconds()*100) / 100
	}
	if elapsed > 0 {
		rep.Generator.Cores = math.Round(cpu.Seconds()/elapsed.Seconds()*1000) / 1000
	}
	if rep.Sent > 0 && cpu > 0 {
		rep.Generator.CPUPerRequest = math.Round(float64(cpu.Microseconds())/float64(rep.Sent)*100) / 100
		rep.Generator.MaxRatePerCore = math.Round(float64(rep.Sent) / cpu.Seconds())
	}
	return rep
}

func addRoute(t, r *RouteReport) {
	t.Sent += r.Sent
	t.Completed += r.Completed
	t.Unexpected += r.Unexpected
	for k, v := range r.Status {
		t.Status[k] += v
	}
	for k, v := range r.Kinds {
		kc := t.Kinds[k]
		kc.Completed += v.Completed
		kc.Unexpected += v.Unexpected
		t.Kinds[k] = kc
	}
	for k, v := range r.TransportErrors {
		t.TransportErrors[k] += v
	}
}

func perSecond(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return math.Round(float64(n)/d.Seconds()*10) / 10
}

// fmtUs formats microseconds for people: 85µs, 1.25ms, 2.5s.
func fmtUs(us float64) string {
	switch {
	case us < 1000:
		return strconv.FormatFloat(us, 'f', 0, 64) + "µs"
	case us < 1e6:
		return strconv.FormatFloat(us/1e3, 'f', 2, 64) + "ms"
	}
	return strconv.FormatFloat(us/1e6, 'f', 2, 64) + "s"
}

// WriteText prints the report for people.
func (rep *Report) WriteText(w io.Writer) {
	if rep.Mode == "open" {
		fmt.Fprintf(w, "open loop: %.0f req/s requested for %.0fs on %d connections to %s\n",
			rep.RequestedRate, rep.Duration, rep.Connections, rep.Target)
	} else {
		fmt.Fprintf(w, "closed loop: %d connections for %.0fs to %s\n", rep.Connections, rep.Duration, rep.Target)
	}
	pop := "uniform"
	if rep.Zipf > 1 {
		pop = fmt.Sprintf("zipf s=%g", rep.Zipf)
	}
	var ids []string
	for _, rr := range rep.Routes {
		ids = append(ids, fmt.Sprintf("%s %d", rr.Route, rep.IDs[rr.Route]))
	}
	fmt.Fprintf(w, "mix %s, %.3g%% misses, %.3g%% invalid, %s over ids (%s)\n",
		rep.Mix, rep.MissRate*100, rep.InvalidRate*100, pop, strings.Join(ids, ", "))
	fmt.Fprintf(w, "\nthroughput %.0f req/s", rep.Throughput)
	if rep.Mode == "open" {
		fmt.Fprintf(w, " (requested %.0f: %.1f%%)", rep.RequestedRate, 100*rep.Throughput/rep.RequestedRate)
	}
	fmt.Fprintf(w, " over %.2fs; sent %d, answered %d, transport errors %d, unexpected status %d",
		rep.Elapsed, rep.Sent, rep.Completed, rep.TransportErrors, rep.Unexpected)
	if rep.Mode == "open" {
		fmt.Fprintf(w, "; scheduled %d, never sent %d", rep.Scheduled, rep.Unsent)
	}
	fmt.Fprintln(w)
	from := "from when each request was sent"
	if rep.Mode == "open" {
		from = "from when each request was due (corrected for coordinated omission)"
	}
	fmt.Fprintf(w, "\nlatency %s:\n", from)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "route\tanswers\treq/s\tp50\tp90\tp99\tp99.9\tmax\tunexpected\ttransport errors\t")
	rows := append(append([]RouteReport(nil), rep.Routes...), rep.Total)
	for _, rr := range rows {
		l := rr.Latency
		var terr int64
		for _, n := range rr.TransportErrors {
			terr += n
		}
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t\n", rr.Route, rr.Completed, rr.Throughput,
			fmtUs(l.P50), fmtUs(l.P90), fmtUs(l.P99), fmtUs(l.P999), fmtUs(l.Max), rr.Unexpected, terr)
	}
	tw.Flush()
	if rep.Mode == "open" {
		s := rep.Total.Service
		fmt.Fprintf(w, "service time (from when each request was sent): p50 %s  p99 %s  p99.9 %s  max %s\n",
			fmtUs(s.P50), fmtUs(s.P99), fmtUs(s.P999), fmtUs(s.Max))
		if l := rep.SendLag; l != nil {
			fmt.Fprintf(w, "send lag (sent after due): p50 %s  p99 %s  max %s\n", fmtUs(l.P50), fmtUs(l.P99), fmtUs(l.Max))
		}
	}
	fmt.Fprintf(w, "\nstatus codes:\n")
	for _, rr := range rows {
		fmt.Fprintf(w, "  %-7s %s", rr.Route, countList(rr.Status))
		var kinds []string
		for _, k := range kindNames {
			if kc, ok := rr.Kinds[k]; ok {
				kinds = append(kinds, fmt.Sprintf("%s %d", k, kc.Completed))
			}
		}
		fmt.Fprintf(w, "   (%s)", strings.Join(kinds, ", "))
		if len(rr.TransportErrors) > 0 {
			fmt.Fprintf(w, "   transport: %s", countList(rr.TransportErrors))
		}
		fmt.Fprintln(w)
	}
	g := rep.Generator
	fmt.Fprintf(w, "\ngenerator: %.2f cores busy (GOMAXPROCS %d), %.1fµs CPU per request", g.Cores, g.GOMAXPROCS, g.CPUPerRequest)
	if g.GOMAXPROCS > 0 && g.Cores >= 0.5*float64(g.GOMAXPROCS) {
		fmt.Fprintf(w, ": one core drives at most ≈ %.0f req/s\n", g.MaxRatePerCore)
	} else {
		// Mostly idle: each request pays for waking the process up, so
		// the cost per request overstates what a busy generator pays.
		fmt.Fprintf(w, " (mostly idle, so not a measure of its capacity)\n")
	}
	if g.GOMAXPROCS > 0 && g.Cores > 0.9*float64(g.GOMAXPROCS) {
		fmt.Fprintf(w, "warning: the generator used (nearly) all its CPU; it may have been the bottleneck\n")
	}
	if g.CPUs > 0 && g.OtherCores > 0.1*float64(g.CPUs) {
		fmt.Fprintf(w, "warning: other processes used %.2f of the generator's %d CPU(s) during the run: "+
			"it may have waited for them, sending requests and reading answers late, and the latencies above include that\n",
			g.OtherCores, g.CPUs)
	}
	if len(rep.Activations) > 0 {
		rep.writeActivations(w)
	}
}

func countList(m map[string]int64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s: %d", k, m[k]))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

// writeActivations prints, for each activation, the seconds around it.
func (rep *Report) writeActivations(w io.Writer) {
	fmt.Fprintf(w, "\nactivations (the second before, the second of, and the two after each):\n")
	bySec := map[int]*Tick{}
	for i := range rep.Ticks {
		bySec[rep.Ticks[i].Second] = &rep.Ticks[i]
	}
	for _, a := range rep.Activations {
		status := fmt.Sprintf("status %d in %.1fms", a.Status, a.TookMs)
		if a.Error != "" {
			status = "failed: " + a.Error
		}
		fmt.Fprintf(w, "  at %.2fs %s → %s: %s\n", a.At, a.From, a.Generation, status)
		sec := a.second()
		for s := sec - 1; s <= sec+2; s++ {
			if tk := bySec[s]; tk != nil {
				fmt.Fprintf(w, "    %4ds  %9.0f req/s  %6d errors  p50 %9s  p99 %9s  max %9s\n",
					tk.Second, tk.Rate, tk.Errors, fmtUs(tk.P50), fmtUs(tk.P99), fmtUs(tk.Max))
			}
		}
	}
}

// WriteJSON writes the report as indented JSON to path.
func (rep *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// ReadReport reads a report written by WriteJSON.
func ReadReport(path string) (Report, error) {
	var rep Report
	b, err := os.ReadFile(path)
	if err != nil {
		return rep, err
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		return rep, fmt.Errorf("%s: %w", path, err)
	}
	return rep, nil
}

// Compare prints two reports side by side, with B/A ratios: throughput,
// latency percentiles and errors in total, and throughput, p50 and p99 per
// route.
func Compare(w io.Writer, a, b *Report, nameA, nameB string) {
	fmt.Fprintf(w, "A: %s  %s\n", nameA, describe(a))
	fmt.Fprintf(w, "B: %s  %s\n\n", nameB, describe(b))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "route\tmetric\tA\tB\tB/A\t")
	row := func(route, metric, fa, fb string, va, vb float64) {
		ratio := "-"
		if va != 0 {
			ratio = fmt.Sprintf("%.2f", vb/va)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", route, metric, fa, fb, ratio)
	}
	ra := map[string]*RouteReport{"total": &a.Total}
	for i := range a.Routes {
		ra[a.Routes[i].Route] = &a.Routes[i]
	}
	rb := map[string]*RouteReport{"total": &b.Total}
	for i := range b.Routes {
		rb[b.Routes[i].Route] = &b.Routes[i]
	}
	names := []string{"total"}
	for r := Route(0); r < NumRoutes; r++ {
		if ra[r.String()] != nil || rb[r.String()] != nil {
			names = append(names, r.String())
		}
	}
	for _, n := range names {
		x, y := ra[n], rb[n]
		if x == nil {
			x = &RouteReport{}
		}
		if y == nil {
			y = &RouteReport{}
		}
		row(n, "req/s", fmt.Sprintf("%.0f", x.Throughput), fmt.Sprintf("%.0f", y.Throughput), x.Throughput, y.Throughput)
		for _, q := range []struct {
			name string
			f    func(*Latency) float64
			all  bool // shown for each route, not only the total
		}{
			{"p50", func(l *Latency) float64 { return l.P50 }, true},
			{"p90", func(l *Latency) float64 { return l.P90 }, false},
			{"p99", func(l *Latency) float64 { return l.P99 }, true},
			{"p99.9", func(l *Latency) float64 { return l.P999 }, false},
			{"max", func(l *Latency) float64 { return l.Max }, false},
		} {
			if !q.all && n != "total" {
				continue
			}
			va, vb := q.f(&x.Latency), q.f(&y.Latency)
			row("", q.name, fmtUs(va), fmtUs(vb), va, vb)
		}
		ea, eb := float64(x.Unexpected+x.Sent-x.Completed), float64(y.Unexpected+y.Sent-y.Completed)
		row("", "errors", fmt.Sprintf("%.0f", ea), fmt.Sprintf("%.0f", eb), ea, eb)
	}
	tw.Flush()
}

func describe(r *Report) string {
	if r.Mode == "open" {
		return fmt.Sprintf("open loop %.0f req/s, %d connections, %.0fs, mix %s (%s)", r.RequestedRate, r.Connections, r.Duration, r.Mix, r.Started.Format(time.RFC3339))
	}
	return fmt.Sprintf("closed loop, %d connections, %.0fs, mix %s (%s)", r.Connections, r.Duration, r.Mix, r.Started.Format(time.RFC3339))
}
