package loader

import (
	"fmt"
	"sort"

	"github.com/grunndata/grunndata/loader/brreg"
)

// Feed ordering: the pure first step of a delta. The pages and events of
// each change feed are put in feed order and checked to continue the feed
// exactly where the parent generation stopped, before anything is built.

// orderedBrreg is one Brreg feed of a delta, in oppdateringsid order.
type orderedBrreg struct {
	feed        string
	kind        brreg.Kind
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
func orderBrreg(feed string, kind brreg.Kind, pages []pageFile, pos int64, has bool) (*orderedBrreg, error) {
	o := &orderedBrreg{feed: feed, kind: kind, pages: len(pages), from: pos, to: pos, hadPosition: has}
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
