// Package audit is the durable, hash-chained audit log: who looked up which
// person, when, by which route and under which number (the Normen question
// "who looked this person up"), with verification of the chain and search.
// It knows nothing of HTTP: a request's Entry carries the caller's fields,
// and the server depends only on the Auditor interface, so another
// implementation (a replicated stream) plugs in without touching handlers.
package audit

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/grunndata/grunndata/registry"
)

// The audit log answers the Normen question "who looked this person up".
//
// Every request that touches a person appends one JSON line to
// DATADIR/audit/audit-NNNNNN.jsonl. Records are hash-chained: each carries
// the SHA-256 of the previous record ("prev") and its own ("hash", over the
// previous hash and the record up to the hash field), so a modified, deleted
// or reordered record breaks the chain; HEAD holds the last sequence number
// and hash, so a truncated tail is detected too. Files rotate by size; the
// chain continues across files.
//
// Durability: records are group-committed. A request's response is written
// only after the batch holding its record has been written and fsynced: one
// fsync of the log file per batch, while the next batch fills. So once a
// client has an answer, its record survives kill -9 and power loss; a crash
// may lose records of requests that were never answered. If the log cannot
// be written the request fails with 503.
//
// HEAD is rewritten after every batch but fsynced at most HeadSyncInterval
// later (and at Close), off the requests' path: it only guards against a
// log cut short after the fact, and the log's own fsync already makes every
// answered record durable. After a power loss HEAD can lag the log (Verify
// accepts a log that runs ahead of HEAD), never lead it: HEAD is written
// only after the batch it names is on disk.

// Auditor records audited requests. Record returns only once e is durable
// (the caller answers the request after it) and an error when it cannot be
// made durable (the caller must then fail the request). *Log is the
// file-backed implementation.
type Auditor interface {
	Record(e *Entry) error
	Close() error
}

var _ Auditor = (*Log)(nil)

// Config configures the audit log.
type Config struct {
	// Dir holds the log files (DATADIR/audit).
	Dir string
	// MaxFileBytes rotates to a new file past this size.
	MaxFileBytes int64
	// NoSync skips fsync (benchmarks of the cost only; never in production).
	NoSync bool
	// HeadSyncInterval bounds how long HEAD may go unsynced after a batch
	// (default 1 s).
	HeadSyncInterval time.Duration
	// Observe, when set, is called by the flusher after each batch with the
	// time it took to write and fsync the log and HEAD, the number of
	// records in it and the error that failed the log (nil: durable).
	Observe func(d time.Duration, records int, err error)
}

// Record is one audited request as the log holds it.
type Record struct {
	Seq           uint64    `json:"seq"`
	Time          time.Time `json:"time"`
	ClientID      string    `json:"clientId"`
	OrgnrParent   string    `json:"orgnrParent,omitempty"`
	OrgnrChild    string    `json:"orgnrChild,omitempty"`
	OrgnrSupplier string    `json:"orgnrSupplier,omitempty"`
	Route         string    `json:"route"`
	Subjects      []string  `json:"subjects"`
	Asked         []string  `json:"asked,omitempty"`
	Status        int       `json:"status"`
	DurationUs    int64     `json:"durationUs"`
	Generation    string    `json:"generation,omitempty"`
	Prev          string    `json:"prev"`
	Hash          string    `json:"hash"`
}

// ErrUnavailable reports that an audit record could not be made durable.
var ErrUnavailable = errors.New("audit log unavailable")

// Log is the append-only audit log writer.
type Log struct {
	cfg Config
	mu  sync.Mutex
	// guarded by mu
	cond    *sync.Cond
	pending []byte
	chain   Chain  // the last record appended
	batch   uint64 // batch the next record joins
	durable uint64 // highest durable batch
	failed  error
	closed  bool
	// flusher only
	f        *os.File
	fileNo   int
	fileSize int64
	head     *os.File
	headBuf  []byte
	done     chan struct{}
	// headDirty: HEAD was rewritten since its last fsync (headSyncer).
	headDirty atomic.Bool
	stopHead  chan struct{}
	headDone  chan struct{}
}

const auditHead = "HEAD"

func auditFileName(n int) string { return fmt.Sprintf("audit-%06d.jsonl", n) }

// Open opens (or creates) the audit log in cfg.Dir and continues its
// chain.
func Open(cfg Config) (*Log, error) {
	if cfg.MaxFileBytes <= 0 {
		cfg.MaxFileBytes = 256 << 20
	}
	if cfg.HeadSyncInterval <= 0 {
		cfg.HeadSyncInterval = time.Second
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("create audit directory: %w", err)
	}
	a := &Log{cfg: cfg, batch: 1, done: make(chan struct{}), stopHead: make(chan struct{}), headDone: make(chan struct{})}
	a.cond = sync.NewCond(&a.mu)
	files, err := auditFiles(cfg.Dir)
	if err != nil {
		return nil, err
	}
	if len(files) > 0 {
		// Continue after the last complete record; a torn last line (a crash
		// mid-write of a batch nobody was answered for) is cut off.
		last := files[len(files)-1]
		seq, hash, size, err := lastRecord(filepath.Join(cfg.Dir, last))
		if err != nil {
			return nil, err
		}
		if seq == 0 && len(files) > 1 {
			seq, hash, _, err = lastRecord(filepath.Join(cfg.Dir, files[len(files)-2]))
			if err != nil {
				return nil, err
			}
		}
		a.chain = Chain{Seq: seq, Hash: hash}
		a.fileNo, _ = strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(last, "audit-"), ".jsonl"))
		if a.f, err = os.OpenFile(filepath.Join(cfg.Dir, last), os.O_RDWR, 0o600); err != nil {
			return nil, err
		}
		if err := a.f.Truncate(size); err != nil {
			return nil, err
		}
		if _, err := a.f.Seek(size, 0); err != nil {
			return nil, err
		}
		a.fileSize = size
	} else if err := a.rotate(); err != nil {
		return nil, err
	}
	if a.head, err = os.OpenFile(filepath.Join(cfg.Dir, auditHead), os.O_RDWR|os.O_CREATE, 0o600); err != nil {
		return nil, err
	}
	go a.flusher()
	go a.headSyncer()
	return a, nil
}

func auditFiles(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "audit-") && strings.HasSuffix(e.Name(), ".jsonl") {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}

// lastRecord returns the last complete record's seq and hash and the byte
// size up to its end.
func lastRecord(p string) (seq uint64, hash [32]byte, size int64, err error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return 0, hash, 0, err
	}
	end := bytes.LastIndexByte(b, '\n')
	if end < 0 {
		return 0, hash, 0, nil
	}
	b = b[:end+1]
	c, _, err := Tail(b)
	if err != nil {
		return 0, hash, 0, fmt.Errorf("audit log %s: %w", p, err)
	}
	return c.Seq, c.Hash, int64(len(b)), nil
}

func (a *Log) rotate() error {
	if a.f != nil {
		if err := a.f.Close(); err != nil {
			return err
		}
	}
	a.fileNo++
	f, err := os.OpenFile(filepath.Join(a.cfg.Dir, auditFileName(a.fileNo)), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("rotate audit log: %w", err)
	}
	a.f, a.fileSize = f, 0
	return syncDirPath(a.cfg.Dir)
}

func syncDirPath(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Caller is who made an audited request: the HelseID client and the
// organisations it acts for.
type Caller struct {
	ClientID      string
	OrgnrParent   string
	OrgnrChild    string
	OrgnrSupplier string
}

// Entry is what a request contributes to its record.
type Entry struct {
	Caller Caller
	Route  string
	// Subject is the person answered: their current number (the record is
	// the only place it is written). Subjects are the persons of a request
	// about many (bulk, search, feed pages).
	Subject  []byte
	Subjects [][]byte
	// Asked is the number the caller sent when it is not Subject (an old
	// D-number, say); AskedAll lists those of a bulk request. Numbers equal
	// to a subject are left out.
	Asked      []byte
	AskedAll   [][]byte
	Status     int
	Duration   time.Duration
	Generation string
}

// Record appends e and waits until it is durable. It returns
// ErrUnavailable when the log cannot be written (the caller must then fail
// the request).
func (a *Log) Record(e *Entry) error {
	a.mu.Lock()
	if a.failed != nil || a.closed {
		a.mu.Unlock()
		return ErrUnavailable
	}
	a.pending = a.chain.Append(a.pending, e, time.Now())
	mine := a.batch
	a.cond.Broadcast() // wake the flusher
	for a.durable < mine && a.failed == nil {
		a.cond.Wait()
	}
	err := a.failed
	a.mu.Unlock()
	if err != nil {
		return ErrUnavailable
	}
	return nil
}

func appendJSONString(dst []byte, s string) []byte { return registry.AppendJSONString(dst, s) }

// flusher writes and fsyncs pending records, one batch at a time.
func (a *Log) flusher() {
	defer close(a.done)
	var buf []byte
	a.mu.Lock()
	flushedSeq := a.chain.Seq
	a.mu.Unlock()
	for {
		a.mu.Lock()
		for len(a.pending) == 0 && !a.closed {
			a.cond.Wait()
		}
		if len(a.pending) == 0 && a.closed {
			a.mu.Unlock()
			return
		}
		buf, a.pending = a.pending, buf[:0]
		batch := a.batch
		a.batch++
		lastSeq := a.chain.Seq
		a.headBuf = appendHead(a.headBuf[:0], lastSeq, &a.chain.Hash)
		a.mu.Unlock()

		start := time.Now()
		err := a.write(buf, a.headBuf)
		if a.cfg.Observe != nil {
			a.cfg.Observe(time.Since(start), int(lastSeq-flushedSeq), err)
		}
		flushedSeq = lastSeq
		a.mu.Lock()
		if err != nil {
			a.failed = fmt.Errorf("%w: %v", ErrUnavailable, err)
		} else {
			a.durable = batch
		}
		a.cond.Broadcast()
		a.mu.Unlock()
		if err != nil {
			return
		}
	}
}

func (a *Log) write(buf, head []byte) error {
	if a.fileSize > 0 && a.fileSize+int64(len(buf)) > a.cfg.MaxFileBytes {
		if err := a.rotate(); err != nil {
			return err
		}
	}
	if _, err := a.f.Write(buf); err != nil {
		return err
	}
	a.fileSize += int64(len(buf))
	if !a.cfg.NoSync {
		if err := a.f.Sync(); err != nil {
			return err
		}
	}
	if _, err := a.head.WriteAt(head, 0); err != nil {
		return err
	}
	a.headDirty.Store(true)
	return nil
}

// headLen is HEAD's fixed size: "seq hash\n" padded with spaces, so a
// rewrite in place never leaves a longer old line's tail behind.
const headLen = 100

// appendHead appends HEAD's content naming record seq with hash h.
func appendHead(dst []byte, seq uint64, h *[32]byte) []byte {
	start := len(dst)
	dst = strconv.AppendUint(dst, seq, 10)
	dst = append(dst, ' ')
	dst = hex.AppendEncode(dst, h[:])
	dst = append(dst, '\n')
	for len(dst)-start < headLen {
		dst = append(dst, ' ')
	}
	return dst
}

// headSyncer fsyncs HEAD at most HeadSyncInterval after it was rewritten,
// off the requests' path (see "Durability"). A failed fsync fails the log:
// the disk under it is not to be trusted.
func (a *Log) headSyncer() {
	defer close(a.headDone)
	t := time.NewTicker(a.cfg.HeadSyncInterval)
	defer t.Stop()
	for {
		select {
		case <-a.stopHead:
			return
		case <-t.C:
			if err := a.syncHead(); err != nil {
				a.mu.Lock()
				if a.failed == nil {
					a.failed = fmt.Errorf("%w: sync HEAD: %v", ErrUnavailable, err)
				}
				a.cond.Broadcast()
				a.mu.Unlock()
				return
			}
		}
	}
}

func (a *Log) syncHead() error {
	if a.cfg.NoSync || !a.headDirty.Swap(false) {
		return nil
	}
	return a.head.Sync()
}

// Close flushes and closes the log.
func (a *Log) Close() error {
	a.mu.Lock()
	a.closed = true
	a.cond.Broadcast()
	a.mu.Unlock()
	<-a.done
	close(a.stopHead)
	<-a.headDone
	err0 := a.syncHead()
	err1 := a.f.Close()
	err2 := a.head.Close()
	return errors.Join(err0, err1, err2)
}

// Verify checks the whole chain in dir: sequence numbers, prev links,
// hashes and HEAD. It returns the number of records and the first problem.
//
// The log may run ahead of HEAD (a crash between the log's fsync and HEAD's)
// and its last line may be torn (a crash mid-write of a batch no client was
// answered for); both are accepted. A log that ends before the record HEAD
// names has lost records.
func Verify(dir string) (int64, error) {
	files, err := auditFiles(dir)
	if err != nil {
		return 0, err
	}
	headSeq, headHash, err := readAuditHead(dir)
	if err != nil {
		return 0, err
	}
	var chk Checker
	var n int64
	var seq uint64
	headSeen := headSeq == 0
	for fi, name := range files {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			return n, err
		}
		br := bufio.NewReaderSize(f, 1<<20)
		line := 0
		for {
			b, rerr := br.ReadSlice('\n')
			if rerr == bufio.ErrBufferFull {
				f.Close()
				return n, fmt.Errorf("%s line %d: record too long", name, line+1)
			}
			if rerr != nil && rerr != io.EOF {
				f.Close()
				return n, rerr
			}
			if rerr == io.EOF {
				if len(b) > 0 && fi != len(files)-1 {
					f.Close()
					return n, fmt.Errorf("%s line %d: incomplete record inside the log", name, line+1)
				}
				break // a torn tail of the last file is ignored
			}
			line++
			r, err := chk.Check(b[:len(b)-1])
			if err != nil {
				f.Close()
				return n, fmt.Errorf("%s line %d: %w", name, line, err)
			}
			seq = r.Seq
			n++
			if seq == headSeq {
				if r.Hash != headHash {
					f.Close()
					return n, fmt.Errorf("record %d does not match HEAD: the log was rewritten", seq)
				}
				headSeen = true
			}
		}
		f.Close()
	}
	if !headSeen {
		return n, fmt.Errorf("HEAD names record %d but the log ends at %d: records were removed from the end", headSeq, seq)
	}
	return n, nil
}

func readAuditHead(dir string) (uint64, string, error) {
	hb, err := os.ReadFile(filepath.Join(dir, auditHead))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return 0, "", nil
		}
		return 0, "", fmt.Errorf("read HEAD: %w", err)
	}
	fields := strings.Fields(string(hb))
	if len(fields) == 0 {
		return 0, "", nil
	}
	if len(fields) != 2 {
		return 0, "", errors.New("audit HEAD is malformed")
	}
	seq, err := strconv.ParseUint(fields[0], 10, 64)
	if err != nil {
		return 0, "", errors.New("audit HEAD is malformed")
	}
	return seq, fields[1], nil
}

// Search calls fn for each record naming any of numbers, as a subject
// (the person answered) or as the number asked. Pass every number of the
// person (PersonNumbers) to find every access to them. The log links
// numbers too: a lookup by an old number records the person answered under
// their current number with the number asked, so the numbers linked to the
// given ones by such records are searched as well (this finds the accesses
// when the generation, which lists a person's numbers, cannot be read).
func Search(dir string, numbers []string, fn func(r *Record) bool) error {
	files, err := auditFiles(dir)
	if err != nil {
		return err
	}
	return SearchLines(func(fn func(line []byte) bool) error { return scanFiles(dir, files, fn) }, numbers, fn)
}

// scanFiles calls fn with each line of files until it returns false.
func scanFiles(dir string, files []string, fn func(line []byte) bool) error {
	for _, name := range files {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<26)
		for sc.Scan() {
			if !fn(sc.Bytes()) {
				f.Close()
				return nil
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return err
		}
	}
	return nil
}

// PersonNumbers returns every number of the person n names in generation v
// (current first; from the stored person record, which lists the numbers
// the person has had), or just n when v does not hold them.
func PersonNumbers(v registry.View, n registry.NIN) []string {
	k := registry.PersonKey(n)
	val, err := v.Get(nil, &k)
	if err != nil {
		return []string{string(n[:])}
	}
	_, full, _, err := registry.DecodeValue(val)
	if err != nil {
		return []string{string(n[:])}
	}
	var out []string
	seen := map[registry.NIN]bool{}
	registry.EachPersonNumber(full, func(o registry.NIN) bool {
		if !seen[o] {
			seen[o] = true
			out = append(out, string(o[:]))
		}
		return true
	})
	if !seen[n] {
		out = append(out, string(n[:]))
	}
	return out
}

// Records calls fn with every complete record line of the log in dir
// (without its '\n'), oldest first, as Verify reads them: a torn last line
// (a crash mid-write of a batch no client was answered for) is skipped. An
// error of fn stops the scan and is returned, naming the file and line.
func Records(dir string, fn func(line []byte) error) error {
	files, err := auditFiles(dir)
	if err != nil {
		return err
	}
	for fi, name := range files {
		if err := records(filepath.Join(dir, name), fi == len(files)-1, func(line int, b []byte) error {
			if err := fn(b); err != nil {
				return fmt.Errorf("%s line %d: %w", name, line, err)
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

func records(path string, last bool, fn func(line int, b []byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	for line := 1; ; line++ {
		b, rerr := br.ReadSlice('\n')
		if rerr == bufio.ErrBufferFull {
			return fmt.Errorf("%s line %d: record too long", filepath.Base(path), line)
		}
		if rerr == io.EOF {
			if len(b) > 0 && !last {
				return fmt.Errorf("%s line %d: incomplete record inside the log", filepath.Base(path), line)
			}
			return nil
		}
		if rerr != nil {
			return rerr
		}
		if err := fn(line, b[:len(b)-1]); err != nil {
			return err
		}
	}
}
