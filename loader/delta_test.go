package loader_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/loader"
	"github.com/grunndata/grunndata/loader/brreg"
	"github.com/grunndata/grunndata/loader/freg"
	"github.com/grunndata/grunndata/loader/loadertest"
	"github.com/grunndata/grunndata/loader/synth"
	"github.com/grunndata/grunndata/registry"
)

// deltaFixture is the small preset with three deltas, generated and loaded
// once per test binary; tests copy its data directory.
var deltaFixture = sync.OnceValues(func() (fixture, error) {
	dir, err := os.MkdirTemp("", "loader-delta-")
	if err != nil {
		return fixture{}, err
	}
	f := fixture{src: filepath.Join(dir, "src"), data: filepath.Join(dir, "data")}
	cfg := synth.DefaultConfig()
	cfg.Out, cfg.Deltas = f.src, 3
	if _, err := synth.Generate(context.Background(), cfg); err != nil {
		return f, err
	}
	lc := loader.DefaultConfig(f.src, f.data)
	lc.SortBytes, lc.Now = 8<<20, loadertest.Now
	_, err = loader.Run(context.Background(), lc)
	return f, err
})

type fixture struct{ src, data string }

func (f fixture) delta(k string) string { return filepath.Join(f.src, "deltas", k) }

func TestMain(m *testing.M) {
	code := m.Run()
	if f, err := deltaFixture(); err == nil && strings.Contains(f.src, "loader-delta-") {
		os.RemoveAll(filepath.Dir(f.src))
	}
	os.Exit(code)
}

// setup returns the fixture and a private copy of its data directory.
func setup(t *testing.T) (fixture, string) {
	t.Helper()
	f, err := deltaFixture()
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(t.TempDir(), "data")
	copyTree(t, f.data, data)
	return f, data
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func delta(t *testing.T, dir, data string) (loader.Report, error) {
	t.Helper()
	cfg := loader.DefaultConfig(dir, data)
	cfg.SortBytes, cfg.Now = 8<<20, loadertest.Now
	return loader.RunDelta(context.Background(), cfg)
}

func mustDelta(t *testing.T, dir, data string) loader.Report {
	t.Helper()
	rep, err := delta(t, dir, data)
	if err != nil {
		t.Fatalf("delta %s: %v", dir, err)
	}
	if !rep.Activated {
		t.Fatalf("delta %s: not activated: %+v", dir, rep)
	}
	return rep
}

// lookup reads the stored value of key from the active generation.
func lookup(t *testing.T, data string, key registry.Key) (flags byte, full, restricted []byte, found bool) {
	t.Helper()
	get, done := openView(t, data)
	defer done()
	return get(key)
}

// openView opens the active generation once for many lookups.
func openView(t *testing.T, data string) (get func(registry.Key) (flags byte, full, restricted []byte, found bool), done func()) {
	t.Helper()
	st, err := index.Open(index.Config{Dir: data})
	if err != nil {
		t.Fatal(err)
	}
	v, err := st.Acquire()
	if err != nil {
		t.Fatal(err)
	}
	get = func(key registry.Key) (byte, []byte, []byte, bool) {
		t.Helper()
		val, err := v.Get(nil, &key)
		if errors.Is(err, registry.ErrNotFound) {
			return 0, nil, nil, false
		}
		if err != nil {
			t.Fatal(err)
		}
		flags, full, restricted, err := registry.DecodeValue(val)
		if err != nil {
			t.Fatal(err)
		}
		return flags, full, restricted, true
	}
	var once sync.Once
	return get, func() { once.Do(func() { v.Release(); st.Close() }) }
}

func orgKey(t *testing.T, s string) registry.Key {
	t.Helper()
	o, err := registry.ParseOrgnr([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return registry.OrgKey(o)
}

func personKey(t *testing.T, s string) registry.Key {
	t.Helper()
	n, _, err := registry.ParseNIN([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return registry.PersonKey(n)
}

func readMaybeGz(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(p, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if b, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// feedOf reads the (single) page of one Brreg feed of a delta.
func feedOf(t *testing.T, dir, kind string) *brreg.Page {
	t.Helper()
	p, err := brreg.ReadPage(bytes.NewReader(readMaybeGz(t, filepath.Join(dir, "oppdateringer", kind, "page-000000.json"))))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// bodiesOf reads the changed entities of one Brreg feed, by orgnr.
func bodiesOf(t *testing.T, dir, kind string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := brreg.Read(bytes.NewReader(readMaybeGz(t, filepath.Join(dir, kind+".json.gz"))), func(rec *brreg.Record) error {
		out[rec.Orgnr] = append([]byte(nil), rec.JSON...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func positions(t *testing.T, data string) (string, map[string]int64, string) {
	t.Helper()
	active, err := index.ReadActive(data)
	if err != nil {
		t.Fatal(err)
	}
	m, err := index.ReadManifest(filepath.Join(index.SnapshotsDir(data), active))
	if err != nil {
		t.Fatal(err)
	}
	return active, m.FeedPositions, m.Parent
}

// TestDeltaSequence applies the three generated deltas in order and checks
// each kind of change as the API would serve it.
func TestDeltaSequence(t *testing.T) {
	f, data := setup(t)
	gen0, pos0, _ := positions(t, data)
	if pos0[loader.FeedEnheter] == 0 || pos0[loader.FeedFreg] == 0 {
		t.Fatalf("the bulk load did not record feed positions: %v", pos0)
	}
	d1 := f.delta("0001")
	rep := mustDelta(t, d1, data)
	gen1, pos1, parent := positions(t, data)
	if parent != gen0 || rep.Parent != gen0 || gen1 == gen0 {
		t.Fatalf("generation %s parent %s, want a new generation from %s", gen1, parent, gen0)
	}
	page := feedOf(t, d1, "enheter")
	if pos1[loader.FeedEnheter] != page.Updates[len(page.Updates)-1].ID {
		t.Fatalf("enheter position %d, want the last oppdateringsid %d", pos1[loader.FeedEnheter], page.Updates[len(page.Updates)-1].ID)
	}

	bodies := bodiesOf(t, d1, "enheter")
	seen := map[string]bool{}
	get, done := openView(t, data)
	defer done()
	for _, u := range page.Updates {
		flags, full, _, found := get(orgKey(t, u.Orgnr))
		seen[u.Type] = true
		switch u.Type {
		case brreg.Ny, brreg.Endring:
			if !found || flags != 0 || !bytes.Equal(full, bodies[u.Orgnr]) {
				t.Errorf("%s %s: served %s (found %v, flags %d), want the delta's body", u.Type, u.Orgnr, full, found, flags)
			}
		case brreg.Sletting:
			if !found || flags != 0 || !bytes.Contains(full, []byte(`"slettedato":`)) {
				t.Errorf("Sletting %s: served %s, want the deleted entity with slettedato", u.Orgnr, full)
			}
		case brreg.Fjernet:
			if !found || flags&registry.FlagGone == 0 {
				t.Errorf("Fjernet %s: flags %d found %v, want FlagGone (410)", u.Orgnr, flags, found)
			}
		}
	}
	for _, typ := range []string{brreg.Ny, brreg.Endring, brreg.Sletting, brreg.Fjernet} {
		if !seen[typ] {
			t.Errorf("delta 1 has no %s item: the generator's mix changed", typ)
		}
	}

	// Freg: every event's person is findable by the event's number with the
	// document's content; a D-number → fødselsnummer change keeps both.
	evs, docs := fregOf(t, d1)
	var dnrChange bool
	for _, ev := range evs {
		_, full, _, found := get(personKey(t, ev.NIN))
		if !found {
			t.Fatalf("%s: person %s not found", ev.Type, ev.NIN)
		}
		if ev.Type != "endringIIdentifikasjonsnummer" {
			continue
		}
		dnrChange = true
		p, _, err := freg.ParsePerson(docs[ev.PersonDoc])
		if err != nil {
			t.Fatal(err)
		}
		var old string
		for _, id := range p.Identifikasjonsnummer {
			if id.Identifikatortype == "dNummer" && id.Status == "opphoert" {
				old = id.FoedselsEllerDNummer
			}
		}
		if old == "" {
			t.Fatalf("D-number change %s: the document keeps no opphoert D-number", ev.NIN)
		}
		_, byOld, _, found := get(personKey(t, old))
		if !found || !bytes.Equal(byOld, full) {
			t.Errorf("D-number %s no longer finds the person who got %s", old, ev.NIN)
		}
		var view struct {
			NIN         string
			Identifiers []struct{ NIN, Type, Status string }
		}
		json.Unmarshal(full, &view)
		if view.NIN != ev.NIN || len(view.Identifiers) != 2 || view.Identifiers[1].Status != "opphoert" {
			t.Errorf("served person after the change: %s", full)
		}
	}
	if !dnrChange {
		t.Error("delta 1 has no D-number → fødselsnummer change")
	}

	done()
	mustDelta(t, f.delta("0002"), data)
	mustDelta(t, f.delta("0003"), data)
	_, pos3, _ := positions(t, data)
	last := feedOf(t, f.delta("0003"), "underenheter")
	if pos3[loader.FeedUnderenheter] != last.Updates[len(last.Updates)-1].ID {
		t.Errorf("underenheter position %d after delta 3", pos3[loader.FeedUnderenheter])
	}
	evs3, _ := fregOf(t, f.delta("0003"))
	if pos3[loader.FeedFreg] != evs3[len(evs3)-1].Seq {
		t.Errorf("freg position %d after delta 3, want %d", pos3[loader.FeedFreg], evs3[len(evs3)-1].Seq)
	}
}

func fregOf(t *testing.T, dir string) ([]freg.Event, map[string][]byte) {
	t.Helper()
	evs, err := freg.ReadFeed(bytes.NewReader(readMaybeGz(t, filepath.Join(dir, "freg", "hendelser", "feed-000001.json"))))
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string][]byte{}
	err = freg.ReadDocuments(bytes.NewReader(readMaybeGz(t, filepath.Join(dir, "freg", "persondokumenter.jsonl.gz"))), func(d *freg.Document) error {
		docs[d.ID] = append([]byte(nil), d.Raw...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return evs, docs
}

// assertUnchanged checks that a refused delta left gen active, with no new
// generation and nothing half-built.
func assertUnchanged(t *testing.T, data, gen string, gens int) {
	t.Helper()
	active, err := index.ReadActive(data)
	if err != nil || active != gen {
		t.Fatalf("active generation %q (%v), want %q", active, err, gen)
	}
	ids, _ := index.ListGenerations(data)
	if len(ids) != gens {
		t.Fatalf("generations %v, want %d", ids, gens)
	}
	ents, _ := os.ReadDir(index.SnapshotsDir(data))
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp") {
			t.Fatalf("half-built generation left: %s", e.Name())
		}
	}
}

func TestDeltaGap(t *testing.T) {
	f, data := setup(t)
	gen, _, _ := positions(t, data)
	_, err := delta(t, f.delta("0002"), data) // delta 1 skipped
	if !errors.Is(err, loader.ErrFeedGap) {
		t.Fatalf("err = %v, want ErrFeedGap", err)
	}
	if !strings.Contains(err.Error(), "fetch from oppdateringsid=") {
		t.Errorf("the error does not say where to fetch from: %v", err)
	}
	assertUnchanged(t, data, gen, 1)
}

func TestDeltaReplay(t *testing.T) {
	f, data := setup(t)
	mustDelta(t, f.delta("0001"), data)
	gen, _, _ := positions(t, data)
	_, err := delta(t, f.delta("0001"), data)
	if !errors.Is(err, loader.ErrFeedReplay) {
		t.Fatalf("err = %v, want ErrFeedReplay", err)
	}
	assertUnchanged(t, data, gen, 2)
}

// copyDelta copies a delta directory for editing.
func copyDelta(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "delta")
	copyTree(t, src, dst)
	return dst
}

// splitPage rewrites the one page of a Brreg feed as pages of n items with
// the same query, and returns their contents by page number.
func splitPage(t *testing.T, dir, kind string, n int) [][]byte {
	t.Helper()
	p := filepath.Join(dir, "oppdateringer", kind, "page-000000.json")
	var doc map[string]any
	if err := json.Unmarshal(readMaybeGz(t, p), &doc); err != nil {
		t.Fatal(err)
	}
	emb := doc["_embedded"].(map[string]any)
	var key string
	var items []any
	for k, v := range emb {
		key, items = k, v.([]any)
	}
	var pages [][]byte
	for i := 0; i*n < len(items); i++ {
		part := items[i*n : min((i+1)*n, len(items))]
		doc["_embedded"] = map[string]any{key: part}
		doc["page"] = map[string]any{"size": n, "totalElements": len(items), "totalPages": (len(items) + n - 1) / n, "number": i}
		self := doc["_links"].(map[string]any)["self"].(map[string]any)
		href := self["href"].(string)
		self["href"] = href[:strings.Index(href, "&page=")] + "&page=" + itoa(i) + "&size=" + itoa(n)
		b, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, b)
	}
	os.Remove(p)
	return pages
}

// TestDeltaPageOrder: page files are applied in oppdateringsid order
// whatever their names; a missing page or a page whose items do not follow
// the page before it refuses the delta.
func TestDeltaPageOrder(t *testing.T) {
	f, data := setup(t)
	gen, _, _ := positions(t, data)
	write := func(dir, kind string, names []string, pages [][]byte) {
		for i, b := range pages {
			writeFile(t, filepath.Join(dir, "oppdateringer", kind, names[i]), b)
		}
	}
	t.Run("missing-page", func(t *testing.T) {
		d := copyDelta(t, f.delta("0001"))
		pages := splitPage(t, d, "enheter", 20)
		write(d, "enheter", []string{"a.json", "c.json", "d.json"}, [][]byte{pages[0], pages[2], pages[3]})
		_, err := delta(t, d, data)
		if !errors.Is(err, loader.ErrFeedGap) || !strings.Contains(err.Error(), "page 1 ") {
			t.Fatalf("err = %v, want a gap naming page 1", err)
		}
		assertUnchanged(t, data, gen, 1)
	})
	t.Run("out-of-order-page", func(t *testing.T) {
		d := copyDelta(t, f.delta("0001"))
		pages := splitPage(t, d, "enheter", 20)
		// page 1 carries page 2's items and the other way round
		var p1, p2 map[string]any
		json.Unmarshal(pages[1], &p1)
		json.Unmarshal(pages[2], &p2)
		p1["_embedded"], p2["_embedded"] = p2["_embedded"], p1["_embedded"]
		pages[1], _ = json.Marshal(p1)
		pages[2], _ = json.Marshal(p2)
		write(d, "enheter", []string{"0.json", "1.json", "2.json", "3.json"}, pages)
		_, err := delta(t, d, data)
		if err == nil || !strings.Contains(err.Error(), "out-of-order page") {
			t.Fatalf("err = %v, want an out-of-order page", err)
		}
		assertUnchanged(t, data, gen, 1)
	})
	t.Run("files-in-reverse-order", func(t *testing.T) {
		d := copyDelta(t, f.delta("0001"))
		pages := splitPage(t, d, "enheter", 20)
		names := make([]string, len(pages))
		for i := range pages {
			names[i] = "page-" + itoa(len(pages)-i) + ".json" // page 0 sorts last
		}
		write(d, "enheter", names, pages)
		rep := mustDelta(t, d, data)
		if rep.Feeds[0].Pages != len(pages) || rep.Feeds[0].Applied+rep.Feeds[0].Ukjent != rep.Feeds[0].Items {
			t.Errorf("feed stats %+v", rep.Feeds[0])
		}
		// the result equals applying the unsplit delta
		_, data2 := setup(t)
		mustDelta(t, f.delta("0001"), data2)
		get1, done1 := openView(t, data)
		defer done1()
		get2, done2 := openView(t, data2)
		defer done2()
		for _, u := range feedOf(t, f.delta("0001"), "enheter").Updates {
			f1, v1, _, _ := get1(orgKey(t, u.Orgnr))
			f2, v2, _, _ := get2(orgKey(t, u.Orgnr))
			if f1 != f2 || !bytes.Equal(v1, v2) {
				t.Fatalf("%s: split pages served %s, one page %s", u.Orgnr, v1, v2)
			}
		}
	})
}

// TestDeltaAllOrNothing: a Freg feed with a gap, or an event whose person
// document is missing, refuses the whole delta, Brreg changes included.
func TestDeltaAllOrNothing(t *testing.T) {
	f, data := setup(t)
	gen, pos, _ := positions(t, data)
	page := feedOf(t, f.delta("0001"), "enheter")
	probe := page.Updates[len(page.Updates)-1].Orgnr
	_, before, _, _ := lookup(t, data, orgKey(t, probe))
	check := func(err error, want error) {
		t.Helper()
		if !errors.Is(err, want) {
			t.Fatalf("err = %v, want %v", err, want)
		}
		assertUnchanged(t, data, gen, 1)
		if _, now, _ := positions(t, data); now[loader.FeedEnheter] != pos[loader.FeedEnheter] {
			t.Fatalf("positions moved: %v", now)
		}
		if _, after, _, _ := lookup(t, data, orgKey(t, probe)); !bytes.Equal(before, after) {
			t.Fatalf("a refused delta changed %s", probe)
		}
	}
	t.Run("sekvensnummer-gap", func(t *testing.T) {
		d := copyDelta(t, f.delta("0001"))
		p := filepath.Join(d, "freg", "hendelser", "feed-000001.json")
		var items []json.RawMessage
		json.Unmarshal(readMaybeGz(t, p), &items)
		items = append(items[:10], items[11:]...)
		b, _ := json.Marshal(items)
		writeFile(t, p, b)
		_, err := delta(t, d, data)
		check(err, loader.ErrFeedGap)
	})
	t.Run("missing-persondokument", func(t *testing.T) {
		d := copyDelta(t, f.delta("0001"))
		p := filepath.Join(d, "freg", "persondokumenter.jsonl.gz")
		lines := strings.Split(strings.TrimSpace(string(readMaybeGz(t, p))), "\n")
		os.Remove(p)
		writeFile(t, filepath.Join(d, "freg", "persondokumenter.jsonl"), []byte(strings.Join(lines[1:], "\n")+"\n"))
		_, err := delta(t, d, data)
		check(err, loader.ErrIncompleteDelta)
	})
	t.Run("missing-entity-body", func(t *testing.T) {
		d := copyDelta(t, f.delta("0001"))
		os.Remove(filepath.Join(d, "enheter.json.gz"))
		_, err := delta(t, d, data)
		check(err, loader.ErrIncompleteDelta)
	})
}

// TestDeltaFjernet removes an enhet of the bulk with a hand-written page
// fetched by oppdateringsid, then looks it up: 410, and it is no longer a
// parent in the subunit index.
func TestDeltaFjernet(t *testing.T) {
	f, data := setup(t)
	_, pos, _ := positions(t, data)
	// an underenhet of the bulk and its parent
	var sub, parent string
	brreg.Read(bytes.NewReader(readMaybeGz(t, filepath.Join(f.src, "underenheter_alle.json.gz"))), func(rec *brreg.Record) error {
		if sub == "" && rec.Index == 100 {
			sub, parent = rec.Orgnr, rec.Parent
		}
		return nil
	})
	from := pos[loader.FeedUnderenheter] + 1
	page := `{"_embedded":{"oppdaterteUnderenheter":[{"oppdateringsid":` + itoa(int(from+3)) +
		`,"dato":"2026-11-01T04:01:39.613Z","organisasjonsnummer":"` + sub + `","endringstype":"Fjernet"}]},` +
		`"_links":{"self":{"href":"https://data.brreg.no/enhetsregisteret/api/oppdateringer/underenheter?oppdateringsid=` + itoa(int(from)) + `&size=100"}},` +
		`"page":{"size":100,"totalElements":1,"totalPages":1,"number":0}}`
	d := t.TempDir()
	writeFile(t, filepath.Join(d, "oppdateringer", "underenheter", "p.json"), []byte(page))
	mustDelta(t, d, data)
	flags, body, _, found := lookup(t, data, orgKey(t, sub))
	if !found || flags&registry.FlagGone == 0 {
		t.Fatalf("after Fjernet: found %v flags %d, want FlagGone", found, flags)
	}
	if !bytes.Contains(body, []byte(`"slettedato":"2026-11-01"`)) {
		t.Errorf("gone body %s", body)
	}
	pk := orgKey(t, parent)
	o, _ := registry.ParseOrgnr([]byte(sub))
	ik := registry.PairKey(registry.IdxSubunits, pk.Bytes()[1:], o[:])
	if _, _, _, found := lookup(t, data, ik); found {
		t.Error("the removed underenhet is still listed under its parent")
	}
	_, now, _ := positions(t, data)
	if now[loader.FeedUnderenheter] != from+3 {
		t.Errorf("position %d, want %d", now[loader.FeedUnderenheter], from+3)
	}
}

// TestDeltaEmpty: a delta of empty pages builds nothing.
func TestDeltaEmpty(t *testing.T) {
	_, data := setup(t)
	gen, pos, _ := positions(t, data)
	d := t.TempDir()
	writeFile(t, filepath.Join(d, "oppdateringer", "enheter", "p.json"), []byte(`{"_links":{"self":{"href":"https://data.brreg.no/enhetsregisteret/api/oppdateringer/enheter?oppdateringsid=`+
		itoa(int(pos[loader.FeedEnheter]+1))+`"}},"page":{"size":20,"totalElements":0,"totalPages":0,"number":0}}`))
	writeFile(t, filepath.Join(d, "freg", "hendelser", "f.json"), []byte("[]"))
	rep, err := delta(t, d, data)
	if err != nil || rep.Generation != "" {
		t.Fatalf("empty delta: %v, %+v", err, rep)
	}
	assertUnchanged(t, data, gen, 1)
	if _, err := delta(t, t.TempDir(), data); !errors.Is(err, loader.ErrNoSources) {
		t.Fatalf("a directory with no feed: err = %v, want ErrNoSources", err)
	}
}

// TestDeltaRemovesDeadBuilds: a delta removes the half-built generations
// that killed loads and deltas left (their build lock is free), and leaves a
// build that is still running.
func TestDeltaRemovesDeadBuilds(t *testing.T) {
	f, data := setup(t)
	snaps := index.SnapshotsDir(data)
	live, err := index.NewBuilder(index.DefaultBuilderConfig(data))
	if err != nil {
		t.Fatal(err)
	}
	defer live.Abort()
	dead := filepath.Join(snaps, "000041.tmp")
	os.MkdirAll(dead, 0o755)
	os.WriteFile(filepath.Join(dead, "000001.sst"), []byte("half"), 0o644)
	os.WriteFile(dead+".lock", nil, 0o644)
	mustDelta(t, f.delta("0001"), data)
	for _, p := range []string{dead, dead + ".lock"} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left after a delta (%v)", filepath.Base(p), err)
		}
	}
	if _, err := os.Stat(filepath.Join(snaps, live.ID()+".tmp")); err != nil {
		t.Fatalf("the delta removed a running build: %v", err)
	}
}

// TestDeltaSearchIndexNoStale applies the generated deltas (with D-number →
// fødselsnummer changes, name changes and moves) and checks that every
// person search entry points at the person's current number and current
// name: a person changing numbers is found once, under the new number.
func TestDeltaSearchIndexNoStale(t *testing.T) {
	f, data := setup(t)
	if stale, n := searchProblems(t, data); len(stale) > 0 || n == 0 {
		t.Fatalf("after the bulk load: %d entries, %d stale: %v", n, len(stale), stale[:min(len(stale), 5)])
	}
	for _, d := range []string{"0001", "0002", "0003"} {
		mustDelta(t, f.delta(d), data)
		if stale, _ := searchProblems(t, data); len(stale) > 0 {
			t.Fatalf("after delta %s: %d stale search entries, e.g. %v", d, len(stale), stale[:min(len(stale), 5)])
		}
	}
}
