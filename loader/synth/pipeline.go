package synth

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/flate"
)

// Output files are gzip, written in parallel yet byte-identical whatever the
// number of workers: a file is cut into chunks of a fixed number of records;
// each worker encodes a chunk and deflates it on its own (no shared
// dictionary) ending with a sync flush; the writer concatenates the deflate
// segments in chunk order inside one gzip member, then writes the final empty
// block and the CRC-32 and size trailer. The result is an ordinary
// single-member gzip file (RFC 1952) with a zero header: no name, no mtime.

const compressLevel = flate.BestSpeed

// gzipHeader: magic, CM=deflate, no flags, MTIME 0, XFL 0, OS unknown.
var gzipHeader = []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}

// finalBlock is an empty final fixed-Huffman block: BFINAL=1, BTYPE=01, EOB.
var finalBlock = []byte{0x03, 0x00}

type appendBuf struct{ b []byte }

func (a *appendBuf) Write(p []byte) (int, error) {
	a.b = append(a.b, p...)
	return len(p), nil
}

// deflater compresses chunks into sync-flushed raw deflate segments.
type deflater struct {
	fw  *flate.Writer
	out appendBuf
}

func newDeflater() *deflater {
	d := &deflater{}
	fw, err := flate.NewWriter(&d.out, compressLevel)
	if err != nil {
		panic("BUG: " + err.Error())
	}
	d.fw = fw
	return d
}

// segment appends the deflate segment of raw to dst.
func (d *deflater) segment(dst, raw []byte) []byte {
	d.out.b = dst
	d.fw.Reset(&d.out)
	if _, err := d.fw.Write(raw); err != nil {
		panic("BUG: " + err.Error())
	}
	if err := d.fw.Flush(); err != nil {
		panic("BUG: " + err.Error())
	}
	return d.out.b
}

func gzipTrailer(dst []byte, crc, size uint32) []byte {
	dst = append(dst, finalBlock...)
	dst = binary.LittleEndian.AppendUint32(dst, crc)
	return binary.LittleEndian.AppendUint32(dst, size)
}

// scratch is a worker's reusable state.
type scratch struct {
	raw, comp []byte
	def       *deflater
	p         person
}

// encodeFunc appends the records of units [lo, hi) and returns how many
// records it wrote (a unit is a record, except for the patient list where it
// is a person).
type encodeFunc func(dst []byte, lo, hi int, s *scratch) ([]byte, int)

// fileJob describes one output file.
type fileJob struct {
	name       string // relative to the output directory
	units      int
	chunk      int
	head, tail string
	encode     encodeFunc
}

type chunkResult struct {
	raw, comp []byte
	records   int
}

// progress prints one updating line per file when out is not nil.
type progress struct {
	out     io.Writer
	name    string
	total   int
	done    atomic.Int64
	start   time.Time
	stop    chan struct{}
	stopped sync.WaitGroup
}

func startProgress(out io.Writer, name string, total int) *progress {
	p := &progress{out: out, name: name, total: total, start: time.Now(), stop: make(chan struct{})}
	if out == nil {
		return p
	}
	p.stopped.Add(1)
	go func() {
		defer p.stopped.Done()
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				d := p.done.Load()
				el := time.Since(p.start).Seconds()
				fmt.Fprintf(p.out, "\r\x1b[K%-30s %6.1f%%  %9.0f units/s", p.name, 100*float64(d)/float64(max(1, p.total)), float64(d)/el)
			}
		}
	}()
	return p
}

func (p *progress) finish(fs FileSummary, err error) {
	close(p.stop)
	p.stopped.Wait()
	if p.out == nil {
		return
	}
	el := time.Since(p.start)
	if err != nil {
		fmt.Fprintf(p.out, "\r\x1b[K%-30s failed: %v\n", p.name, err)
		return
	}
	fmt.Fprintf(p.out, "\r\x1b[K%-30s %10d records %9.1f MB %6.1fs %9.0f records/s\n", p.name, fs.Records,
		float64(fs.Bytes)/1e6, el.Seconds(), float64(fs.Records)/max(el.Seconds(), 1e-9))
}

// writeFile writes one gzip file of job j into dir with the given workers.
func writeFile(ctx context.Context, dir string, j fileJob, workers int, out io.Writer) (fs FileSummary, err error) {
	fs = FileSummary{Name: j.name, Files: 1}
	start := time.Now()
	prog := startProgress(out, j.name, j.units)
	defer func() {
		fs.Elapsed = time.Since(start)
		prog.finish(fs, err)
	}()

	path := dir + "/" + j.name
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fs, err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	n := (j.units + j.chunk - 1) / j.chunk
	if n == 0 {
		n = 1
	}
	results := make([]chan chunkResult, n)
	for i := range results {
		results[i] = make(chan chunkResult, 1)
	}
	window := make(chan struct{}, 2*workers+2)
	jobs := make(chan int)
	go func() {
		defer close(jobs)
		for i := 0; i < n; i++ {
			select {
			case window <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()

	free := make(chan chunkResult, 2*workers+2)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := &scratch{def: newDeflater()}
			for i := range jobs {
				if ctx.Err() != nil {
					continue
				}
				var res chunkResult
				select {
				case res = <-free:
				default:
				}
				raw := res.raw[:0]
				if i == 0 {
					raw = append(raw, j.head...)
				}
				lo, hi := i*j.chunk, min((i+1)*j.chunk, j.units)
				raw, res.records = j.encode(raw, lo, hi, s)
				if i == n-1 {
					raw = append(raw, j.tail...)
				}
				res.raw = raw
				res.comp = s.def.segment(res.comp[:0], raw)
				prog.done.Add(int64(hi - lo))
				results[i] <- res
			}
		}()
	}
	defer wg.Wait()

	var crc uint32
	var size uint32
	if _, err = bw.Write(gzipHeader); err != nil {
		return fs, err
	}
	written := int64(len(gzipHeader))
	for i := 0; i < n; i++ {
		var res chunkResult
		select {
		case res = <-results[i]:
		case <-ctx.Done():
			return fs, ctx.Err()
		}
		crc = crc32.Update(crc, crc32.IEEETable, res.raw)
		size += uint32(len(res.raw))
		if _, err = bw.Write(res.comp); err != nil {
			return fs, err
		}
		written += int64(len(res.comp))
		fs.Records += int64(res.records)
		<-window
		select {
		case free <- res:
		default:
		}
	}
	trailer := gzipTrailer(nil, crc, size)
	if _, err = bw.Write(trailer); err != nil {
		return fs, err
	}
	written += int64(len(trailer))
	if err = bw.Flush(); err != nil {
		return fs, err
	}
	if err = f.Close(); err != nil {
		return fs, err
	}
	if err = os.Rename(tmp, path); err != nil {
		return fs, err
	}
	fs.Bytes = written
	return fs, nil
}

// fregJob describes the Freg bulkoppslag files: file k holds units
// [k*per, (k+1)*per).
type fregJob struct {
	dir    string // relative directory
	units  int
	per    int
	encode encodeFunc
}

// writeFiles writes the many small Freg files; each is encoded, compressed
// and written by one worker, so their order does not matter.
func writeFiles(ctx context.Context, dir string, j fregJob, workers int, out io.Writer) (fs FileSummary, err error) {
	fs = FileSummary{Name: j.dir + "/"}
	start := time.Now()
	prog := startProgress(out, j.dir+"/bulkoppslag-*.json.gz", j.units)
	defer func() {
		fs.Elapsed = time.Since(start)
		prog.finish(fs, err)
	}()
	if err := os.MkdirAll(dir+"/"+j.dir, 0o755); err != nil {
		return fs, err
	}
	n := (j.units + j.per - 1) / j.per
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan int)
	go func() {
		defer close(jobs)
		for i := 0; i < n; i++ {
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	var (
		mu       sync.Mutex
		firstErr error
		records  atomic.Int64
		bytes    atomic.Int64
		wg       sync.WaitGroup
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := &scratch{def: newDeflater()}
			for i := range jobs {
				if ctx.Err() != nil {
					continue
				}
				lo, hi := i*j.per, min((i+1)*j.per, j.units)
				raw, recs := j.encode(s.raw[:0], lo, hi, s)
				s.raw = raw
				comp := append(s.comp[:0], gzipHeader...)
				comp = s.def.segment(comp, raw)
				comp = gzipTrailer(comp, crc32.ChecksumIEEE(raw), uint32(len(raw)))
				s.comp = comp
				name := fmt.Sprintf("%s/%s/bulkoppslag-%06d.json.gz", dir, j.dir, i+1)
				if err := writeAtomic(name, comp); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					cancel()
					continue
				}
				records.Add(int64(recs))
				bytes.Add(int64(len(comp)))
				prog.done.Add(int64(hi - lo))
			}
		}()
	}
	wg.Wait()
	fs.Files, fs.Records, fs.Bytes = n, records.Load(), bytes.Load()
	if firstErr != nil {
		return fs, firstErr
	}
	if err := ctx.Err(); err != nil {
		return fs, err
	}
	return fs, nil
}

func writeAtomic(name string, b []byte) error {
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, name)
}
