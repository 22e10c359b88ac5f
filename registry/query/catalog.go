package query

import (
	"encoding/json"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/grunndata/grunndata/registry"
)

// The search catalog of the small registers (registry.BuildCatalog) —
// Adresseregisteret (~100 k parties) and Fastlegeregisteret (~5 k contracts)
// — is built from a generation the first time it is searched (or by the
// server's background builder), and rebuilt when another generation becomes
// active. Searching it costs no store reads but the records of the page
// returned.

type catalogCache struct {
	mu  sync.Mutex
	cur *registry.Catalog
}

// Catalog returns the catalog of v, building it if needed.
func (e *Engine) Catalog(v registry.View) (*registry.Catalog, error) {
	e.catalog.mu.Lock()
	defer e.catalog.mu.Unlock()
	if c := e.catalog.cur; c != nil && c.Seq == v.Seq() {
		return c, nil
	}
	c, err := registry.BuildCatalog(v)
	if err != nil {
		return nil, err
	}
	e.catalog.cur = c
	return c, nil
}

// PartySearchParams are the parameters of GET /v1/communication-parties.
var PartySearchParams = map[string]bool{"orgnr": true, "name": true, "type": true, "serviceCode": true, "municipality": true,
	"businessType": true, "active": true, "limit": true, "cursor": true}

// PartyFilterless reports whether q has no filter (a search needs one).
func PartyFilterless(q *registry.PartyQuery) bool {
	return q.Orgnr == "" && len(q.Name) == 0 && q.Type == "" && q.ServiceCode == "" && q.Municipality == "" && q.BusinessType == ""
}

// SearchParties answers a communication-party search: every filter of q
// optional (at least one), the name matched word by word as prefixes in any
// order, tolerant of case and of æøå / ae oe aa spellings; the answer
// carries facet counts by type, business type and municipality over all
// matches.
func (e *Engine) SearchParties(v registry.View, q *registry.PartyQuery, offset, limit int) ([]byte, error) {
	c, err := e.Catalog(v)
	if err != nil {
		return nil, err
	}
	type hit struct {
		p     *registry.PartyEntry
		exact bool
	}
	var hits []hit
	facets := map[string]map[string]int{"type": {}, "businessType": {}, "municipality": {}}
	for i := range c.Parties {
		p := &c.Parties[i]
		ok, exact := q.Match(p)
		if !ok {
			continue
		}
		hits = append(hits, hit{p, exact})
		facets["type"][p.Type]++
		if p.BusinessType != "" {
			facets["businessType"][p.BusinessType]++
		}
		if p.Municipality != "" {
			facets["municipality"][p.Municipality]++
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return registry.PartyBefore(hits[i].p, hits[j].p, hits[i].exact, hits[j].exact) })
	out := append(make([]byte, 0, 8192), `{"total":`...)
	out = strconv.AppendInt(out, int64(len(hits)), 10)
	fb, err := json.Marshal(facets)
	if err != nil {
		return nil, err
	}
	out = append(out, `,"facets":`...)
	out = append(out, fb...)
	out = append(out, `,"items":[`...)
	return e.appendPage(out, v, len(hits), offset, limit, func(i int) registry.Key {
		return registry.SerialKey(registry.RegParty, uint64(hits[i].p.HerID))
	}, restrictedView), nil
}

// ListContracts answers the GP contracts, optionally of one orgnr and of
// one municipality.
func (e *Engine) ListContracts(v registry.View, orgnr, municipality string, offset, limit int) ([]byte, error) {
	c, err := e.Catalog(v)
	if err != nil {
		return nil, err
	}
	var ids []uint64
	for _, g := range c.Contracts {
		if (orgnr == "" || g.Orgnr == orgnr) && (municipality == "" || g.Municipality == municipality) {
			ids = append(ids, g.ID)
		}
	}
	out := append(make([]byte, 0, 8192), `{"total":`...)
	out = strconv.AppendInt(out, int64(len(ids)), 10)
	out = append(out, `,"items":[`...)
	return e.appendPage(out, v, len(ids), offset, limit, func(i int) registry.Key {
		return registry.SerialKey(registry.RegGPContract, ids[i])
	}, fullView), nil
}

// KeepCatalogs keeps the catalog built for the active generation until stop
// is closed, so that the first search after an activation does not pay for
// building it (about a second at national size). acquire takes the active
// generation for this background work.
func (e *Engine) KeepCatalogs(acquire func() (registry.View, error), stop <-chan struct{}) {
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		if v, err := acquire(); err == nil {
			if _, err := e.Catalog(v); err != nil {
				e.log.Error("build search catalog", "err", err)
			}
			v.Release()
		}
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}
