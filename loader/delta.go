package loader

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	json "github.com/goccy/go-json"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/loader/brreg"
	"github.com/grunndata/grunndata/loader/freg"
	"github.com/grunndata/grunndata/registry"
)

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
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxRejectRatio < 0 {
		return rep, fmt.Errorf("max reject ratio %v: must be ≥ 0", cfg.MaxRejectRatio)
	}
	if fi, err := os.Stat(cfg.From); err != nil {
		return rep, fmt.Errorf("delta directory: %w", err)
	} else if !fi.IsDir() {
		return rep, fmt.Errorf("delta %s: not a directory", cfg.From)
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
	var (
		brregFeeds [2]*orderedBrreg
		fregFeed   *orderedFreg
		total      int
	)
	for k, name := range []string{FeedEnheter, FeedUnderenheter} {
		if !d.present[name] {
			continue
		}
		pos, has := pm.FeedPositions[name]
		if brregFeeds[k], err = orderBrreg(name, d.pages[k], pos, has); err != nil {
			return rep, err
		}
		total += len(brregFeeds[k].updates)
	}
	if d.present[FeedFreg] {
		pos, has := pm.FeedPositions[FeedFreg]
		if fregFeed, err = orderFreg(d.events, pos, has); err != nil {
			return rep, err
		}
		total += len(fregFeed.events)
	}
	if total == 0 {
		cfg.Logger.Info("delta has no items; nothing to apply", "delta", cfg.From)
		return rep, nil
	}

	bcfg := index.DefaultBuilderConfig(cfg.DataDir)
	if cfg.SortBytes > 0 {
		bcfg.SortBytes = cfg.SortBytes
	}
	bcfg.Logger = cfg.Logger
	// What killed loads and deltas left (never a build still running: its
	// lock tells).
	if err := index.RemoveTemp(cfg.DataDir, cfg.Logger); err != nil {
		return rep, err
	}
	b, err := index.NewBuilderFrom(bcfg, parent)
	if err != nil {
		return rep, err
	}
	rep.Generation = b.ID()
	r := &run{cfg: cfg, log: cfg.Logger, b: b, stats: map[string]*Stats{}, today: cfg.Now().UTC().Format("2006-01-02"),
		ctx: ctx, unknown: map[string]int64{}}
	for _, name := range registerOrder {
		r.stats[name] = &Stats{Register: name}
		if s, ok := pm.Registers[name]; ok {
			r.stats[name].Records = s.Records
		}
	}
	r.rej, err = newRejectWriter(cfg.DataDir, b.ID())
	if err != nil {
		b.Abort()
		return rep, err
	}
	rep.RejectFile = r.rej.path
	if r.warnW, err = newWarningWriter(cfg.DataDir, b.ID()); err != nil {
		r.rej.close()
		b.Abort()
		return rep, err
	}
	rep.WarningFile = r.warnW.path
	defer func() {
		r.rej.close()
		r.warnW.close()
		if err != nil {
			b.Abort()
			rep.Activated = false
		}
		rep.UnknownKeys = keyCounts(r.unknown)
	}()

	dr := &deltaRun{run: r, d: d, ov: newOverlay(b)}
	positions := map[string]int64{}
	for k, v := range pm.FeedPositions {
		positions[k] = v
	}
	for k, f := range brregFeeds {
		if f == nil {
			continue
		}
		fs, err := dr.applyBrreg(brreg.Kind(k), f)
		if err != nil {
			return rep, err
		}
		rep.Feeds = append(rep.Feeds, fs)
		positions[f.feed] = fs.To
	}
	if fregFeed != nil {
		fs, err := dr.applyFreg(fregFeed)
		if err != nil {
			return rep, err
		}
		rep.Feeds = append(rep.Feeds, fs)
		positions[FeedFreg] = fs.To
	}
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	if err := dr.ov.apply(); err != nil {
		return rep, fmt.Errorf("apply delta batch: %w", err)
	}

	m := &index.Manifest{Parent: parent, Sources: d.sources, Registers: map[string]index.RegisterStats{}, FeedPositions: positions}
	for name, s := range pm.Registers {
		m.Registers[name] = s
	}
	for _, name := range registerOrder {
		s := r.stats[name]
		s.Rejects = r.rej.count(name)
		if s.Files == 0 {
			continue
		}
		s.Warnings = r.warnW.byRule(name)
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
	if err := b.Commit(m); err != nil {
		return rep, err
	}
	rep.SizeBytes = m.SizeBytes
	rep.FeedPositions = positions
	if !cfg.Activate {
		return rep, nil
	}
	// A load, another delta, an activation or a rollback may have changed
	// the active generation meanwhile; activating ours would silently drop
	// that change. The compare-and-set under the data-directory lock
	// refuses then (index.ErrActiveChanged), and the generation stays built.
	if err := index.WriteActiveIf(cfg.DataDir, parent, b.ID()); err != nil {
		if errors.Is(err, index.ErrActiveChanged) {
			return rep, fmt.Errorf("the delta on generation %s is not activated: %w; generation %s is built (activate it with `grunndata snapshots activate %s` only to drop the other change)",
				parent, err, b.ID(), b.ID())
		}
		return rep, fmt.Errorf("activate generation %s: %w", b.ID(), err)
	}
	rep.Activated = true
	return rep, nil
}

// orderedBrreg is one Brreg feed of a delta, in oppdateringsid order.
type orderedBrreg struct {
	feed        string
	pages       int
	updates     []brreg.Update
	files       []string // the page file of each update
	from, to    int64
	hadPosition bool
}

// orderBrreg orders the pages of one Brreg feed and checks that they
// continue the feed at position pos. oppdateringsid is increasing but not
// contiguous, so continuity is checked on the queries: the first page must
// have been fetched with oppdateringsid=pos+1 (its self link says so), the
// pages of one query must be 0, 1, 2, … with no page missing, each page's
// items must follow the previous page's, and a later query must start no
// later than one after the last item before it. The page files' names and
// order do not matter.
func orderBrreg(feed string, pages []pageFile, pos int64, has bool) (*orderedBrreg, error) {
	o := &orderedBrreg{feed: feed, pages: len(pages), from: pos, to: pos, hadPosition: has}
	type group struct {
		query string
		from  int64
		pages []pageFile
	}
	byQuery := map[string]*group{}
	var groups []*group
	for _, p := range pages {
		if !p.page.HasPage {
			return nil, fmt.Errorf("%s: %s: no \"page\" object: cannot tell where it sits in its query", feed, p.name)
		}
		g := byQuery[p.page.Query]
		if g == nil {
			g = &group{query: p.page.Query, from: p.page.From}
			byQuery[p.page.Query] = g
			groups = append(groups, g)
		}
		g.pages = append(g.pages, p)
	}
	sort.Slice(groups, func(i, j int) bool { return groups[i].from < groups[j].from })
	if len(groups) > 1 && groups[1].from == 0 {
		return nil, fmt.Errorf("%s: pages of more than one query without oppdateringsid: cannot order them", feed)
	}
	type item struct {
		u    brreg.Update
		file string
	}
	var items []item
	var last int64 = -1 // the last oppdateringsid of the queries so far
	for gi, g := range groups {
		sort.SliceStable(g.pages, func(i, j int) bool { return g.pages[i].page.Number < g.pages[j].page.Number })
		if g.from > 0 {
			switch {
			case gi == 0 && has && g.from <= pos:
				return nil, fmt.Errorf("%w: %s: the delta starts at oppdateringsid %d, but the active generation already has up to %d (%s)",
					ErrFeedReplay, feed, g.from, pos, g.pages[0].name)
			case gi == 0 && has && g.from > pos+1:
				return nil, fmt.Errorf("%w: %s: the delta starts at oppdateringsid %d, but the active generation has up to %d: fetch from oppdateringsid=%d (%s)",
					ErrFeedGap, feed, g.from, pos, pos+1, g.pages[0].name)
			case gi > 0 && last >= 0 && g.from > last+1:
				return nil, fmt.Errorf("%w: %s: a query from oppdateringsid %d follows pages ending at %d (%s)",
					ErrFeedGap, feed, g.from, last, g.pages[0].name)
			}
		}
		var (
			next    int64
			prev    *brreg.Page
			inGroup int64 = -1
		)
		for _, p := range g.pages {
			if prev != nil && p.page.Number == next-1 {
				if !samePage(p.page, prev) {
					return nil, fmt.Errorf("%s: page %d of query %s occurs twice with different items (%s)", feed, p.page.Number, g.query, p.name)
				}
				continue
			}
			if p.page.Number != next {
				return nil, fmt.Errorf("%w: %s: page %d of query %s is missing (the delta has page %d: %s)",
					ErrFeedGap, feed, next, g.query, p.page.Number, p.name)
			}
			next++
			prev = p.page
			for i, u := range p.page.Updates {
				if i > 0 && u.ID <= p.page.Updates[i-1].ID {
					return nil, fmt.Errorf("%s: %s: oppdateringsid %d after %d: a page must be in increasing order",
						feed, p.name, u.ID, p.page.Updates[i-1].ID)
				}
				if i == 0 && u.ID <= inGroup {
					return nil, fmt.Errorf("%s: out-of-order page: page %d (%s) starts at oppdateringsid %d, not after the previous page's %d",
						feed, p.page.Number, p.name, u.ID, inGroup)
				}
				items = append(items, item{u, p.name})
			}
			if n := len(p.page.Updates); n > 0 {
				inGroup = p.page.Updates[n-1].ID
			}
		}
		last = max(last, inGroup)
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].u.ID < items[j].u.ID })
	for i, it := range items {
		if i > 0 && it.u.ID == items[i-1].u.ID {
			prev := items[i-1].u
			if prev.Orgnr != it.u.Orgnr || prev.Type != it.u.Type {
				return nil, fmt.Errorf("%s: oppdateringsid %d occurs twice with different content (%s)", feed, it.u.ID, it.file)
			}
			continue // the same item from overlapping queries
		}
		if has && it.u.ID <= pos {
			return nil, fmt.Errorf("%w: %s: oppdateringsid %d is already in the active generation (up to %d) (%s)",
				ErrFeedReplay, feed, it.u.ID, pos, it.file)
		}
		o.updates = append(o.updates, it.u)
		o.files = append(o.files, it.file)
	}
	if len(groups) > 0 && groups[0].from == 0 && has && len(o.updates) > 0 && o.updates[0].ID != pos+1 {
		return nil, fmt.Errorf("%w: %s: the first page was not fetched by oppdateringsid=%d (its self link has no oppdateringsid) and starts at %d: cannot prove that nothing is missing",
			ErrFeedGap, feed, pos+1, o.updates[0].ID)
	}
	if n := len(o.updates); n > 0 {
		o.to = o.updates[n-1].ID
	}
	return o, nil
}

func samePage(a, b *brreg.Page) bool {
	if len(a.Updates) != len(b.Updates) {
		return false
	}
	for i := range a.Updates {
		if a.Updates[i] != b.Updates[i] {
			return false
		}
	}
	return true
}

// orderedFreg is the Freg feed of a delta, in sekvensnummer order.
type orderedFreg struct {
	events      []eventAt
	pages       int
	from, to    int64
	hadPosition bool
}

// orderFreg orders the events and checks they continue the feed: Freg's
// sekvensnummer is contiguous, so the first must be pos+1 and every next
// one the one after.
func orderFreg(events []eventAt, pos int64, has bool) (*orderedFreg, error) {
	o := &orderedFreg{from: pos, to: pos, hadPosition: has}
	files := map[string]bool{}
	for _, e := range events {
		files[e.file] = true
	}
	o.pages = len(files)
	sorted := append([]eventAt(nil), events...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].ev.Seq < sorted[j].ev.Seq })
	for i, e := range sorted {
		if i > 0 {
			prev := sorted[i-1].ev
			if e.ev.Seq == prev.Seq {
				if e.ev != prev {
					return nil, fmt.Errorf("%s: sekvensnummer %d occurs twice with different events (%s)", FeedFreg, e.ev.Seq, e.file)
				}
				continue
			}
			if e.ev.Seq != prev.Seq+1 {
				return nil, fmt.Errorf("%w: %s: sekvensnummer %d is followed by %d in the delta: %d–%d are missing (%s)",
					ErrFeedGap, FeedFreg, prev.Seq, e.ev.Seq, prev.Seq+1, e.ev.Seq-1, e.file)
			}
		} else if has {
			switch {
			case e.ev.Seq <= pos:
				return nil, fmt.Errorf("%w: %s: the delta starts at sekvensnummer %d, but the active generation already has up to %d (%s)",
					ErrFeedReplay, FeedFreg, e.ev.Seq, pos, e.file)
			case e.ev.Seq > pos+1:
				return nil, fmt.Errorf("%w: %s: the delta starts at sekvensnummer %d, but the active generation has up to %d: fetch from seq=%d (%s)",
					ErrFeedGap, FeedFreg, e.ev.Seq, pos, pos+1, e.file)
			}
		}
		o.events = append(o.events, e)
	}
	if n := len(o.events); n > 0 {
		o.to = o.events[n-1].ev.Seq
	}
	return o, nil
}

// overlay holds the delta's writes until the one atomic batch, and answers
// reads from them first, then from the copied generation.
type overlay struct {
	b   *index.Builder
	set map[string][]byte // nil value: deleted
}

func newOverlay(b *index.Builder) *overlay { return &overlay{b: b, set: map[string][]byte{}} }

func (o *overlay) get(k registry.Key) ([]byte, bool, error) {
	if v, ok := o.set[string(k.Bytes())]; ok {
		return v, v != nil, nil
	}
	v, err := o.b.Get(nil, &k)
	if err == registry.ErrNotFound {
		return nil, false, nil
	}
	return v, err == nil, err
}

func (o *overlay) put(k registry.Key, v []byte) {
	if v == nil {
		v = []byte{}
	}
	o.set[string(k.Bytes())] = append([]byte(nil), v...)
}

func (o *overlay) del(k registry.Key) { o.set[string(k.Bytes())] = nil }

// putRaw and delRaw handle keys longer than a registry.Key (search entries).
func (o *overlay) putRaw(k, v []byte) { o.set[string(k)] = append([]byte{}, v...) }
func (o *overlay) delRaw(k []byte)    { o.set[string(k)] = nil }

// apply writes every change in one atomic batch, in key order.
func (o *overlay) apply() error {
	keys := make([]string, 0, len(o.set))
	for k := range o.set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	events, err := o.events(keys)
	if err != nil {
		return err
	}
	return o.b.Apply(func(set func(k, v []byte) error, del func(k []byte) error) error {
		for _, e := range events {
			if err := set(e[0], e[1]); err != nil {
				return err
			}
		}
		for _, k := range keys {
			v := o.set[k]
			var err error
			if v == nil {
				err = del([]byte(k))
			} else {
				err = set([]byte(k), v)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// events numbers the delta's changes of records (not of indexes) in each
// register's change feed, after the parent generation's last event, and
// returns the event and feed-range entries to write in the same batch.
func (o *overlay) events(keys []string) ([][2][]byte, error) {
	type pending struct {
		typ byte
		key []byte
	}
	per := map[byte][]pending{}
	for _, k := range keys {
		kb := []byte(k)
		er, ok := registry.EventRegisterOf(registry.Register(kb[0]))
		if !ok || len(kb) > registry.MaxKeyLen {
			continue
		}
		v := o.set[k]
		old, err := o.b.GetRaw(nil, kb)
		existed := err == nil
		if err != nil && err != registry.ErrNotFound {
			return nil, err
		}
		switch {
		case v == nil && existed:
			if registry.Register(kb[0]) != registry.RegPerson || registry.IsCurrentPerson(kb, old) {
				per[er.Code] = append(per[er.Code], pending{registry.EventDelete, kb})
			}
		case v != nil && (!existed || !bytes.Equal(old, v)):
			if registry.Register(kb[0]) != registry.RegPerson || registry.IsCurrentPerson(kb, v) {
				per[er.Code] = append(per[er.Code], pending{registry.EventUpsert, kb})
			}
		}
	}
	var out [][2][]byte
	for _, er := range registry.EventRegisters {
		list := per[er.Code]
		if len(list) == 0 {
			continue
		}
		first, last := uint64(1), uint64(0)
		if v, err := o.b.GetRaw(nil, registry.EventMetaKey(er.Code)); err == nil {
			if f, l, ok := registry.DecodeEventRange(v); ok {
				first, last = f, l
			}
		}
		for _, p := range list {
			last++
			out = append(out, [2][]byte{registry.EventKey(er.Code, last), registry.AppendEventValue(nil, p.typ, p.key)})
		}
		out = append(out, [2][]byte{registry.EventMetaKey(er.Code), registry.AppendEventRange(nil, first, last)})
	}
	return out, nil
}

type deltaRun struct {
	*run
	d  *deltaDir
	ov *overlay
}

// storedOrg returns the stored view of an organisation and its flags.
func (dr *deltaRun) storedOrg(o registry.Orgnr) (view []byte, flags byte, ok bool, err error) {
	v, ok, err := dr.ov.get(registry.OrgKey(o))
	if err != nil || !ok {
		return nil, 0, false, err
	}
	flags, full, _, err := registry.DecodeValue(v)
	if err != nil {
		return nil, 0, false, err
	}
	return full, flags, true, nil
}

func overordnet(view []byte) (registry.Orgnr, bool) {
	var f struct {
		OverordnetEnhet string `json:"overordnetEnhet"`
	}
	if json.Unmarshal(view, &f) != nil || f.OverordnetEnhet == "" {
		return registry.Orgnr{}, false
	}
	p, err := registry.ParseOrgnr([]byte(f.OverordnetEnhet))
	return p, err == nil
}

// applyBrreg applies one Brreg feed to the overlay.
func (dr *deltaRun) applyBrreg(kind brreg.Kind, f *orderedBrreg) (FeedStats, error) {
	fs := FeedStats{Feed: f.feed, From: f.from, To: f.to, HadPosition: f.hadPosition, Pages: f.pages,
		Items: int64(len(f.updates)), Types: map[string]int64{}}
	reg, sub := RegEnheter, kind == brreg.Underenheter
	if sub {
		reg = RegUnderenheter
	}
	st := dr.stats[reg]
	st.Files++
	start := time.Now()
	defer func() { st.Duration += time.Since(start) }()
	bodies := dr.d.bodies[kind]
	// The last change of each entity in this delta: a Ny/Endring whose body
	// is missing is fine when a later item deletes or removes the entity.
	lastType := map[string]int{}
	for i, u := range f.updates {
		lastType[u.Orgnr] = i
	}
	removedLater := func(i int, orgnr string) bool {
		for j := lastType[orgnr]; j > i; j-- {
			if t := f.updates[j].Type; f.updates[j].Orgnr == orgnr && (t == brreg.Sletting || t == brreg.Fjernet) {
				return true
			}
		}
		return false
	}
	// parentKnown: an enhet in the generation or created by this delta.
	parentKnown := func(p registry.Orgnr) (bool, error) {
		if _, _, ok, err := dr.storedOrg(p); err != nil || ok {
			return ok, err
		}
		_, ok := dr.d.bodies[brreg.Enheter][p.String()]
		return ok, nil
	}
	var val []byte
	for i, u := range f.updates {
		fs.Types[u.Type]++
		file, p := f.files[i], fmt.Sprintf("oppdateringsid %d", u.ID)
		reject := func(rule registry.Rule, detail string) {
			dr.reject(reg, file, p, u.Orgnr, rule, detail)
			fs.Rejects++
		}
		if u.Err != nil {
			reject(ruleShape, u.Err.Error())
			continue
		}
		if u.Type == brreg.Ukjent {
			fs.Ukjent++
			dr.log.Info("change of unknown type reported, not applied", "feed", f.feed, "oppdateringsid", u.ID, "organisasjonsnummer", u.Orgnr)
			continue
		}
		o, err := registry.ParseOrgnr([]byte(u.Orgnr))
		if err != nil {
			reject(err.(*registry.IDError).Rule, "organisasjonsnummer ("+u.Type+")")
			continue
		}
		key := registry.OrgKey(o)
		old, oldFlags, existed, err := dr.storedOrg(o)
		if err != nil {
			return fs, err
		}
		live := existed && oldFlags&registry.FlagGone == 0
		body := bodies[u.Orgnr]
		if u.Type == brreg.Sletting && body != nil && !body.rec.Deleted {
			body = nil // a body fetched before the deletion: mark the stored record instead
		}
		switch {
		case u.Type == brreg.Ny || u.Type == brreg.Endring || (u.Type == brreg.Sletting && body != nil):
			if body == nil {
				if removedLater(i, u.Orgnr) {
					fs.Superseded++
					continue
				}
				return fs, fmt.Errorf("%w: %s: %s %s (oppdateringsid %d) has no body in %s.json",
					ErrIncompleteDelta, f.feed, u.Type, u.Orgnr, u.ID, kind)
			}
			_, parent, hasParent, rule, detail := orgCheck(&body.rec, sub)
			if rule != "" {
				reject(rule, detail+" (in "+body.file+" "+body.pos+")")
				continue
			}
			if hasParent {
				ok, err := parentKnown(parent)
				if err != nil {
					return fs, err
				}
				if !ok {
					dr.warn(reg, file, p, u.Orgnr, ruleAbsent, "overordnetEnhet "+parent.String()+" is not an enhet of the generation (loaded as given)")
				}
			}
			if live {
				if op, ok := overordnet(old); ok && (!hasParent || op != parent) {
					dr.ov.del(registry.PairKey(registry.IdxSubunits, op[:], o[:]))
				}
			}
			if hasParent {
				dr.ov.put(registry.PairKey(registry.IdxSubunits, parent[:], o[:]), nil)
			}
			val = registry.AppendValue(val[:0], 0, body.rec.JSON, nil)
			dr.ov.put(key, val)
			if !live {
				st.Records++
			}
		case u.Type == brreg.Sletting:
			if !live {
				reject(ruleNotInCopy, "Sletting of an organisation the generation does not have")
				continue
			}
			if !hasField(old, "slettedato") {
				view := appendJSONField(append([]byte(nil), old...), "slettedato", dateOf(u.Dato, dr.today))
				val = registry.AppendValue(val[:0], 0, view, nil)
				dr.ov.put(key, val)
			}
		case u.Type == brreg.Fjernet:
			if live {
				if op, ok := overordnet(old); ok {
					dr.ov.del(registry.PairKey(registry.IdxSubunits, op[:], o[:]))
				}
				st.Records--
			}
			// GoneEnhet: what Brreg answers with 410.
			gone := []byte(`{"organisasjonsnummer":"` + o.String() + `","slettedato":"` + dateOf(u.Dato, dr.today) + `"}`)
			val = registry.AppendValue(val[:0], registry.FlagGone, gone, nil)
			dr.ov.put(key, val)
		}
		fs.Applied++
	}
	if err := dr.checkRatio(reg); err != nil {
		return fs, err
	}
	return fs, nil
}

// applyFreg applies the Freg events to the overlay: each event's person
// document replaces the person under every number it lists.
func (dr *deltaRun) applyFreg(f *orderedFreg) (FeedStats, error) {
	fs := FeedStats{Feed: FeedFreg, From: f.from, To: f.to, HadPosition: f.hadPosition, Pages: f.pages,
		Items: int64(len(f.events)), Types: map[string]int64{}}
	st := dr.stats[RegPersons]
	st.Files++
	start := time.Now()
	defer func() { st.Duration += time.Since(start) }()
	var buf, val []byte
	for _, e := range f.events {
		ev := e.ev
		fs.Types[ev.Type]++
		p := fmt.Sprintf("sekvensnummer %d", ev.Seq)
		reject := func(file string, rule registry.Rule, id, detail string) {
			dr.reject(RegPersons, file, p, maskNIN(id), rule, detail)
			fs.Rejects++
		}
		if ev.PersonDoc == "" {
			reject(e.file, ruleRequired, ev.NIN, "persondokument")
			continue
		}
		doc := dr.d.docs[ev.PersonDoc]
		if doc == nil {
			return fs, fmt.Errorf("%w: %s: sekvensnummer %d (%s) refers to persondokument %s, which is not in freg/persondokumenter.jsonl",
				ErrIncompleteDelta, FeedFreg, ev.Seq, ev.Type, ev.PersonDoc)
		}
		if doc.err != nil {
			reject(doc.file, ruleShape, ev.NIN, doc.err.Error())
			continue
		}
		person, unknown, err := freg.ParsePerson(doc.raw)
		if err != nil {
			reject(doc.file, ruleShape, ev.NIN, err.Error())
			continue
		}
		for _, k := range unknown {
			dr.unknown[k]++
		}
		full, restricted, sum := person.View(buf[:0])
		buf = full[:0]
		if sum.NIN == "" {
			reject(doc.file, ruleRequired, ev.NIN, "identifikasjonsnummer")
			continue
		}
		n, _, err := registry.ParseNIN([]byte(sum.NIN))
		if err != nil {
			reject(doc.file, err.(*registry.IDError).Rule, sum.NIN, "foedselsEllerDNummer")
			continue
		}
		found := false
		for _, id := range sum.Identifiers {
			found = found || id == ev.NIN
		}
		if !found {
			reject(e.file, ruleMismatch, ev.NIN, "folkeregisteridentifikator is not one of the numbers in persondokument "+ev.PersonDoc)
			continue
		}
		keys := []registry.Key{registry.PersonKey(n)}
		for _, other := range sum.Identifiers[1:] {
			if on, _, err := registry.ParseNIN([]byte(other)); err == nil {
				keys = append(keys, registry.PersonKey(on))
			}
		}
		// The person search entries follow the person: the old ones (names,
		// birth date of every stored version being replaced, under the
		// number that version was served under — a D-number before a
		// change to a fødselsnummer) go, the new ones come.
		existed := false
		for _, k := range keys {
			oldVal, ok, err := dr.ov.get(k)
			if err != nil {
				return fs, err
			}
			if !ok {
				continue
			}
			existed = true
			if _, oldFull, _, err := registry.DecodeValue(oldVal); err == nil {
				if on, ok := servedNIN(oldFull); ok {
					for _, sk := range searchKeysOfView(oldFull, on) {
						dr.ov.delRaw(sk)
					}
				}
			}
		}
		for _, e := range appendSearchKeys(nil, n, &sum) {
			dr.ov.putRaw(e.key, e.val)
		}
		val = registry.AppendValue(val[:0], 0, full, restricted)
		flags := []byte{0}
		if restricted != nil {
			flags[0] = registry.FlagRestricted
		}
		for _, k := range keys {
			dr.ov.put(k, val)
			var nk registry.NIN
			copy(nk[:], k.Bytes()[1:])
			dr.ov.put(registry.PersonExistsKey(nk), flags)
		}
		if !existed {
			st.Records++
		}
		fs.Applied++
	}
	if err := dr.checkRatio(RegPersons); err != nil {
		return fs, err
	}
	return fs, nil
}

// hasField reports whether the JSON object view has a top-level key name
// with a non-empty value.
func hasField(view []byte, name string) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(view, &m) != nil {
		return false
	}
	v, ok := m[name]
	return ok && string(v) != `""` && string(v) != "null"
}

// appendJSONField adds "name":"value" at the end of the JSON object obj.
func appendJSONField(obj []byte, name, value string) []byte {
	obj = bytes.TrimRight(obj, " \n\r\t")
	if len(obj) == 0 || obj[len(obj)-1] != '}' {
		panic("BUG: stored view is not a JSON object")
	}
	obj = obj[:len(obj)-1]
	if len(bytes.TrimSpace(obj)) > 1 {
		obj = append(obj, ',')
	}
	b, _ := json.Marshal(name)
	obj = append(obj, b...)
	obj = append(obj, ':')
	b, _ = json.Marshal(value)
	obj = append(obj, b...)
	return append(obj, '}')
}

// dateOf returns the date part of a feed timestamp, or today.
func dateOf(ts, today string) string {
	if len(ts) >= 10 && ts[4] == '-' && ts[7] == '-' {
		return ts[:10]
	}
	return today
}
