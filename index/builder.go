package index

import (
	"bufio"
	"bytes"
	"cmp"
	"container/heap"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/objstorage/objstorageprovider"
	"github.com/cockroachdb/pebble/v2/sstable"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/grunndata/grunndata/registry"
)

// BuilderConfig configures a Builder.
type BuilderConfig struct {
	// Dir is the data directory.
	Dir string
	// SortBytes bounds each of the two buffers that collect keys: when one
	// is full it is sorted and spilled to a run on disk in the background
	// while the other fills, so the load's memory stays near twice this
	// whatever the input size.
	SortBytes int
	// TableBytes is the target size of each ingested SSTable.
	TableBytes int64
	// Logger; nil discards.
	Logger *slog.Logger
	// CacheBytes sizes the block cache for reads during the build.
	CacheBytes int64
}

// DefaultBuilderConfig returns the defaults for dir.
func DefaultBuilderConfig(dir string) BuilderConfig {
	return BuilderConfig{Dir: dir, SortBytes: 128 << 20, TableBytes: 128 << 20}
}

// BuilderStats counts what a Builder did.
type BuilderStats struct {
	Keys       int64 // keys written (after dropping duplicates)
	Duplicates int64 // keys added more than once before a Flush (the last one wins)
	Runs       int64 // sorted runs spilled to disk
	Tables     int64 // SSTables ingested
}

// Builder builds a new generation in DATADIR/snapshots/<gen>.tmp: keys are
// added in any order, sorted in bounded memory (spilling sorted runs to disk),
// merged and written as SSTables that are ingested into a fresh Pebble DB.
// Data added before a Flush is readable through Get and Scan, so later stages
// of a load can check references against earlier ones. Commit writes the
// manifest and renames the directory into place; nothing is visible to a
// server before that.
type Builder struct {
	cfg    BuilderConfig
	log    *slog.Logger
	id     string
	parent string
	tmp    string
	lock   *os.File // flock on tmp+".lock" while building
	db     *pebble.DB
	opts   *pebble.Options

	arena   []byte
	entries []entry
	// spare is the second buffer; spilling delivers it back from a
	// background spill (nil when none is in flight).
	spare struct {
		arena   []byte
		entries []entry
	}
	spilling chan spillResult
	runs     []string
	nfile    int
	stats    BuilderStats
	done     bool
	started  time.Time
}

type entry struct {
	off  uint64 // key at arena[off:off+klen], value after it
	klen uint32
	vlen uint32
}

// NewBuilder starts a new, empty generation.
func NewBuilder(cfg BuilderConfig) (*Builder, error) {
	return newBuilder(cfg, "")
}

// NewBuilderFrom starts a new generation holding a copy of generation parent
// (hard links of its tables, no data copied; see cloneGen). Used for deltas.
// The parent may be open, in this process or another.
func NewBuilderFrom(cfg BuilderConfig, parent string) (*Builder, error) {
	return newBuilder(cfg, parent)
}

func newBuilder(cfg BuilderConfig, parent string) (_ *Builder, err error) {
	def := DefaultBuilderConfig(cfg.Dir)
	if cfg.SortBytes <= 0 {
		cfg.SortBytes = def.SortBytes
	}
	if cfg.TableBytes <= 0 {
		cfg.TableBytes = def.TableBytes
	}
	if cfg.CacheBytes <= 0 {
		cfg.CacheBytes = 128 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(SnapshotsDir(cfg.Dir), 0o755); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	b := &Builder{cfg: cfg, log: cfg.Logger, parent: parent, started: time.Now()}
	// Under the data-directory lock: pick the id, lock it, create the
	// directory. The build lock (a flock on <gen>.tmp.lock, held until
	// Commit or Abort) tells RemoveTemp in other processes that this
	// half-built generation is alive; the kernel drops it if we die.
	unlock, err := lockDataDir(cfg.Dir)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil && b.lock != nil {
			os.RemoveAll(b.tmp)
			os.Remove(b.lock.Name())
			b.lock.Close()
		}
	}()
	defer unlock()
	if b.id, err = nextGenID(cfg.Dir); err != nil {
		return nil, err
	}
	b.tmp = filepath.Join(SnapshotsDir(cfg.Dir), b.id+".tmp")
	if b.lock, err = lockFile(b.tmp+".lock", false); err != nil {
		return nil, fmt.Errorf("lock generation %s: %w", b.id, err)
	}
	// A block cache of its own: later stages of a load read what earlier
	// ones wrote (references, GP lists), and Pebble's 8 MiB default makes
	// those reads go to disk.
	cache := pebble.NewCache(cfg.CacheBytes)
	defer cache.Unref()
	b.opts = pebbleOptions(cache, cfg.Logger)
	b.opts.DisableWAL = true
	if parent != "" {
		if err := cloneGen(filepath.Join(SnapshotsDir(cfg.Dir), parent), b.tmp); err != nil {
			return nil, fmt.Errorf("copy generation %s: %w", parent, err)
		}
	} else if err := os.Mkdir(b.tmp, 0o755); err != nil {
		return nil, fmt.Errorf("create generation %s: %w", b.id, err)
	}
	if err := os.MkdirAll(filepath.Join(b.tmp, "build"), 0o755); err != nil {
		return nil, err
	}
	b.db, err = pebble.Open(b.tmp, b.opts)
	if err != nil {
		return nil, fmt.Errorf("create generation %s: %w", b.id, err)
	}
	return b, nil
}

// cloneGen makes dst a copy of the complete generation src without opening
// it (a server may hold it open, and Pebble's directory lock would refuse a
// second open): SSTables are immutable and hard-linked; Pebble's MANIFEST,
// markers, OPTIONS and logs, which the builder's read-write open may append
// to, are copied. This is what a Pebble checkpoint does, from the outside.
func cloneGen(src, dst string) error {
	if _, err := ReadManifest(src); err != nil {
		return err
	}
	names, err := generationFiles(src)
	if err != nil {
		return err
	}
	if err := os.Mkdir(dst, 0o755); err != nil {
		return err
	}
	for _, n := range names {
		s, d := filepath.Join(src, n), filepath.Join(dst, n)
		if strings.HasSuffix(n, ".sst") || strings.HasSuffix(n, ".blob") {
			if err := os.Link(s, d); err == nil {
				continue
			}
		}
		if err := copyFile(s, d); err != nil {
			return err
		}
	}
	return syncDir(dst)
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// ID returns the id the generation will have.
func (b *Builder) ID() string { return b.id }

// Stats returns the counts so far.
func (b *Builder) Stats() BuilderStats { return b.stats }

// Add queues key → value. Both are copied. Keys added twice before the next
// Flush keep the last value.
func (b *Builder) Add(key, value []byte) error {
	if len(key) == 0 || len(key) > max(registry.MaxKeyLen, registry.MaxSearchKeyLen) {
		panic(fmt.Sprintf("BUG: key length %d", len(key)))
	}
	if len(b.arena)+len(key)+len(value) > b.cfg.SortBytes && len(b.entries) > 0 {
		if err := b.startSpill(); err != nil {
			return err
		}
	}
	b.entries = append(b.entries, entry{off: uint64(len(b.arena)), klen: uint32(len(key)), vlen: uint32(len(value))})
	b.arena = append(b.arena, key...)
	b.arena = append(b.arena, value...)
	return nil
}

func (b *Builder) key(e entry) []byte { return b.arena[e.off : e.off+uint64(e.klen)] }
func (b *Builder) val(e entry) []byte {
	s := e.off + uint64(e.klen)
	return b.arena[s : s+uint64(e.vlen)]
}

// sortEntries sorts entries by key; equal keys are ordered newest first
// (arena offsets grow with insertion), so the merge writes the last one
// added.
func sortEntries(arena []byte, entries []entry) {
	key := func(e entry) []byte { return arena[e.off : e.off+uint64(e.klen)] }
	slices.SortFunc(entries, func(x, y entry) int {
		if c := bytes.Compare(key(x), key(y)); c != 0 {
			return c
		}
		return cmp.Compare(y.off, x.off)
	})
}

func (b *Builder) sortEntries() { sortEntries(b.arena, b.entries) }

// spillResult is a finished background spill, handing its buffers back.
type spillResult struct {
	err     error
	arena   []byte
	entries []entry
}

// startSpill hands the full in-memory buffer to a background goroutine that
// sorts it and writes it as a sorted run, and goes on with the other buffer,
// so parsing never waits for a sort (at most one spill is in flight; memory
// is two buffers of SortBytes).
func (b *Builder) startSpill() error {
	if err := b.waitSpill(); err != nil {
		return err
	}
	b.nfile++
	name := filepath.Join(b.tmp, "build", fmt.Sprintf("run-%06d", b.nfile))
	b.runs = append(b.runs, name)
	b.stats.Runs++
	arena, entries := b.arena, b.entries
	b.arena, b.entries = b.spare.arena[:0], b.spare.entries[:0]
	b.spare.arena, b.spare.entries = nil, nil
	ch := make(chan spillResult, 1)
	b.spilling = ch
	go func() {
		err := writeRun(name, arena, entries)
		ch <- spillResult{err, arena, entries}
	}()
	return nil
}

// waitSpill waits for the spill in flight, if any, and takes its buffers.
func (b *Builder) waitSpill() error {
	if b.spilling == nil {
		return nil
	}
	r := <-b.spilling
	b.spilling = nil
	b.spare.arena, b.spare.entries = r.arena[:0], r.entries[:0]
	if r.err != nil {
		return fmt.Errorf("spill sorted run: %w", r.err)
	}
	return nil
}

// writeRun sorts entries and writes them to the run file name.
func writeRun(name string, arena []byte, entries []entry) error {
	sortEntries(arena, entries)
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var hdr [2 * binary.MaxVarintLen32]byte
	for _, e := range entries {
		n := binary.PutUvarint(hdr[:], uint64(e.klen))
		n += binary.PutUvarint(hdr[n:], uint64(e.vlen))
		w.Write(hdr[:n])
		w.Write(arena[e.off : e.off+uint64(e.klen)+uint64(e.vlen)])
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// source is one sorted input of the merge: a run file or the memory buffer.
type source struct {
	rank int // higher rank wins on equal keys (added later)
	key  []byte
	val  []byte
	// run file
	r   *bufio.Reader
	f   *os.File
	buf []byte
	// memory
	b   *Builder
	pos int
}

func (s *source) next() (bool, error) {
	if s.b != nil {
		if s.pos >= len(s.b.entries) {
			return false, nil
		}
		e := s.b.entries[s.pos]
		s.pos++
		s.key, s.val = s.b.key(e), s.b.val(e)
		return true, nil
	}
	kl, err := binary.ReadUvarint(s.r)
	if err == io.EOF {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	vl, err := binary.ReadUvarint(s.r)
	if err != nil {
		return false, err
	}
	if cap(s.buf) < int(kl+vl) {
		s.buf = make([]byte, kl+vl)
	}
	s.buf = s.buf[:kl+vl]
	if _, err := io.ReadFull(s.r, s.buf); err != nil {
		return false, err
	}
	s.key, s.val = s.buf[:kl], s.buf[kl:]
	return true, nil
}

type mergeHeap []*source

func (h mergeHeap) Len() int { return len(h) }
func (h mergeHeap) Less(i, j int) bool {
	if c := bytes.Compare(h[i].key, h[j].key); c != 0 {
		return c < 0
	}
	return h[i].rank > h[j].rank
}
func (h mergeHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *mergeHeap) Push(x any)   { *h = append(*h, x.(*source)) }
func (h *mergeHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// Flush merges everything added so far into sorted SSTables and ingests them,
// so Get and Scan see it.
func (b *Builder) Flush() error {
	if err := b.waitSpill(); err != nil {
		return err
	}
	if len(b.entries) == 0 && len(b.runs) == 0 {
		return nil
	}
	b.sortEntries()
	var h mergeHeap
	var files []*os.File
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	for i, name := range b.runs {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		files = append(files, f)
		s := &source{rank: i, r: bufio.NewReaderSize(f, 1<<20), f: f}
		ok, err := s.next()
		if err != nil {
			return fmt.Errorf("read sorted run: %w", err)
		}
		if ok {
			h = append(h, s)
		}
	}
	mem := &source{rank: len(b.runs), b: b}
	if ok, _ := mem.next(); ok {
		h = append(h, mem)
	}
	heap.Init(&h)

	var (
		paths []string
		w     *sstable.Writer
		prev  []byte
	)
	finishTable := func() error {
		if w == nil {
			return nil
		}
		err := w.Close()
		w = nil
		return err
	}
	wopts := b.opts.MakeWriterOptions(0, b.db.TableFormat())
	for h.Len() > 0 {
		s := h[0]
		if prev != nil && bytes.Equal(prev, s.key) {
			b.stats.Duplicates++ // an older value of a key already written
		} else {
			if w != nil && int64(w.Raw().EstimatedSize()) >= b.cfg.TableBytes {
				if err := finishTable(); err != nil {
					return fmt.Errorf("write table: %w", err)
				}
			}
			if w == nil {
				b.nfile++
				p := filepath.Join(b.tmp, "build", fmt.Sprintf("table-%06d.sst", b.nfile))
				f, err := vfs.Default.Create(p, vfs.WriteCategoryUnspecified)
				if err != nil {
					return fmt.Errorf("create table: %w", err)
				}
				w = sstable.NewWriter(objstorageprovider.NewFileWritable(f), wopts)
				paths = append(paths, p)
			}
			if err := w.Set(s.key, s.val); err != nil {
				return fmt.Errorf("write table: %w", err)
			}
			b.stats.Keys++
			prev = append(prev[:0], s.key...)
		}
		ok, err := s.next()
		if err != nil {
			return fmt.Errorf("read sorted run: %w", err)
		}
		if ok {
			heap.Fix(&h, 0)
		} else {
			heap.Pop(&h)
		}
	}
	if err := finishTable(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	if len(paths) > 0 {
		if err := b.db.Ingest(context.Background(), paths); err != nil {
			return fmt.Errorf("ingest tables: %w", err)
		}
		b.stats.Tables += int64(len(paths))
	}
	for _, f := range files {
		f.Close()
	}
	files = nil
	for _, r := range b.runs {
		os.Remove(r)
	}
	for _, p := range paths {
		os.Remove(p) // ingest hard-links; drop our name
	}
	b.runs = b.runs[:0]
	b.entries = b.entries[:0]
	b.arena = b.arena[:0]
	return nil
}

// Get reads a flushed value (see Flush).
func (b *Builder) Get(dst []byte, key *registry.Key) ([]byte, error) {
	return getInto(b.db, dst, key.Bytes())
}

// Has reports whether key is stored (flushed).
func (b *Builder) Has(key []byte) (bool, error) {
	_, closer, err := b.db.Get(key)
	if err == pebble.ErrNotFound {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	closer.Close()
	return true, nil
}

// Apply writes one atomic batch of sets and deletes on top of everything
// flushed so far (used by deltas).
func (b *Builder) Apply(batch func(set func(k, v []byte) error, del func(k []byte) error) error) error {
	bt := b.db.NewBatch()
	defer bt.Close()
	err := batch(
		func(k, v []byte) error { return bt.Set(k, v, nil) },
		func(k []byte) error { return bt.Delete(k, nil) },
	)
	if err != nil {
		return err
	}
	return bt.Commit(pebble.NoSync)
}

// Commit flushes, compacts nothing, closes the DB, writes the manifest and
// renames the generation into place. The generation is complete but not
// active: see WriteActive and Store.Activate.
func (b *Builder) Commit(m *Manifest) (err error) {
	if b.done {
		panic("BUG: Builder used after Commit or Abort")
	}
	if err := b.Flush(); err != nil {
		return err
	}
	if err := b.db.Flush(); err != nil {
		return fmt.Errorf("flush generation: %w", err)
	}
	b.done = true
	defer func() {
		if err != nil { // nothing was renamed into place
			os.RemoveAll(b.tmp)
			b.unlock()
		}
	}()
	if err := b.db.Close(); err != nil {
		return fmt.Errorf("close generation: %w", err)
	}
	if err := os.RemoveAll(filepath.Join(b.tmp, "build")); err != nil {
		return err
	}
	m.Generation = b.id
	m.FormatVersion = FormatVersion
	if m.CreatedAt.IsZero() {
		m.CreatedAt = time.Now().UTC()
	}
	if m.Parent == "" {
		m.Parent = b.parent
	}
	names, err := generationFiles(b.tmp)
	if err != nil {
		return err
	}
	var known map[inode]FileSum
	if b.parent != "" {
		known = knownSums(filepath.Join(SnapshotsDir(b.cfg.Dir), b.parent))
	}
	hashStart := time.Now()
	if m.Files, err = sumFiles(b.tmp, names, known); err != nil {
		return fmt.Errorf("checksum generation: %w", err)
	}
	hashTime := time.Since(hashStart)
	m.SizeBytes = 0
	for _, f := range m.Files {
		m.SizeBytes += f.Size
	}
	if err := writeManifest(b.tmp, m); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	if err := syncDir(b.tmp); err != nil {
		return err
	}
	// The rename is the commit point: before it a crash leaves a .tmp that
	// start-up removes; after it the generation is complete (not active).
	final := filepath.Join(SnapshotsDir(b.cfg.Dir), b.id)
	if err := os.Rename(b.tmp, final); err != nil {
		return fmt.Errorf("rename generation into place: %w", err)
	}
	if err := syncDir(SnapshotsDir(b.cfg.Dir)); err != nil {
		return err
	}
	b.unlock()
	b.log.Info("generation built", "generation", b.id, "keys", b.stats.Keys, "bytes", m.SizeBytes,
		"seconds", time.Since(b.started).Seconds(), "checksum_seconds", hashTime.Seconds())
	return nil
}

func (b *Builder) unlock() {
	if b.lock != nil {
		os.Remove(b.lock.Name())
		b.lock.Close()
		b.lock = nil
	}
}

// Abort discards the generation being built.
func (b *Builder) Abort() {
	if b.done {
		return
	}
	b.done = true
	b.waitSpill()
	b.db.Close()
	os.RemoveAll(b.tmp)
	b.unlock()
}
