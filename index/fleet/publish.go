package fleet

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/grunndata/grunndata/index"
)

// PublishReport is what Publish did.
type PublishReport struct {
	Generation string `json:"generation"`
	Files      int    `json:"files"`
	// Uploaded files were sent; Skipped ones were in the object store
	// already (content-addressed: shared with an earlier generation).
	Uploaded, Skipped int
	Bytes             int64 `json:"bytes"`
	UploadedBytes     int64 `json:"uploadedBytes"`
	Elapsed           time.Duration
	// Pointer is the fleet pointer after activation (zero when not
	// activated).
	Pointer Pointer
}

// MBPerSecond is the upload throughput.
func (r PublishReport) MBPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.UploadedBytes) / (1 << 20) / r.Elapsed.Seconds()
}

func digestOf(shaHex string) (string, error) {
	b, err := hex.DecodeString(shaHex)
	if err != nil || len(b) != sha256.Size {
		return "", fmt.Errorf("bad SHA-256 %q", shaHex)
	}
	return "SHA-256=" + base64.URLEncoding.EncodeToString(b), nil
}

// Publish uploads generation gen of dataDir to the object store (each file
// once, named by its SHA-256; the digest JetStream computes while storing
// it must equal the manifest's), then its manifest, and with activate
// moves the fleet pointer to it (compare-and-set). A generation id already
// published with another manifest is refused.
func (c *Client) Publish(ctx context.Context, dataDir, gen string, activate bool, by string) (PublishReport, error) {
	start := time.Now()
	rep := PublishReport{Generation: gen}
	if err := index.VerifyQuick(dataDir, gen); err != nil {
		return rep, err
	}
	dir := filepath.Join(index.SnapshotsDir(dataDir), gen)
	mb, err := os.ReadFile(filepath.Join(dir, index.ManifestName))
	if err != nil {
		return rep, err
	}
	m, err := parseManifest(gen, mb)
	if err != nil {
		return rep, fmt.Errorf("local generation: %w", err)
	}
	o, err := c.objects(ctx)
	if err != nil {
		return rep, err
	}
	// Refuse to overwrite another generation of the same id.
	cctx, cancel := c.ctx(ctx)
	old, err := o.GetBytes(cctx, manifestObject(gen))
	cancel()
	switch {
	case err == nil:
		om, perr := parseManifest(gen, old)
		if perr != nil || !sameFiles(om, m) {
			return rep, fmt.Errorf("generation %s is already published with other files (another producer's data directory?); publish a new generation", gen)
		}
	case !errors.Is(err, jetstream.ErrObjectNotFound):
		return rep, fmt.Errorf("read the published manifest of %s: %w", gen, err)
	}
	rep.Files = len(m.Files)
	// Files go up in parallel; the first error stops the rest.
	pctx, stop := context.WithCancel(ctx)
	defer stop()
	var mu sync.Mutex
	var firstErr error
	next := make(chan index.FileSum)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range next {
				skipped, err := c.publishFile(pctx, o, dir, f)
				mu.Lock()
				switch {
				case err != nil:
					if firstErr == nil {
						firstErr = err
						stop()
					}
				case skipped:
					rep.Skipped++
				default:
					rep.Uploaded++
					rep.UploadedBytes += f.Size
				}
				rep.Bytes += f.Size
				mu.Unlock()
			}
		}()
	}
	for _, f := range m.Files {
		select {
		case next <- f:
		case <-pctx.Done():
		}
		if pctx.Err() != nil {
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
	cctx, cancel = c.ctx(ctx)
	_, err = o.Put(cctx, jetstream.ObjectMeta{Name: manifestObject(gen), Metadata: map[string]string{"generation": gen}},
		bytes.NewReader(mb))
	cancel()
	if err != nil {
		return rep, fmt.Errorf("upload the manifest of %s: %w", gen, err)
	}
	rep.Elapsed = time.Since(start)
	if activate {
		if rep.Pointer, err = c.Activate(ctx, gen, by); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// publishFile stores f unless the object store holds it whole already.
func (c *Client) publishFile(ctx context.Context, o jetstream.ObjectStore, dir string, f index.FileSum) (skipped bool, err error) {
	want, err := digestOf(f.SHA256)
	if err != nil {
		return false, fmt.Errorf("file %s: %w", f.Name, err)
	}
	name := fileObject(f.SHA256)
	cctx, cancel := c.ctx(ctx)
	info, err := o.GetInfo(cctx, name)
	cancel()
	if err == nil && int64(info.Size) == f.Size && info.Digest == want {
		ok, err := c.intact(ctx, o, info, f.SHA256)
		if err != nil {
			return false, err
		}
		if ok {
			return true, nil
		}
		c.log.Warn("an object of the store lacks chunks or does not read back whole; uploading it again", "file", f.Name)
	}
	for try := 0; try < 3; try++ {
		if err = c.upload(ctx, o, filepath.Join(dir, f.Name), name, f, want); err == nil || errors.Is(err, errChanged) || ctx.Err() != nil {
			break
		}
		c.log.Warn("upload failed; retrying", "file", f.Name, "err", err)
		time.Sleep(time.Duration(try+1) * 500 * time.Millisecond)
	}
	return false, err
}

// upload stores one file; JetStream hashes it as it is stored, and a digest
// other than the manifest's (the file changed on disk) is refused and the
// object removed.
func (c *Client) upload(ctx context.Context, o jetstream.ObjectStore, path, name string, f index.FileSum, want string) error {
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	// A large file takes as long as it takes; the timeout guards each
	// chunk's acknowledgement inside Put, not the whole upload.
	info, err := o.Put(ctx, jetstream.ObjectMeta{Name: name, Opts: &jetstream.ObjectMetaOptions{ChunkSize: chunkSize},
		Metadata: map[string]string{"sha256": f.SHA256, "size": fmt.Sprint(f.Size)}}, fh)
	if err != nil {
		return fmt.Errorf("upload %s: %w", f.Name, err)
	}
	if info.Digest != want || int64(info.Size) != f.Size {
		dctx, cancel := c.ctx(context.WithoutCancel(ctx))
		o.Delete(dctx, name)
		cancel()
		return fmt.Errorf("file %s: uploaded %d bytes with digest %s, the manifest says %d bytes with SHA-256 %s: %w",
			f.Name, info.Size, info.Digest, f.Size, short(f.SHA256), errChanged)
	}
	// Put writes the object's meta even when a chunk's publish was lost or
	// repeated (a node failing over): check what the store holds.
	if ok, err := c.intact(ctx, o, info, f.SHA256); err != nil || !ok {
		return fmt.Errorf("upload %s: the object store's copy is not whole (%v)", f.Name, err)
	}
	return nil
}

var errChanged = errors.New("the file changed on disk after its manifest was written")

// intact reports whether the object store's stream holds every chunk of
// info and the object reads back with SHA-256 sha. Counting chunks alone is
// not enough: when a node fails over during Put, a lost chunk and a
// repeated one leave the count right and the content wrong, and every
// replica would then refuse the file. Reading back costs one more pass over
// the published bytes, at the producer only.
func (c *Client) intact(ctx context.Context, o jetstream.ObjectStore, info *jetstream.ObjectInfo, sha string) (bool, error) {
	if info.Size == 0 {
		return true, nil
	}
	cctx, cancel := c.ctx(ctx)
	st, err := c.js.Stream(cctx, "OBJ_"+ObjectBucket)
	if err != nil {
		cancel()
		return false, fmt.Errorf("object store stream: %w", err)
	}
	subj := "$O." + ObjectBucket + ".C." + info.NUID
	si, err := st.Info(cctx, jetstream.WithSubjectFilter(subj))
	cancel()
	if err != nil {
		return false, fmt.Errorf("object store stream: %w", err)
	}
	if si.State.Subjects[subj] != uint64(info.Chunks) {
		return false, nil
	}
	// The read takes as long as the object's size needs; ctx bounds it.
	r, err := o.Get(ctx, info.Name)
	if err != nil {
		return false, fmt.Errorf("read back %s: %w", info.Name, err)
	}
	defer r.Close()
	h := sha256.New()
	n, err := io.Copy(h, r)
	switch {
	case errors.Is(err, jetstream.ErrDigestMismatch):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("read back %s: %w", info.Name, err)
	}
	return n == int64(info.Size) && hex.EncodeToString(h.Sum(nil)) == sha, nil
}

func sameFiles(a, b *index.Manifest) bool {
	if len(a.Files) != len(b.Files) {
		return false
	}
	for i := range a.Files {
		if a.Files[i] != b.Files[i] {
			return false
		}
	}
	return true
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12] + "…"
	}
	return h
}
