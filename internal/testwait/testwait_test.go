package testwait

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeTB records a Fatalf instead of stopping the test.
type fakeTB struct {
	testing.TB
	failed string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failed = format
	if len(args) > 1 {
		f.failed = args[1].(string)
	}
}

func TestFor(t *testing.T) {
	var n atomic.Int64
	go func() {
		for range 5 {
			n.Add(1)
		}
	}()
	For(t, Bound, func() bool { return n.Load() == 5 }, nil)

	calls := 0
	f := &fakeTB{TB: t}
	For(f, 10*time.Millisecond, func() bool { calls++; return false }, func() string { return "never true" })
	if f.failed != "never true" || calls < 2 {
		t.Fatalf("a condition that stays false: failed %q after %d checks", f.failed, calls)
	}
	f = &fakeTB{TB: t}
	For(f, 0, func() bool { return true }, nil)
	if f.failed != "" {
		t.Fatalf("a true condition failed: %s", f.failed)
	}
}

func TestRecv(t *testing.T) {
	ch := make(chan struct{})
	go close(ch)
	Recv(t, Bound, ch, "closed")
	vals := make(chan int, 1)
	vals <- 7
	if v := Recv(t, Bound, vals, "a value"); v != 7 {
		t.Fatalf("received %d", v)
	}
	f := &fakeTB{TB: t}
	Recv(f, time.Millisecond, make(chan int), "still open")
	if !strings.Contains(f.failed, "still open") {
		t.Fatalf("an open channel: %q", f.failed)
	}
}
