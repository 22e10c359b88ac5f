package loader

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	json "github.com/goccy/go-json"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/klauspost/compress/gzip"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/loader/brreg"
	"github.com/grunndata/grunndata/loader/freg"
	"github.com/grunndata/grunndata/loader/jsonl"
)

// Feed names: the keys of the manifest's feedPositions and of
// feed-positions.json. A position is the last oppdateringsid (Brreg) or
// sekvensnummer (Freg) the generation contains.
const (
	FeedEnheter      = "brreg/enheter"
	FeedUnderenheter = "brreg/underenheter"
	FeedFreg         = "freg/hendelser"
)

var feedNames = []string{FeedEnheter, FeedUnderenheter, FeedFreg}

// FeedPositionsFile is the optional file of a bulk dataset directory that
// says which feed positions the bulk files contain (written by `grunndata
// gen`; an operator writes it when they know where the bulk was cut).
const FeedPositionsFile = "feed-positions.json"

// ErrFeedGap and ErrFeedReplay refuse a delta that does not continue the
// feed exactly where the active generation stopped.
var (
	ErrFeedGap    = errors.New("feed gap")
	ErrFeedReplay = errors.New("feed replay")
	// ErrIncompleteDelta refuses a delta that lacks the changed entity or
	// person document an item refers to.
	ErrIncompleteDelta = errors.New("incomplete delta")
	// ErrNoActive refuses a delta when there is no generation to apply it to.
	ErrNoActive = errors.New("no active generation")
)

// readFeedPositions reads From/feed-positions.json if present.
func (r *run) readFeedPositions() (map[string]int64, error) {
	b, err := os.ReadFile(filepath.Join(r.cfg.From, FeedPositionsFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m map[string]int64
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", FeedPositionsFile, err)
	}
	for k, v := range m {
		if !knownFeed(k) {
			return nil, fmt.Errorf("%s: unknown feed %q (want one of %s)", FeedPositionsFile, k, strings.Join(feedNames, ", "))
		}
		if v < 0 {
			return nil, fmt.Errorf("%s: %s: negative position %d", FeedPositionsFile, k, v)
		}
	}
	r.sources = append(r.sources, fileSource(FeedPositionsFile, b))
	return m, nil
}

func knownFeed(k string) bool {
	for _, n := range feedNames {
		if n == k {
			return true
		}
	}
	return false
}

func fileSource(name string, raw []byte) index.SourceFile {
	h := sha256.Sum256(raw)
	return index.SourceFile{Path: name, Size: int64(len(raw)), SHA256: hex.EncodeToString(h[:])}
}

// deltaDir is a parsed delta directory (docs/formats.md, "Delta directory").
type deltaDir struct {
	dir     string
	sources []index.SourceFile
	// Brreg: feed pages and the changed entities, by organisasjonsnummer.
	pages  [2][]pageFile
	bodies [2]map[string]*bodyRec
	// Freg: feed events in page order and the person documents by id.
	events []eventAt
	docs   map[string]*docRec
	// present says which feeds the directory has pages for.
	present map[string]bool
}

type pageFile struct {
	name string
	page *brreg.Page
}

type bodyRec struct {
	file string
	pos  string
	rec  brreg.Record // JSON owned
}

type eventAt struct {
	file string
	ev   freg.Event
}

type docRec struct {
	file string
	line int
	raw  []byte
	err  error
}

// readRaw reads dir/name whole (gunzipping *.gz) and records it as a source.
func (d *deltaDir) readRaw(name string) ([]byte, error) {
	raw, err := os.ReadFile(filepath.Join(d.dir, name))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", jsonl.ErrStructure, err)
	}
	d.sources = append(d.sources, fileSource(name, raw))
	if !strings.HasSuffix(name, ".gz") {
		return raw, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: not gzip: %w", jsonl.ErrStructure, name, err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", jsonl.ErrStructure, name, err)
	}
	return b, nil
}

// listFiles returns the regular files in dir/sub with one of the suffixes,
// sorted by name; a missing directory is empty.
func (d *deltaDir) listFiles(sub string, suffixes ...string) ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(d.dir, sub))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		for _, s := range suffixes {
			if strings.HasSuffix(e.Name(), s) {
				out = append(out, filepath.ToSlash(filepath.Join(sub, e.Name())))
				break
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// oneOf returns the one existing file among names, "" if none.
func (d *deltaDir) oneOf(names ...string) (string, error) {
	var found []string
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(d.dir, n)); err == nil {
			found = append(found, n)
		}
	}
	if len(found) > 1 {
		return "", fmt.Errorf("%s: found %s; keep one of them", d.dir, strings.Join(found, " and "))
	}
	if len(found) == 0 {
		return "", nil
	}
	return found[0], nil
}

// readDelta parses everything in a delta directory. Any structural problem
// fails the whole delta.
func readDelta(dir string) (*deltaDir, error) {
	d := &deltaDir{dir: dir, docs: map[string]*docRec{}, present: map[string]bool{}}
	for k, sub := range []string{"oppdateringer/enheter", "oppdateringer/underenheter"} {
		kind := brreg.Kind(k)
		feed := []string{FeedEnheter, FeedUnderenheter}[k]
		names, err := d.listFiles(sub, ".json", ".json.gz")
		if err != nil {
			return nil, err
		}
		for _, name := range names {
			raw, err := d.readRaw(name)
			if err != nil {
				return nil, err
			}
			p, err := brreg.ReadPage(bytes.NewReader(raw))
			if err != nil {
				return nil, parseErr(name, err)
			}
			if p.Known && p.Feed != kind {
				return nil, fmt.Errorf("%s: %w: a page of the %s feed in %s/", name, jsonl.ErrStructure, p.Feed, sub)
			}
			d.pages[k] = append(d.pages[k], pageFile{name, p})
			d.present[feed] = true
		}
		body, err := d.oneOf(kind.String()+".json", kind.String()+".json.gz")
		if err != nil {
			return nil, err
		}
		d.bodies[k] = map[string]*bodyRec{}
		if body == "" {
			continue
		}
		raw, err := d.readRaw(body)
		if err != nil {
			return nil, err
		}
		err = brreg.Read(bytes.NewReader(raw), func(rec *brreg.Record) error {
			b := &bodyRec{file: body, pos: pos("index", rec.Index), rec: *rec}
			b.rec.JSON = append([]byte(nil), rec.JSON...)
			if rec.Err == nil && rec.Orgnr != "" {
				d.bodies[k][rec.Orgnr] = b // a later body of the same entity wins
			}
			return nil
		})
		if err != nil {
			return nil, parseErr(body, err)
		}
	}
	names, err := d.listFiles("freg/hendelser", ".json", ".json.gz", ".xml")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		raw, err := d.readRaw(name)
		if err != nil {
			return nil, err
		}
		evs, err := freg.ReadFeed(bytes.NewReader(raw))
		if err != nil {
			return nil, parseErr(name, err)
		}
		for _, ev := range evs {
			d.events = append(d.events, eventAt{name, ev})
		}
		d.present[FeedFreg] = true
	}
	docs, err := d.oneOf("freg/persondokumenter.jsonl", "freg/persondokumenter.jsonl.gz")
	if err != nil {
		return nil, err
	}
	if docs != "" {
		raw, err := d.readRaw(docs)
		if err != nil {
			return nil, err
		}
		err = freg.ReadDocuments(bytes.NewReader(raw), func(doc *freg.Document) error {
			if doc.ID == "" {
				return fmt.Errorf("%w: line %d: %v", jsonl.ErrStructure, doc.Line, doc.Err)
			}
			d.docs[doc.ID] = &docRec{file: docs, line: doc.Line, raw: append([]byte(nil), doc.Raw...), err: doc.Err}
			return nil
		})
		if err != nil {
			return nil, parseErr(docs, err)
		}
	}
	return d, nil
}
