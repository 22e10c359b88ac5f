//go:build !linux

package bench

import "time"

// waiter falls back to time.Sleep, which may round short sleeps up to a
// millisecond: open-loop send lag is larger here than on Linux.
type waiter struct{}

func newWaiter() (*waiter, error) { return &waiter{}, nil }

func (w *waiter) sleep(d time.Duration) { time.Sleep(d) }

func (w *waiter) close() {}
