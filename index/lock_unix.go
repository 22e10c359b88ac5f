//go:build unix

package index

import (
	"errors"
	"os"
	"strings"
	"syscall"
)

// lockFile takes an exclusive flock on name, creating it. With wait false it
// fails with errLocked when another holder has it. flock locks belong to the
// open file, so two opens in one process also exclude each other (unlike
// the fcntl locks Pebble uses), and the kernel drops them when the holder
// dies, which is what makes them safe against kill -9.
func lockFile(name string, wait bool) (*os.File, error) {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	how := syscall.LOCK_EX
	if !wait {
		how |= syscall.LOCK_NB
	}
	for {
		err = syscall.Flock(int(f.Fd()), how)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errLocked
		}
		return nil, err
	}
	return f, nil
}

// fileID identifies the inode of fi, so hard-linked files (generations made
// by a checkpoint share their parent's tables) are counted once.
func fileID(fi os.FileInfo) (inode, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return inode{}, false
	}
	return inode{uint64(st.Dev), uint64(st.Ino)}, true
}

// lockBusy reports whether err is Pebble failing to take a directory lock
// another process (or this one) holds.
func lockBusy(err error) bool {
	return errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EACCES) ||
		strings.Contains(err.Error(), "lock held by current process")
}
