// Package loader runs an ingest: it reads the source files of a dataset
// directory (the formats of docs/formats.md), validates every record, encodes
// it once into the bytes the server writes, and builds a new snapshot
// generation through index.Builder.
//
// Registers load in dependency order — Enhetsregisteret, Folkeregisteret,
// HPR, Adresseregisteret, RESH, Fastlegeregisteret — and each stage is
// flushed before the next, so later stages check their references (an HPR
// person's fødselsnummer, an AR organisation's orgnr, a GP's HPR-number)
// against what is already in the generation, without holding national-size
// maps in memory.
//
// Invalid records are skipped into a reject report (file, line or array
// index, identifier, rule). Structural damage (unreadable file, truncated
// gzip, malformed JSON) or more rejects than Config.MaxRejectRatio fails the
// load: the half-built generation is removed and nothing is activated.
//
// RunDelta applies a delta directory — pages of Brreg's update feeds and
// Freg's event feed with the changed entities and person documents — to the
// active generation: a copy of it plus one atomic batch becomes a new
// generation, whose manifest records the feed positions the next delta must
// continue from (delta.go).
package loader

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/registry"
)

// Config configures a load.
type Config struct {
	// From is the dataset directory (docs/formats.md).
	From string
	// DataDir is the data directory that receives the generation.
	DataDir string
	// MaxRejectRatio fails the load when any register's rejects exceed this
	// share of its records.
	MaxRejectRatio float64
	// Activate makes the new generation the active one when the load succeeds.
	Activate bool
	// SortBytes bounds the builder's in-memory sort buffer.
	SortBytes int
	// Workers parses Folkeregisteret files in parallel.
	Workers int
	// Progress receives a live progress bar when it is a terminal and per-file
	// lines otherwise; nil is silent.
	Progress io.Writer
	// ProgressTTY says Progress is a terminal.
	ProgressTTY bool
	// Logger; nil discards.
	Logger *slog.Logger
	// Now is the clock for "current" periods; nil is time.Now.
	Now func() time.Time
	// EventRetention is how many change-feed events per register the new
	// generation keeps (0: DefaultEventRetention).
	EventRetention uint64
	// MaxShrinkPercent refuses a load that has fewer records of a register
	// than the active generation by more than this percentage (see
	// checkRegisters).
	MaxShrinkPercent float64
	// AllowMissing names registers (see ExpandRegisters) the load may lack
	// or have empty although the active generation has them.
	AllowMissing []string
	// AllowShrink names registers that may shrink by more than
	// MaxShrinkPercent.
	AllowShrink []string
}

// DefaultMaxShrinkPercent is the default Config.MaxShrinkPercent.
const DefaultMaxShrinkPercent = 10

// DefaultConfig returns defaults for loading from into dataDir.
func DefaultConfig(from, dataDir string) Config {
	return Config{From: from, DataDir: dataDir, MaxRejectRatio: 0.001, Activate: true, SortBytes: 128 << 20, Workers: 2,
		MaxShrinkPercent: DefaultMaxShrinkPercent}
}

// Register names used in reports and manifests.
const (
	RegEnheter      = "enheter"
	RegUnderenheter = "underenheter"
	RegPersons      = "persons"
	RegPersonnel    = "personnel"
	RegParties      = "communication-parties"
	RegResh         = "resh"
	RegGPContracts  = "gp-contracts"
	RegGPPatients   = "gp-patients"
)

var registerOrder = []string{RegEnheter, RegUnderenheter, RegPersons, RegPersonnel, RegParties, RegCertificates, RegResh, RegGPContracts, RegGPPatients}

// Stats counts one register's load.
type Stats struct {
	Register string
	Files    int
	Bytes    int64
	Records  int64
	Rejects  int64
	// Warnings counts records loaded as given with a warning, by rule (see
	// ruleAbsent); they are not rejects and do not count towards
	// MaxRejectRatio.
	Warnings map[string]int64
	Duration time.Duration
}

// Report is the outcome of a load or a delta.
type Report struct {
	Generation string
	// Parent is the generation a delta was applied to ("" for a load).
	Parent     string
	Registers  []Stats
	SizeBytes  int64
	Duration   time.Duration
	RejectFile string
	// WarningFile lists the records behind Stats.Warnings (it exists only
	// when there are warnings).
	WarningFile string
	Activated   bool
	// UnknownKeys counts keys of Freg person documents that the schema does
	// not know ("entity" or "entity.key"), most frequent first. They are
	// ignored, not rejected.
	UnknownKeys []KeyCount
	// Feeds describes each change feed a delta applied.
	Feeds []FeedStats
	// FeedPositions are the feed positions the generation records.
	FeedPositions map[string]int64
}

// KeyCount is one unknown key and how often it was seen.
type KeyCount struct {
	Key   string
	Count int64
}

func keyCounts(m map[string]int64) []KeyCount {
	out := make([]KeyCount, 0, len(m))
	for k, n := range m {
		out = append(out, KeyCount{k, n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Key < out[j].Key
	})
	return out
}

// ErrTooManyRejects fails a load whose reject ratio is above the limit.
var ErrTooManyRejects = errors.New("too many rejects")

// ErrNoSources fails a load of a directory with no known source file.
var ErrNoSources = errors.New("no source files")

// ErrRegisterMissing fails a load that lacks a register the active
// generation has, or has it without records (Config.AllowMissing).
var ErrRegisterMissing = errors.New("register missing")

// ErrRegisterShrunk fails a load with fewer records of a register than the
// active generation by more than Config.MaxShrinkPercent
// (Config.AllowShrink).
var ErrRegisterShrunk = errors.New("register shrunk")

type run struct {
	cfg     Config
	log     *slog.Logger
	b       *index.Builder
	rej     *rejectWriter
	warnW   *rejectWriter
	stats   map[string]*Stats
	sources []index.SourceFile
	today   string
	ctx     context.Context
	// unknown counts keys of Freg person documents the schema does not
	// know, by path (guarded by the Freg stage's mutex).
	unknown map[string]int64
}

// Run performs a load. On error nothing is activated and the half-built
// generation is removed; the previous generation is untouched.
func Run(ctx context.Context, cfg Config) (rep Report, err error) {
	start := time.Now()
	defer func() { rep.Duration = time.Since(start) }()
	if err := cfg.defaults(); err != nil {
		return rep, err
	}
	if cfg.MaxShrinkPercent < 0 || cfg.MaxShrinkPercent > 100 {
		return rep, fmt.Errorf("max shrink %v %%: must be between 0 and 100", cfg.MaxShrinkPercent)
	}
	guard, err := newRegisterGuard(&cfg)
	if err != nil {
		return rep, err
	}
	if err := cfg.checkDir("source"); err != nil {
		return rep, err
	}
	// A register whose files are absent is refused before anything is
	// read; one that turns out empty or shrunk, after (checkRegisters).
	if err := guard.checkFiles(cfg.From); err != nil {
		return rep, err
	}
	err = buildGeneration(ctx, cfg, &rep, genPlan{
		fill: func(r *run, rep *Report) (*index.Manifest, string, error) { return r.load(guard, rep) },
		report: func(r *run, rep *Report) {
			for _, s := range r.stats {
				s.Rejects = r.rej.count(s.Register)
				s.Warnings = r.warnW.byRule(s.Register)
			}
			for _, name := range registerOrder {
				if s := r.stats[name]; s.Files > 0 {
					rep.Registers = append(rep.Registers, *s)
				}
			}
		},
		notActivated: func(_, id string, err error) error {
			return fmt.Errorf("the load is not activated: %w; generation %s is built", err, id)
		},
	})
	return rep, err
}

// load runs the stages of a load into r.b and returns the manifest and the
// generation it replaces (the active one once the records are in: the change
// feed is written against it).
func (r *run) load(guard *registerGuard, rep *Report) (*index.Manifest, string, error) {
	stages := []func() error{r.loadBrreg, r.loadFreg, r.loadHPR, r.loadAR, r.loadCerts, r.loadResh, r.loadFLR}
	for _, stage := range stages {
		if err := r.ctx.Err(); err != nil {
			return nil, "", err
		}
		if err := stage(); err != nil {
			return nil, "", err
		}
		if err := r.b.Flush(); err != nil {
			return nil, "", err
		}
	}
	if len(r.sources) == 0 {
		return nil, "", fmt.Errorf("%w in %s (expected e.g. enheter_alle.json.gz, freg/, hpr.jsonl.gz)", ErrNoSources, r.cfg.From)
	}
	if err := guard.checkCounts(r.stats); err != nil {
		return nil, "", err
	}
	// The change feed: this load's changes against the generation it
	// replaces.
	prevID, err := index.ReadActive(r.cfg.DataDir)
	if err != nil {
		return nil, "", err
	}
	retention := r.cfg.EventRetention
	if retention == 0 {
		retention = DefaultEventRetention
	}
	if err := r.writeEvents(prevID, retention); err != nil {
		return nil, "", fmt.Errorf("change feed: %w", err)
	}
	positions, err := r.readFeedPositions()
	if err != nil {
		return nil, "", err
	}
	m := &index.Manifest{Sources: r.sources, Registers: map[string]index.RegisterStats{}, FeedPositions: positions}
	rep.FeedPositions = positions
	for name, s := range r.stats {
		s.Rejects = r.rej.count(name)
		if s.Files > 0 {
			m.Registers[name] = index.RegisterStats{Records: s.Records, Rejects: s.Rejects, Warnings: r.warnW.byRule(name)}
		}
	}
	return m, prevID, nil
}

// checkRatio fails the load when a register's rejects exceed the limit.
func (r *run) checkRatio(reg string) error {
	s := r.stats[reg]
	s.Rejects = r.rej.count(reg)
	total := s.Records + s.Rejects
	if total == 0 || s.Rejects == 0 {
		return nil
	}
	if ratio := float64(s.Rejects) / float64(total); ratio > r.cfg.MaxRejectRatio {
		return fmt.Errorf("%w: %s: %d of %d records rejected (%.4f > --max-reject-ratio %v); see %s",
			ErrTooManyRejects, reg, s.Rejects, total, ratio, r.cfg.MaxRejectRatio, r.rej.path)
	}
	return nil
}

// reject records one rejected record.
func (r *run) reject(reg, file, pos, id string, rule registry.Rule, detail string) {
	r.rej.write(reg, file, pos, id, string(rule), detail)
}

// warn records a warning about a record that is loaded all the same.
func (r *run) warn(reg, file, pos, id string, rule registry.Rule, detail string) {
	r.warnW.write(reg, file, pos, id, string(rule), detail)
}

// sourceFiles returns the existing files among names (relative to From).
func (r *run) exists(name string) bool {
	_, err := os.Stat(filepath.Join(r.cfg.From, name))
	return err == nil
}

func isJSONL(name string) bool {
	return strings.HasSuffix(name, ".jsonl") || strings.HasSuffix(name, ".jsonl.gz")
}

// fregFiles lists Folkeregisteret bulk files in From/freg, sorted.
func (r *run) fregFiles() ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(r.cfg.From, "freg"))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	var out []string
	for _, e := range ents {
		n := e.Name()
		if !e.IsDir() && (strings.HasSuffix(n, ".json.gz") || strings.HasSuffix(n, ".json") || isJSONL(n)) {
			out = append(out, filepath.Join("freg", n))
		}
	}
	sort.Strings(out)
	return out, nil
}
