//go:build linux

package bench

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// waiter sleeps short, precise intervals. Go's time.Sleep rounds sleeps
// under a millisecond up to about a millisecond when the process is
// otherwise idle (the runtime's poller waits in whole milliseconds), which
// would make an open-loop schedule bursty. A timerfd registered with the
// runtime's poller wakes the waiting goroutine within microseconds, without
// an extra thread and without spinning.
type waiter struct {
	fd int
	f  *os.File // owns fd; never call f.Fd(), which would make it blocking
}

func newWaiter() (*waiter, error) {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil, err
	}
	return &waiter{fd: fd, f: os.NewFile(uintptr(fd), "timerfd")}, nil
}

// sleep waits d (> 0).
func (w *waiter) sleep(d time.Duration) {
	its := unix.ItimerSpec{Value: unix.NsecToTimespec(int64(d))}
	if err := unix.TimerfdSettime(w.fd, 0, &its, nil); err != nil {
		time.Sleep(d)
		return
	}
	var b [8]byte
	if _, err := w.f.Read(b[:]); err != nil {
		time.Sleep(d)
	}
}

func (w *waiter) close() { w.f.Close() }
