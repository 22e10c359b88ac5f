package loader

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/loader/brreg"
	"github.com/grunndata/grunndata/registry"
)

// A delta runs in three steps, each in its own file: feed ordering
// (feedorder.go: pure, checks continuity), one applier per source
// (delta_brreg.go, delta_freg.go: validate the items and write them to the
// overlay) and the overlay (overlay.go: reads through the delta's writes,
// then the one atomic batch with the change-feed events). The generation's
// lifecycle (builder, reports, commit, activation) is the one a load uses
// (generation.go).

// FeedStats counts what a delta did with one change feed.
type FeedStats struct {
	Feed string
	// From and To are the feed position before and after the delta.
	From, To int64
	// HadPosition says the parent generation recorded a position for the
	// feed (otherwise continuity with the bulk could not be checked).
	HadPosition bool
	Pages       int
	// Items are the feed items in the delta (exact duplicates dropped);
	// Applied of them changed the generation.
	Items, Applied int64
	// Types counts items by endringstype or hendelsetype.
	Types map[string]int64
	// Ukjent counts Brreg items of type Ukjent: reported, not applied.
	Ukjent int64
	// Superseded counts Ny/Endring items without a body whose entity a
	// later item of the same delta deletes or removes.
	Superseded int64
	Rejects    int64
}

var (
	ruleNotInCopy = registry.Rule("not-in-copy")
	ruleMismatch  = registry.Rule("identifier-mismatch")
)

// feedApplier is one ordered feed of a delta, ready to apply.
type feedApplier interface {
	// items is the number of feed items to apply.
	items() int
	// apply writes the feed's changes to dr's overlay and reports them.
	apply(dr *deltaRun) (FeedStats, error)
}

func (f *orderedBrreg) items() int { return len(f.updates) }
func (f *orderedFreg) items() int  { return len(f.events) }

// deltaRun is a run applying a delta: the parsed directory and the overlay
// its appliers write to.
type deltaRun struct {
	*run
	d  *deltaDir
	ov *overlay
}

// RunDelta applies the change feeds in cfg.From (a delta directory, see
// docs/formats.md) to the active generation of cfg.DataDir: it builds a new
// generation from a copy of the active one plus one atomic batch, records
// the new feed positions in its manifest and activates it. Brreg items are
// applied in oppdateringsid order, Freg events in sekvensnummer order; every
// feed must continue exactly where the active generation stopped
// (ErrFeedGap, ErrFeedReplay). On any error nothing changes: the new
// generation is removed and the active one keeps serving. A delta with no
// items builds nothing (Report.Generation is "").
func RunDelta(ctx context.Context, cfg Config) (rep Report, err error) {
	start := time.Now()
	defer func() { rep.Duration = time.Since(start) }()
	if err := cfg.defaults(); err != nil {
		return rep, err
	}
	if err := cfg.checkDir("delta"); err != nil {
		return rep, err
	}
	parent, err := index.ReadActive(cfg.DataDir)
	if err != nil {
		return rep, err
	}
	if parent == "" {
		return rep, fmt.Errorf("%w in %s: load a bulk dataset first (grunndata load --from)", ErrNoActive, cfg.DataDir)
	}
	rep.Parent = parent
	pm, err := index.ReadManifest(filepath.Join(index.SnapshotsDir(cfg.DataDir), parent))
	if err != nil {
		return rep, err
	}
	d, err := readDelta(cfg.From)
	if err != nil {
		return rep, err
	}
	if len(d.present) == 0 {
		return rep, fmt.Errorf("%w in %s (expected oppdateringer/enheter/, oppdateringer/underenheter/ or freg/hendelser/)", ErrNoSources, cfg.From)
	}
	// Order and check every feed before building anything.
	feeds, err := orderFeeds(d, pm.FeedPositions)
	if err != nil {
		return rep, err
	}
	total := 0
	for _, f := range feeds {
		total += f.items()
	}
	if total == 0 {
		cfg.Logger.Info("delta has no items; nothing to apply", "delta", cfg.From)
		return rep, nil
	}
	records := map[string]int64{}
	for name, s := range pm.Registers {
		records[name] = s.Records
	}
	err = buildGeneration(ctx, cfg, &rep, genPlan{
		parent:  parent,
		records: records,
		fill: func(r *run, rep *Report) (*index.Manifest, string, error) {
			m, err := (&deltaRun{run: r, d: d, ov: newOverlay(r.b)}).applyAll(feeds, parent, pm, rep)
			return m, parent, err
		},
		notActivated: func(parent, id string, err error) error {
			return fmt.Errorf("the delta on generation %s is not activated: %w; generation %s is built (activate it with `grunndata snapshots activate %s` only to drop the other change)",
				parent, err, id, id)
		},
	})
	return rep, err
}

// orderFeeds orders each feed the delta has pages of, in the order they are
// applied: enheter, underenheter, then Freg.
func orderFeeds(d *deltaDir, positions map[string]int64) ([]feedApplier, error) {
	var feeds []feedApplier
	for k, name := range []string{FeedEnheter, FeedUnderenheter} {
		if !d.present[name] {
			continue
		}
		pos, has := positions[name]
		f, err := orderBrreg(name, brreg.Kind(k), d.pages[k], pos, has)
		if err != nil {
			return nil, err
		}
		feeds = append(feeds, f)
	}
	if d.present[FeedFreg] {
		pos, has := positions[FeedFreg]
		f, err := orderFreg(d.events, pos, has)
		if err != nil {
			return nil, err
		}
		feeds = append(feeds, f)
	}
	return feeds, nil
}

// applyAll applies the feeds to the overlay, writes it as one batch and
// returns the manifest of the new generation (pm is the parent's).
func (dr *deltaRun) applyAll(feeds []feedApplier, parent string, pm *index.Manifest, rep *Report) (*index.Manifest, error) {
	positions := map[string]int64{}
	for k, v := range pm.FeedPositions {
		positions[k] = v
	}
	for _, f := range feeds {
		fs, err := f.apply(dr)
		if err != nil {
			return nil, err
		}
		rep.Feeds = append(rep.Feeds, fs)
		positions[fs.Feed] = fs.To
	}
	if err := dr.ctx.Err(); err != nil {
		return nil, err
	}
	if err := dr.ov.apply(); err != nil {
		return nil, fmt.Errorf("apply delta batch: %w", err)
	}
	m := &index.Manifest{Parent: parent, Sources: dr.d.sources, Registers: map[string]index.RegisterStats{}, FeedPositions: positions}
	for name, s := range pm.Registers {
		m.Registers[name] = s
	}
	for _, name := range registerOrder {
		s := dr.stats[name]
		s.Rejects = dr.rej.count(name)
		if s.Files == 0 {
			continue
		}
		s.Warnings = dr.warnW.byRule(name)
		prev := pm.Registers[name]
		warnings := map[string]int64{}
		for k, v := range prev.Warnings {
			warnings[k] += v
		}
		for k, v := range s.Warnings {
			warnings[k] += v
		}
		if len(warnings) == 0 {
			warnings = nil
		}
		m.Registers[name] = index.RegisterStats{Records: s.Records, Rejects: prev.Rejects + s.Rejects, Warnings: warnings}
		rep.Registers = append(rep.Registers, *s)
	}
	rep.FeedPositions = positions
	return m, nil
}
