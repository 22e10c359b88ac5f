package loader

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	json "github.com/goccy/go-json"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/schollz/progressbar/v3"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/loader/jsonl"
)

// source is one open input file: it hashes and counts the raw bytes as they
// are read and decompresses gzip transparently.
type source struct {
	name string
	f    *os.File
	size int64
	h    hash.Hash
	read int64
	bar  *progressbar.ProgressBar
	r    io.Reader
	gz   *gzip.Reader
}

func (s *source) Read(p []byte) (int, error) {
	n, err := s.f.Read(p)
	s.h.Write(p[:n])
	s.read += int64(n)
	if s.bar != nil {
		s.bar.Add(n)
	}
	return n, err
}

// open opens From/name for parsing.
func (r *run) open(name string) (*source, error) {
	f, err := os.Open(filepath.Join(r.cfg.From, name))
	if err != nil {
		return nil, fmt.Errorf("%w: open %s: %w", jsonl.ErrStructure, name, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: stat %s: %w", jsonl.ErrStructure, name, err)
	}
	s := &source{name: name, f: f, size: fi.Size(), h: sha256.New()}
	if r.cfg.Progress != nil && r.cfg.ProgressTTY {
		s.bar = progressbar.NewOptions64(s.size,
			progressbar.OptionSetWriter(r.cfg.Progress),
			progressbar.OptionSetDescription(fmt.Sprintf("%-28s", name)),
			progressbar.OptionShowBytes(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionShowCount(),
			progressbar.OptionClearOnFinish(),
		)
	}
	br := bufio.NewReaderSize(s, 1<<20)
	if strings.HasSuffix(name, ".gz") {
		gz, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("%w: %s: not gzip: %w", jsonl.ErrStructure, name, err)
		}
		gz.Multistream(true)
		s.gz, s.r = gz, gz
	} else {
		s.r = br
	}
	return s, nil
}

// finish drains the file (so the checksum covers all of it), checks the gzip
// trailer, and records the file in the manifest.
func (r *run) finish(s *source, mu *sync.Mutex) error {
	defer s.f.Close()
	if _, err := io.Copy(io.Discard, s.r); err != nil {
		return fmt.Errorf("%w: %s: %w", jsonl.ErrStructure, s.name, err)
	}
	if s.gz != nil {
		if err := s.gz.Close(); err != nil {
			return fmt.Errorf("%w: %s: %w", jsonl.ErrStructure, s.name, err)
		}
	}
	if s.bar != nil {
		s.bar.Finish()
	}
	if mu != nil {
		mu.Lock()
		defer mu.Unlock()
	}
	r.sources = append(r.sources, index.SourceFile{Path: s.name, Size: s.size, SHA256: hex.EncodeToString(s.h.Sum(nil))})
	return nil
}

// parseErr names the file for an error from a parser.
func parseErr(name string, err error) error {
	return fmt.Errorf("%s: %w", name, err)
}

// rejectWriter appends reject (or warning) records as JSON lines to
// DATADIR/reports/<gen>-rejects.jsonl (or <gen>-warnings.jsonl). Person
// numbers never appear in it in plain text (see maskNIN).
type rejectWriter struct {
	mu    sync.Mutex
	path  string
	f     *os.File
	w     *bufio.Writer
	n     int64
	per   map[string]int64            // records per register
	rules map[string]map[string]int64 // records per register and rule
}

func newRejectWriter(dataDir, gen string) (*rejectWriter, error) {
	return newReportWriter(dataDir, gen+"-rejects.jsonl")
}

// newWarningWriter opens the warning report: records loaded as given whose
// reference points at an entity absent from the dataset (ruleAbsent).
func newWarningWriter(dataDir, gen string) (*rejectWriter, error) {
	return newReportWriter(dataDir, gen+"-warnings.jsonl")
}

func newReportWriter(dataDir, name string) (*rejectWriter, error) {
	dir := filepath.Join(dataDir, "reports")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	p := filepath.Join(dir, name)
	f, err := os.Create(p)
	if err != nil {
		return nil, fmt.Errorf("create report %s: %w", name, err)
	}
	return &rejectWriter{path: p, f: f, w: bufio.NewWriter(f), per: map[string]int64{}, rules: map[string]map[string]int64{}}, nil
}

type rejectLine struct {
	File       string `json:"file"`
	Position   string `json:"position"`
	Identifier string `json:"identifier,omitempty"`
	Rule       string `json:"rule"`
	Detail     string `json:"detail,omitempty"`
}

func (w *rejectWriter) write(reg, file, pos, id, rule, detail string) {
	b, _ := json.Marshal(rejectLine{file, pos, id, rule, detail})
	w.mu.Lock()
	w.w.Write(b)
	w.w.WriteByte('\n')
	w.n++
	w.per[reg]++
	if w.rules[reg] == nil {
		w.rules[reg] = map[string]int64{}
	}
	w.rules[reg][rule]++
	w.mu.Unlock()
}

func (w *rejectWriter) count(reg string) int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.per[reg]
}

// byRule returns the counts of register reg by rule (nil when none).
func (w *rejectWriter) byRule(reg string) map[string]int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.rules[reg]) == 0 {
		return nil
	}
	out := make(map[string]int64, len(w.rules[reg]))
	for k, v := range w.rules[reg] {
		out[k] = v
	}
	return out
}

func (w *rejectWriter) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.w.Flush()
	w.f.Close()
	if w.n == 0 {
		os.Remove(w.path)
	}
}

// maskNIN hides a person number in reports and logs: an operator who has the
// number can find its line by the hash, nobody else learns it.
func maskNIN(s string) string {
	if s == "" {
		return ""
	}
	h := sha256.Sum256([]byte(s))
	return "nin-sha256:" + hex.EncodeToString(h[:6])
}
