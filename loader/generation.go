package loader

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/grunndata/grunndata/index"
)

// This file holds what a load (Run) and a delta (RunDelta) share: checking
// the configuration, and the lifecycle of the new generation they build —
// clear what killed builds left, create the builder (empty, or a copy of
// the parent generation), open the reject and warning reports, commit,
// activate by compare-and-set (index.WriteActiveIf, under the data-directory
// lock) and, on any error, abort the build so nothing half-built remains.

// defaults fills the zero fields of cfg that have a default and checks the
// settings both Run and RunDelta use.
func (cfg *Config) defaults() error {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 1
	}
	if cfg.MaxRejectRatio < 0 {
		return fmt.Errorf("max reject ratio %v: must be ≥ 0", cfg.MaxRejectRatio)
	}
	return nil
}

// checkDir checks that cfg.From is a directory; what names it in errors
// ("source", "delta").
func (cfg *Config) checkDir(what string) error {
	if fi, err := os.Stat(cfg.From); err != nil {
		return fmt.Errorf("%s directory: %w", what, err)
	} else if !fi.IsDir() {
		return fmt.Errorf("%s %s: not a directory", what, cfg.From)
	}
	return nil
}

// genPlan says how one generation is built.
type genPlan struct {
	// parent is the generation the new one starts as a copy of (a delta);
	// "" starts empty (a load).
	parent string
	// records are the record counts the registers start with (a delta: the
	// parent's); nil is zero.
	records map[string]int64
	// fill loads or applies everything into r.b and returns the manifest
	// to commit and the generation that must still be active for the new
	// one to be activated (the one its change feed continues).
	fill func(r *run, rep *Report) (m *index.Manifest, expect string, err error)
	// report, when set, completes the report's register stats whatever
	// the outcome (called before the reject and warning files close).
	report func(r *run, rep *Report)
	// notActivated words the error when the active generation changed
	// while building (err wraps index.ErrActiveChanged).
	notActivated func(expect, id string, err error) error
}

// buildGeneration runs one generation's lifecycle for plan. On error nothing
// is activated and the half-built generation is removed; the active one is
// untouched. ErrActiveChanged from the activation leaves the generation
// built (and committed) but not active.
func buildGeneration(ctx context.Context, cfg Config, rep *Report, plan genPlan) (err error) {
	bcfg := index.DefaultBuilderConfig(cfg.DataDir)
	if cfg.SortBytes > 0 {
		bcfg.SortBytes = cfg.SortBytes
	}
	bcfg.Logger = cfg.Logger
	// What killed loads and deltas left (never a build still running: its
	// lock tells).
	if err := index.RemoveTemp(cfg.DataDir, cfg.Logger); err != nil {
		return err
	}
	var b *index.Builder
	if plan.parent == "" {
		b, err = index.NewBuilder(bcfg)
	} else {
		b, err = index.NewBuilderFrom(bcfg, plan.parent)
	}
	if err != nil {
		return err
	}
	rep.Generation = b.ID()
	r := &run{cfg: cfg, log: cfg.Logger, b: b, stats: map[string]*Stats{}, today: cfg.Now().UTC().Format("2006-01-02"), ctx: ctx,
		unknown: map[string]int64{}}
	for _, name := range registerOrder {
		r.stats[name] = &Stats{Register: name, Records: plan.records[name]}
	}
	if r.rej, err = newRejectWriter(cfg.DataDir, b.ID()); err != nil {
		b.Abort()
		return err
	}
	rep.RejectFile = r.rej.path
	if r.warnW, err = newWarningWriter(cfg.DataDir, b.ID()); err != nil {
		r.rej.close()
		b.Abort()
		return err
	}
	rep.WarningFile = r.warnW.path
	defer func() {
		if plan.report != nil {
			plan.report(r, rep)
		}
		r.rej.close()
		r.warnW.close()
		if err != nil {
			b.Abort()
			rep.Activated = false
		}
		rep.UnknownKeys = keyCounts(r.unknown)
	}()

	m, expect, err := plan.fill(r, rep)
	if err != nil {
		return err
	}
	if err := b.Commit(m); err != nil {
		return err
	}
	rep.SizeBytes = m.SizeBytes
	if !cfg.Activate {
		return nil
	}
	// The change feed was written against expect: activate only if it is
	// still the active generation. A load, another delta, an activation or
	// a rollback made meanwhile would otherwise be silently dropped; the
	// compare-and-set refuses then and the generation stays built.
	if err := index.WriteActiveIf(cfg.DataDir, expect, b.ID()); err != nil {
		if errors.Is(err, index.ErrActiveChanged) {
			return plan.notActivated(expect, b.ID(), err)
		}
		return fmt.Errorf("activate generation %s: %w", b.ID(), err)
	}
	rep.Activated = true
	return nil
}
