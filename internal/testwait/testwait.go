// Package testwait is the tests' one way to wait for something that happens
// asynchronously (a generation closing, a server following an activation, a
// delta becoming visible). Tests never assert how long that took: they wait
// for the condition, bounded so that a hung test fails with a message
// instead of running into the package timeout.
package testwait

import (
	"testing"
	"time"
)

// Bound is the usual limit of a wait: far above what the condition takes on
// a 2-core CI machine running every package's tests at once (so the bound is
// never what a passing test measures), far below the package timeout.
const Bound = 60 * time.Second

// For polls cond until it returns true, first every millisecond, backing off
// to every 50 ms. If within passes first (and one last check is false), it
// fails the test with describe's message; describe is called only then, so
// it can report the state that was waited on. A nil describe gives a generic
// message.
func For(tb testing.TB, within time.Duration, cond func() bool, describe func() string) {
	tb.Helper()
	if !Until(within, cond) {
		msg := "condition not reached"
		if describe != nil {
			msg = describe()
		}
		tb.Fatalf("after %s: %s", within, msg)
	}
}

// Until polls cond as For does and reports whether it became true within
// the limit, for callers that handle a timeout themselves.
func Until(within time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	for pause := time.Millisecond; ; pause = min(2*pause, 50*time.Millisecond) {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return cond()
		}
		time.Sleep(pause)
	}
}

// Recv receives from ch (a closed channel gives the zero value), failing the
// test with what after within.
func Recv[T any](tb testing.TB, within time.Duration, ch <-chan T, what string) T {
	tb.Helper()
	t := time.NewTimer(within)
	defer t.Stop()
	select {
	case v := <-ch:
		return v
	case <-t.C:
		tb.Fatalf("after %s: %s", within, what)
		var zero T
		return zero
	}
}
