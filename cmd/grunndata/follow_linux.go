package main

import (
	"bytes"
	"log/slog"
	"os"
	"syscall"
	"unsafe"

	"github.com/grunndata/grunndata/index"
)

// watchActive signals on the returned channel whenever the data directory's
// ACTIVE pointer is renamed into place or rewritten, so a server follows a
// CLI activation at once rather than at the next poll. It stops when done
// is closed. Without inotify it returns a channel that never fires (the
// poll and SIGHUP remain).
func watchActive(dir string, done <-chan struct{}, log *slog.Logger) <-chan struct{} {
	ch := make(chan struct{}, 1)
	fd, err := syscall.InotifyInit1(syscall.IN_CLOEXEC | syscall.IN_NONBLOCK)
	if err != nil {
		log.Warn("inotify unavailable; following ACTIVE by polling", "err", err)
		return ch
	}
	if _, err := syscall.InotifyAddWatch(fd, dir, syscall.IN_MOVED_TO|syscall.IN_CLOSE_WRITE); err != nil {
		syscall.Close(fd)
		log.Warn("inotify watch failed; following ACTIVE by polling", "dir", dir, "err", err)
		return ch
	}
	f := os.NewFile(uintptr(fd), "inotify") // non-blocking: Read parks in the poller, Close wakes it
	go func() {
		<-done
		f.Close()
	}()
	go func() {
		buf := make([]byte, 64<<10)
		name := []byte(index.ActiveName)
		for {
			n, err := f.Read(buf)
			if err != nil {
				return
			}
			for off := 0; off+syscall.SizeofInotifyEvent <= n; {
				ev := (*syscall.InotifyEvent)(unsafe.Pointer(&buf[off]))
				nb := buf[off+syscall.SizeofInotifyEvent : off+syscall.SizeofInotifyEvent+int(ev.Len)]
				if bytes.Equal(bytes.TrimRight(nb, "\x00"), name) {
					select {
					case ch <- struct{}{}:
					default:
					}
				}
				off += syscall.SizeofInotifyEvent + int(ev.Len)
			}
		}
	}()
	return ch
}
