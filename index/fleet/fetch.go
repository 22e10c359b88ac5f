package fleet

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/grunndata/grunndata/index"
)

// FetchSuffix names a generation being downloaded: DATADIR/snapshots/G.fetch.
const FetchSuffix = ".fetch"

// FetchOptions tunes Fetch.
type FetchOptions struct {
	// RateBytes limits the download rate in bytes per second (0: none), so
	// a replica joining does not saturate its link.
	RateBytes int64
	// Progress, when set, is called after each file (serialised).
	Progress func(p FetchProgress)
	// Parallel is how many files download at once (default 4).
	Parallel int
}

// FetchProgress is how far a fetch is.
type FetchProgress struct {
	Generation string `json:"generation"`
	Files      int    `json:"files"`
	Done       int    `json:"filesDone"`
	Bytes      int64  `json:"bytes"`
	Have       int64  `json:"bytesDone"`
	File       string `json:"lastFile"`
}

// FetchReport is what Fetch did.
type FetchReport struct {
	Generation string `json:"generation"`
	// Local: the generation was complete in the data directory already.
	Local bool `json:"local"`
	Files int  `json:"files"`
	// Downloaded files came from the object store; Resumed were complete
	// from an interrupted fetch; Linked were hard-linked from another
	// local generation with the same file.
	Downloaded      int           `json:"downloaded"`
	Resumed         int           `json:"resumed"`
	Linked          int           `json:"linked"`
	Bytes           int64         `json:"bytes"`
	DownloadedBytes int64         `json:"downloadedBytes"`
	Elapsed         time.Duration `json:"-"`
	Seconds         float64       `json:"seconds"`
}

// Fetch makes generation gen complete in dataDir: it downloads every file
// into snapshots/gen.fetch (resuming after the files an interrupted fetch
// completed), checks each against the published manifest's SHA-256, and
// only then writes the manifest and renames the directory to gen. A local
// generation gen with the same files is used as it is; one with other files
// is an error.
func (c *Client) Fetch(ctx context.Context, dataDir, gen string, opt FetchOptions) (FetchReport, error) {
	start := time.Now()
	rep := FetchReport{Generation: gen}
	if !index.ValidID(gen) {
		return rep, fmt.Errorf("%q is not a generation id", gen)
	}
	m, mb, err := c.PublishedManifest(ctx, gen, false)
	if err != nil {
		return rep, err
	}
	rep.Files = len(m.Files)
	snaps := index.SnapshotsDir(dataDir)
	final := filepath.Join(snaps, gen)
	if _, err := os.Stat(final); err == nil {
		lm, err := index.ReadManifest(final)
		if err != nil || !sameFiles(lm, m) {
			return rep, fmt.Errorf("generation %s exists in %s with other files than the fleet's; remove it or publish under a new id", gen, dataDir)
		}
		rep.Local = true
		return rep, nil
	}
	o, err := c.objects(ctx)
	if err != nil {
		return rep, err
	}
	tmp := final + FetchSuffix
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return rep, err
	}
	local := localFiles(dataDir)
	prog := FetchProgress{Generation: gen, Files: len(m.Files)}
	for _, f := range m.Files {
		prog.Bytes += f.Size
	}
	pace := newPacer(opt.RateBytes)
	// Files go in parallel (one object-store consumer each is bound by its
	// round trips, not by the link); the first error stops the rest.
	workers := opt.Parallel
	if workers <= 0 {
		workers = 4
	}
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	var firstErr error
	next := make(chan index.FileSum)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 256<<10)
			for f := range next {
				kind, n, err := c.fetchFile(fctx, o, filepath.Join(tmp, f.Name), f, local[f.SHA256], pace, buf)
				mu.Lock()
				if err != nil {
					if firstErr == nil {
						firstErr = err
						cancel()
					}
					mu.Unlock()
					continue
				}
				switch kind {
				case fileResumed:
					rep.Resumed++
				case fileLinked:
					rep.Linked++
				default:
					rep.Downloaded++
					rep.DownloadedBytes += n
				}
				rep.Bytes += f.Size
				prog.Done++
				prog.Have += f.Size
				prog.File = f.Name
				if opt.Progress != nil {
					opt.Progress(prog)
				}
				mu.Unlock()
			}
		}()
	}
	for _, f := range m.Files {
		select {
		case next <- f:
		case <-fctx.Done():
		}
		if fctx.Err() != nil {
			break
		}
	}
	close(next)
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	if firstErr != nil {
		return rep, firstErr
	}
	if err := writeSync(filepath.Join(tmp, index.ManifestName), mb); err != nil {
		return rep, err
	}
	if err := syncDir(tmp); err != nil {
		return rep, err
	}
	if err := os.Rename(tmp, final); err != nil {
		return rep, fmt.Errorf("complete generation %s: %w", gen, err)
	}
	if err := syncDir(snaps); err != nil {
		return rep, err
	}
	rep.Elapsed = time.Since(start)
	rep.Seconds = rep.Elapsed.Seconds()
	return rep, index.VerifyQuick(dataDir, gen)
}

var errMissing = errors.New("missing from the object store")

const (
	fileDownloaded = iota
	fileResumed
	fileLinked
)

// fetchFile makes dst hold f: kept from an interrupted fetch, linked from
// a local generation, or downloaded (retried: a read across a leader
// change can end short).
func (c *Client) fetchFile(ctx context.Context, o jetstream.ObjectStore, dst string, f index.FileSum, local []string, pace *pacer, buf []byte) (int, int64, error) {
	if fileMatches(dst, f, buf) {
		return fileResumed, 0, nil
	}
	if linkLocal(local, dst, f, buf) {
		return fileLinked, 0, nil
	}
	var n int64
	var err error
	for try := 0; try < 3; try++ {
		if n, err = c.download(ctx, o, dst, f, pace, buf); err == nil || ctx.Err() != nil || errors.Is(err, errMissing) {
			break
		}
		time.Sleep(time.Duration(try+1) * 300 * time.Millisecond)
	}
	return fileDownloaded, n, err
}

// download fetches one file to dst via dst.part, hashing as it goes.
func (c *Client) download(ctx context.Context, o jetstream.ObjectStore, dst string, f index.FileSum, pace *pacer, buf []byte) (int64, error) {
	r, err := o.Get(ctx, fileObject(f.SHA256))
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return 0, fmt.Errorf("file %s (SHA-256 %s): %w", f.Name, short(f.SHA256), errMissing)
	}
	if err != nil {
		return 0, fmt.Errorf("download %s: %w", f.Name, err)
	}
	defer r.Close()
	part := dst + ".part"
	out, err := os.Create(part)
	if err != nil {
		return 0, err
	}
	h := sha256.New()
	var n int64
	for {
		k, rerr := r.Read(buf)
		if k > 0 {
			h.Write(buf[:k])
			if _, err := out.Write(buf[:k]); err != nil {
				out.Close()
				return n, err
			}
			n += int64(k)
			if err := pace.wait(ctx, k); err != nil {
				out.Close()
				return n, err
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			out.Close()
			os.Remove(part)
			if errors.Is(rerr, jetstream.ErrDigestMismatch) {
				return n, fmt.Errorf("file %s: the object store's copy does not match its recorded digest: %w", f.Name, rerr)
			}
			return n, fmt.Errorf("download %s: %w", f.Name, rerr)
		}
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != f.SHA256 || n != f.Size {
		out.Close()
		os.Remove(part)
		return n, fmt.Errorf("file %s from the object store has %d bytes with SHA-256 %s, the manifest says %d bytes with %s; not used",
			f.Name, n, short(got), f.Size, short(f.SHA256))
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return n, err
	}
	if err := out.Close(); err != nil {
		return n, err
	}
	return n, os.Rename(part, dst)
}

// fileMatches reports whether path exists with f's size and SHA-256.
func fileMatches(path string, f index.FileSum, buf []byte) bool {
	fi, err := os.Stat(path)
	if err != nil || fi.Size() != f.Size {
		return false
	}
	fh, err := os.Open(path)
	if err != nil {
		return false
	}
	defer fh.Close()
	h := sha256.New()
	if _, err := io.CopyBuffer(h, fh, buf); err != nil {
		return false
	}
	return hex.EncodeToString(h.Sum(nil)) == f.SHA256
}

// linkLocal hard-links the first candidate that still verifies to dst.
func linkLocal(cands []string, dst string, f index.FileSum, buf []byte) bool {
	for _, src := range cands {
		if !fileMatches(src, f, buf) {
			continue
		}
		os.Remove(dst)
		if os.Link(src, dst) == nil {
			return true
		}
	}
	return false
}

// localFiles maps SHA-256 → paths of the files of the data directory's
// complete generations, from their manifests.
func localFiles(dataDir string) map[string][]string {
	out := map[string][]string{}
	ids, _ := index.ListGenerations(dataDir)
	for _, id := range ids {
		dir := filepath.Join(index.SnapshotsDir(dataDir), id)
		m, err := index.ReadManifest(dir)
		if err != nil {
			continue
		}
		for _, f := range m.Files {
			out[f.SHA256] = append(out[f.SHA256], filepath.Join(dir, f.Name))
		}
	}
	return out
}

// RemoveStaleFetches removes the .fetch directories of dataDir other than
// keep's (generations the fleet moved away from before they completed).
func RemoveStaleFetches(dataDir, keep string) error {
	ents, err := os.ReadDir(index.SnapshotsDir(dataDir))
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range ents {
		if gen, ok := strings.CutSuffix(e.Name(), FetchSuffix); ok && e.IsDir() && index.ValidID(gen) && gen != keep {
			errs = append(errs, os.RemoveAll(filepath.Join(index.SnapshotsDir(dataDir), e.Name())))
		}
	}
	return errors.Join(errs...)
}

func writeSync(name string, data []byte) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, bytes.NewReader(data)); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// pacer limits a byte rate by sleeping.
type pacer struct {
	rate  int64
	start time.Time
	mu    sync.Mutex
	sent  int64
}

func newPacer(rate int64) *pacer { return &pacer{rate: rate, start: time.Now()} }

func (p *pacer) wait(ctx context.Context, n int) error {
	if p.rate <= 0 {
		return ctx.Err()
	}
	p.mu.Lock()
	p.sent += int64(n)
	due := p.start.Add(time.Duration(float64(p.sent) / float64(p.rate) * float64(time.Second)))
	p.mu.Unlock()
	if d := time.Until(due); d > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
		}
	}
	return nil
}
