package index

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"

	"github.com/cockroachdb/pebble/v2"
)

// ErrNoGeneration reports a generation id with no complete generation
// directory.
var ErrNoGeneration = errors.New("no such generation")

// VerifyError refuses a generation that does not verify; Problem says what
// is wrong in words an operator can act on.
type VerifyError struct {
	Generation string
	Problem    string
}

func (e *VerifyError) Error() string {
	return "generation " + e.Generation + " does not verify: " + e.Problem
}

func refuse(id, format string, args ...any) error {
	return &VerifyError{Generation: id, Problem: fmt.Sprintf(format, args...)}
}

// Verification levels. Pebble's own open additionally checks that every
// table its MANIFEST lists exists with the recorded size, and every block
// read checks the block's checksum.
//
//   - Quick: the manifest parses, has this format version and names this
//     generation; every file it lists exists with the listed size. Costs a
//     stat per file (milliseconds at national size).
//   - Full: Quick, plus the SHA-256 of every file. Costs reading the whole
//     generation (about a second per GB per core from the page cache).
//
// VerifyQuick checks generation id of the data directory dir at the quick
// level.
func VerifyQuick(dir, id string) error {
	_, err := verify(dir, id, false)
	return err
}

// VerifyFull checks generation id of dir at the full level.
func VerifyFull(dir, id string) error {
	_, err := verify(dir, id, true)
	return err
}

// verify checks generation id and returns its manifest.
func verify(dataDir, id string, full bool) (*Manifest, error) {
	if !validGenID(id) {
		return nil, fmt.Errorf("%q is not a generation id", id)
	}
	dir := filepath.Join(SnapshotsDir(dataDir), id)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("generation %s: %w", id, ErrNoGeneration)
	}
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, refuse(id, "%v", err)
	}
	if len(m.Files) == 0 {
		// Built before manifests listed files: Pebble's consistency check
		// at open is all there is.
		return m, nil
	}
	for _, f := range m.Files {
		if f.Name != filepath.Base(f.Name) || f.Name == ManifestName {
			return nil, refuse(id, "manifest lists file %q", f.Name)
		}
		fi, err := os.Stat(filepath.Join(dir, f.Name))
		switch {
		case errors.Is(err, os.ErrNotExist):
			return nil, refuse(id, "file %s is missing", f.Name)
		case err != nil:
			return nil, refuse(id, "file %s: %v", f.Name, err)
		case fi.Size() != f.Size:
			return nil, refuse(id, "file %s has %d bytes, the manifest says %d (truncated or replaced)", f.Name, fi.Size(), f.Size)
		}
	}
	if !full {
		return m, nil
	}
	sums, err := sumFiles(dir, fileNames(m.Files), nil)
	if err != nil {
		return nil, refuse(id, "%v", err)
	}
	for i, f := range m.Files {
		if sums[i].SHA256 != f.SHA256 {
			return nil, refuse(id, "file %s has SHA-256 %s, the manifest says %s (altered on disk)", f.Name, short(sums[i].SHA256), short(f.SHA256))
		}
	}
	return m, nil
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12] + "…"
	}
	return h
}

func fileNames(fs []FileSum) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Name
	}
	return out
}

// generationFiles lists the files of the generation directory dir that its
// manifest covers: everything but the manifest and Pebble's LOCK (which
// every open re-creates).
func generationFiles(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		if e.IsDir() {
			return nil, fmt.Errorf("unexpected directory %s in generation", e.Name())
		}
		if n := e.Name(); n != ManifestName && n != "LOCK" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names, nil
}

// sumFiles computes size and SHA-256 of names in dir, in parallel. known
// maps a file's inode to a sum computed before (a delta's tables are hard
// links of its parent's): those are not read again.
func sumFiles(dir string, names []string, known map[inode]FileSum) ([]FileSum, error) {
	out := make([]FileSum, len(names))
	errs := make([]error, len(names))
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(runtime.GOMAXPROCS(0), 4, max(len(names), 1)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 1<<20)
			for i := range work {
				out[i], errs[i] = sumFile(filepath.Join(dir, names[i]), buf, known)
				out[i].Name = names[i]
			}
		}()
	}
	for i := range names {
		work <- i
	}
	close(work)
	wg.Wait()
	return out, errors.Join(errs...)
}

func sumFile(name string, buf []byte, known map[inode]FileSum) (FileSum, error) {
	f, err := os.Open(name)
	if err != nil {
		return FileSum{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return FileSum{}, err
	}
	if id, ok := fileID(fi); ok && known != nil {
		if s, ok := known[id]; ok && s.Size == fi.Size() {
			return s, nil
		}
	}
	h := sha256.New()
	n, err := io.CopyBuffer(h, f, buf)
	if err != nil {
		return FileSum{}, fmt.Errorf("read %s: %w", filepath.Base(name), err)
	}
	return FileSum{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// knownSums maps the inodes of generation dir's files to their manifest
// sums, for sumFiles; nil when dir has no usable manifest.
func knownSums(dir string) map[inode]FileSum {
	m, err := ReadManifest(dir)
	if err != nil || len(m.Files) == 0 {
		return nil
	}
	known := make(map[inode]FileSum, len(m.Files))
	for _, f := range m.Files {
		fi, err := os.Stat(filepath.Join(dir, f.Name))
		if err != nil || fi.Size() != f.Size {
			continue
		}
		if id, ok := fileID(fi); ok {
			known[id] = f
		}
	}
	return known
}

// VerifyOpen opens generation id of dir read-only and closes it: Pebble's
// open checks that every table its MANIFEST lists exists with the recorded
// size. A generation open in another process (a server) cannot be opened
// here (Pebble locks the directory); it was checked when that process
// opened it, and VerifyOpen returns nil.
func VerifyOpen(dir, id string) error {
	if !validGenID(id) {
		return fmt.Errorf("%q is not a generation id", id)
	}
	gdir := filepath.Join(SnapshotsDir(dir), id)
	opts := pebbleOptions(nil, slog.New(slog.DiscardHandler))
	opts.ReadOnly = true
	db, err := pebble.Open(gdir, opts)
	if err != nil {
		if lockBusy(err) {
			return nil
		}
		return refuse(id, "pebble: %v", err)
	}
	return db.Close()
}
