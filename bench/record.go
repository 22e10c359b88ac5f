package bench

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/valyala/fasthttp"
)

// Histograms record microseconds from 1 µs to histMax with three significant
// digits; larger values are clamped to histMax (and counted in the max).
const histMax = 60_000_000

func newHist() *hdr.Histogram { return hdr.New(1, histMax, 3) }

func record(h *hdr.Histogram, d time.Duration) {
	us := d.Microseconds()
	if us < 1 {
		us = 1
	}
	if us > histMax {
		us = histMax
	}
	h.RecordValue(us) // cannot fail within the bounds above
}

const maxStatus = 600

// shard is where a group of workers records; the mutex is uncontended as
// long as there are at least as many shards as running goroutines.
type shard struct {
	mu struct {
		sync.Mutex
		lat, svc  [NumRoutes]*hdr.Histogram // latency (corrected), service time
		lag       *hdr.Histogram            // open loop: actual send − due
		status    [NumRoutes][numKinds][maxStatus]int64
		transport [NumRoutes]map[string]int64
		// The current second, reset by each tick.
		tick            *hdr.Histogram
		tickOps, tickEr int64
	}
}

func newShard() *shard {
	s := new(shard)
	for r := range s.mu.lat {
		s.mu.lat[r], s.mu.svc[r] = newHist(), newHist()
		s.mu.transport[r] = make(map[string]int64)
	}
	s.mu.lag, s.mu.tick = newHist(), newHist()
	return s
}

// result is one request's outcome.
type result struct {
	route      Route
	kind       kind
	status     int   // 0 for a transport error
	err        error // transport error
	lat, svc   time.Duration
	lag        time.Duration
	open       bool
	unexpected bool
}

func (s *shard) record(res *result) {
	s.mu.Lock()
	if res.open {
		record(s.mu.lag, res.lag)
	}
	if res.err != nil {
		s.mu.transport[res.route][transportClass(res.err)]++
		s.mu.tickEr++
		s.mu.Unlock()
		return
	}
	record(s.mu.lat[res.route], res.lat)
	record(s.mu.svc[res.route], res.svc)
	record(s.mu.tick, res.lat)
	st := res.status
	if st < 0 || st >= maxStatus {
		st = 0
	}
	s.mu.status[res.route][res.kind][st]++
	s.mu.tickOps++
	if res.unexpected {
		s.mu.tickEr++
	}
	s.mu.Unlock()
}

// takeTick moves this second's numbers into h and returns the counts.
func (s *shard) takeTick(h *hdr.Histogram) (ops, errs int64) {
	s.mu.Lock()
	h.Merge(s.mu.tick)
	s.mu.tick.Reset()
	ops, errs = s.mu.tickOps, s.mu.tickEr
	s.mu.tickOps, s.mu.tickEr = 0, 0
	s.mu.Unlock()
	return ops, errs
}

// transportClass names a transport error for the report.
func transportClass(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, fasthttp.ErrTimeout), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "connection reset"
	case errors.Is(err, fasthttp.ErrConnectionClosed), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed"
	case errors.Is(err, fasthttp.ErrNoFreeConns):
		return "no free connections"
	}
	msg := err.Error()
	if len(msg) > 80 {
		msg = msg[:80]
	}
	return "other: " + msg
}
