//go:build !unix

package index

import "os"

// lockFile opens name without locking: data-directory locks need flock
// (Unix). Concurrent activations from several processes are then unsafe.
func lockFile(name string, wait bool) (*os.File, error) {
	return os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
}

func fileID(fi os.FileInfo) (inode, bool) { return inode{}, false }

func lockBusy(err error) bool { return false }
