package auth

import (
	"math"
	"time"

	"golang.org/x/time/rate"
)

// limiter is the request rate limit of one client_id: a token bucket of
// golang.org/x/time/rate, shared by every token of the client.
type limiter struct {
	l *rate.Limiter
}

// newLimiter returns a bucket refilling at perSecond and holding burst
// requests (at least one second's worth, and at least one, when burst < 1).
func newLimiter(perSecond, burst float64, now time.Time) *limiter {
	b := int(math.Min(math.Ceil(burst), math.MaxInt32))
	if burst < 1 {
		b = int(math.Min(math.Max(perSecond, 1), math.MaxInt32))
	}
	l := rate.NewLimiter(rate.Limit(perSecond), b)
	l.SetBurstAt(now, b) // start full at now (the clock may be a test's)
	return &limiter{l: l}
}

// allow takes one request at now; when none is left it returns how long
// until one is.
func (l *limiter) allow(now time.Time) (bool, time.Duration) {
	if l.l.AllowN(now, 1) {
		return true, 0
	}
	missing := 1 - l.l.TokensAt(now)
	return false, time.Duration(missing / float64(l.l.Limit()) * float64(time.Second))
}
