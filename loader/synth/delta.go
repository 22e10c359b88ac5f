package synth

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/klauspost/compress/gzip"
)

// Change feeds. With Config.Deltas > 0, Generate also writes delta
// directories deltas/0001, deltas/0002, … that continue the registers'
// change feeds from where the bulk files stand (feed-positions.json): pages
// of Brreg's /api/oppdateringer/enheter and /underenheter with the changed
// entities beside them, and pages of Freg's hendelser/feed with the person
// documents they refer to (docs/formats.md, "Delta directory"). Delta k is
// dated a week after delta k-1.
//
// Consistency: every existing entity and person changes at most once over
// all deltas (the changed ones are the images of a running counter under a
// keyed permutation), so a changed record is its bulk version plus that one
// change, and the deltas apply in order on top of the bulk. New entities
// and persons get numbers the bulk never uses.

// Feed positions of the bulk files: the last oppdateringsid and
// sekvensnummer they contain.
const (
	feedStartEnheter      = 21_000_000
	feedStartUnderenheter = 15_000_000
	feedStartFreg         = 40_000_000
	brregPageSize         = 1000
	fregPageSize          = 1000 // Freg's fixed page size
	deltaDays             = 7
	maxNewbornsPerDelta   = deltaDays * 400
)

// DefaultDeltaChanges is the number of changes per delta for a preset.
func DefaultDeltaChanges(preset string) int {
	switch preset {
	case "small":
		return 200
	case "medium":
		return 2000
	}
	return 10_000
}

// feedPositions writes feed-positions.json for the bulk files.
func writeFeedPositions(dir string) error {
	b := fmt.Sprintf("{\n  \"brreg/enheter\": %d,\n  \"brreg/underenheter\": %d,\n  \"freg/hendelser\": %d\n}\n",
		feedStartEnheter, feedStartUnderenheter, feedStartFreg)
	return writeAtomic(filepath.Join(dir, "feed-positions.json"), []byte(b))
}

type deltaGen struct {
	w       *world
	out     string
	changes int
	// running positions and selection counters across deltas
	lastE, lastU, seq int64
	jE, jU, jP, jD    int
	nBorn             int
	// selections of existing records: generic enheter, generic
	// underenheter, fødselsnummer persons, D-number persons
	permE, permU, permP, permD perm
	baseE, baseU               int
	spanE, spanU               int
}

func (w *world) newDeltaGen(out string, deltas, changes int) (*deltaGen, error) {
	g := &deltaGen{w: w, out: out, changes: changes,
		lastE: feedStartEnheter, lastU: feedStartUnderenheter, seq: feedStartFreg}
	g.baseE, g.spanE = w.fixed, w.e-w.fixed
	g.baseU = len(w.inst) + w.nFixedSubs
	g.spanU = w.u - g.baseU
	nE, nU, nP := splitChanges(changes)
	switch {
	case changes < 10:
		return nil, fmt.Errorf("%d changes per delta: want at least 10", changes)
	case deltas*nE > g.spanE || deltas*nU > g.spanU || deltas*nP > w.nf || deltas*nP/10 > w.nd:
		return nil, fmt.Errorf("preset %s is too small for %d deltas of %d changes (each record changes at most once)",
			w.p.Name, deltas, changes)
	}
	g.permE = newPerm(uint64(g.spanE), w.seed, streamDeltaEnhet)
	g.permU = newPerm(uint64(g.spanU), w.seed, streamDeltaUnderenhet)
	g.permP = newPerm(uint64(w.nf), w.seed, streamDeltaPerson)
	g.permD = newPerm(uint64(w.nd), w.seed, streamDeltaDnr)
	return g, nil
}

// splitChanges divides a delta's changes: 35 % enheter, 15 % underenheter,
// half persons.
func splitChanges(n int) (enheter, underenheter, persons int) {
	enheter, underenheter = n*35/100, n*15/100
	return enheter, underenheter, n - enheter - underenheter
}

// writeDeltas writes deltas 1…n.
func (w *world) writeDeltas(ctx context.Context, out string, n, changes int) ([]FileSummary, error) {
	g, err := w.newDeltaGen(out, n, changes)
	if err != nil {
		return nil, err
	}
	var sums []FileSummary
	for k := 1; k <= n; k++ {
		if err := ctx.Err(); err != nil {
			return sums, err
		}
		fs, err := g.write(k)
		if err != nil {
			return sums, fmt.Errorf("delta %d: %w", k, err)
		}
		sums = append(sums, fs)
	}
	return sums, nil
}

type deltaFiles struct {
	dir string
	fs  FileSummary
}

func (f *deltaFiles) write(name string, b []byte) error {
	p := filepath.Join(f.dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	if filepath.Ext(name) == ".gz" {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		zw.Write(b)
		if err := zw.Close(); err != nil {
			return err
		}
		b = buf.Bytes()
	}
	f.fs.Files++
	f.fs.Bytes += int64(len(b))
	return writeAtomic(p, b)
}

// feedItem is one Brreg update.
type feedItem struct {
	id    int64
	orgnr [9]byte
	typ   string
	at    int // millisecond of the day
}

func (g *deltaGen) write(k int) (FileSummary, error) {
	name := fmt.Sprintf("deltas/%04d", k)
	f := &deltaFiles{dir: filepath.Join(g.out, name), fs: FileSummary{Name: name + "/"}}
	if err := os.RemoveAll(f.dir); err != nil {
		return f.fs, err
	}
	today := refDay + day(deltaDays*k)
	nE, nU, nP := splitChanges(g.changes)
	for _, kind := range []string{"enheter", "underenheter"} {
		n, before := nE, g.lastE
		if kind == "underenheter" {
			n, before = nU, g.lastU
		}
		items, bodies := g.brregChanges(kind, n, today)
		if err := g.writeBrregPages(f, kind, items, today, before); err != nil {
			return f.fs, err
		}
		if err := f.write(kind+".json.gz", bodies); err != nil {
			return f.fs, err
		}
		f.fs.Records += int64(len(items))
	}
	pages, docs, err := g.fregChanges(nP, today)
	if err != nil {
		return f.fs, err
	}
	for i, p := range pages {
		if err := f.write(fmt.Sprintf("freg/hendelser/feed-%06d.json", i+1), p); err != nil {
			return f.fs, err
		}
	}
	if err := f.write("freg/persondokumenter.jsonl.gz", docs); err != nil {
		return f.fs, err
	}
	f.fs.Records += int64(nP)
	return f.fs, nil
}

func newEdit() orgEdit { return orgEdit{reg: noDay, ansatte: -1} }

// brregChanges draws n changes of one Brreg feed and returns the feed items
// and the JSON array of the changed entities' bodies.
func (g *deltaGen) brregChanges(kind string, n int, today day) ([]feedItem, []byte) {
	w := g.w
	sub := kind == "underenheter"
	items := make([]feedItem, 0, n)
	bodies := []byte("[\n")
	first := true
	addBody := func(b []byte) {
		if !first {
			bodies = append(bodies, ",\n"...)
		}
		first = false
		bodies = append(bodies, b...)
	}
	for i := 0; i < n; i++ {
		var j int
		last := &g.lastE
		if sub {
			j, last = g.jU, &g.lastU
			g.jU++
		} else {
			j = g.jE
			g.jE++
		}
		r := newRNG(w.seed, streamDelta, uint64(*last)^uint64(j)<<40)
		*last += 1 + int64(r.intn(4)) // oppdateringsid has holes
		it := feedItem{id: *last, at: 4*3_600_000 + i*37}
		// the existing record this change is about
		idx := g.baseE + int(g.permE.at(uint64(j)))
		if sub {
			idx = g.baseU + int(g.permU.at(uint64(j)))
		}
		full := func(ed *orgEdit) []byte {
			if sub {
				return w.appendUnderenhetEdit(nil, idx, ed)
			}
			return w.appendEnhetEdit(nil, idx, ed)
		}
		switch u := r.intn(100); {
		case u < 10: // Ny: a new entity with a number the bulk never uses
			o := w.orgnrOf(w.e + w.u + 2*j + b2i(sub))
			ed := newEdit()
			ed.orgnr, ed.reg = &o, today-day(r.intn(3))
			if sub {
				idx = w.u + j // a template beyond the bulk's records
			} else {
				idx = w.e + j
			}
			it.orgnr, it.typ = o, "Ny"
			addBody(full(&ed))
		case u < 12:
			it.orgnr, it.typ = g.orgnr(sub, idx), "Fjernet" // no body: Brreg answers 410
		case u < 24:
			it.orgnr, it.typ = g.orgnr(sub, idx), "Sletting"
			addBody(slettet(full(nil), sub, today))
		case u < 25:
			it.orgnr, it.typ = g.orgnr(sub, idx), "Ukjent"
		default:
			ed := newEdit()
			switch r.intn(3) {
			case 0:
				ed.houseNo = 1 + r.intn(200)
			case 1:
				ed.ansatte = 5 + r.intn(200)
			default:
				ed.name = fmt.Sprintf("%s %d", [...]string{"NYTT", "NORD", "SØR", "VEST"}[r.intn(4)], 1+r.intn(99))
				ed.name = ed.name + " " + [...]string{"AS", "DRIFT AS", "SERVICE AS"}[r.intn(3)]
			}
			it.orgnr, it.typ = g.orgnr(sub, idx), "Endring"
			addBody(full(&ed))
		}
		items = append(items, it)
	}
	return items, append(bodies, "\n]\n"...)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (g *deltaGen) orgnr(sub bool, idx int) [9]byte {
	if sub {
		return g.w.underenhetOrgnr(idx)
	}
	return g.w.enhetOrgnr(idx)
}

// slettet turns a full body into Brreg's SlettetEnhet / SlettetUnderenhet.
func slettet(full []byte, sub bool, today day) []byte {
	var f struct {
		Orgnr string          `json:"organisasjonsnummer"`
		Navn  string          `json:"navn"`
		Form  json.RawMessage `json:"organisasjonsform"`
	}
	if err := json.Unmarshal(full, &f); err != nil {
		panic("BUG: generated body: " + err.Error())
	}
	dst := append([]byte(`{"organisasjonsnummer":"`), f.Orgnr...)
	dst = append(dst, `","navn":`...)
	dst = appendString(dst, f.Navn)
	dst = append(dst, `,"organisasjonsform":`...)
	dst = append(dst, f.Form...)
	dst = append(dst, `,"slettedato":`...)
	dst = appendDate(dst, today)
	path, class := "enheter", "SlettetEnhet"
	if sub {
		dst = append(dst, `,"nedleggelsesdato":`...)
		dst = appendDate(dst, today-5)
		path, class = "underenheter", "SlettetUnderenhet"
	}
	dst = append(dst, `,"_links":{"self":{"href":"https://data.brreg.no/enhetsregisteret/api/`...)
	dst = append(dst, path...)
	dst = append(dst, '/')
	dst = append(dst, f.Orgnr...)
	dst = append(dst, `"}},"respons_klasse":"`...)
	dst = append(dst, class...)
	return append(dst, `"}`...)
}

func appendMillis(dst []byte, t day, ms int) []byte {
	dst = appendInstant(dst, t, ms/1000)
	dst = dst[:len(dst)-2] // Z"
	dst = append(dst, '.')
	dst = append(dst, byte('0'+ms/100%10), byte('0'+ms/10%10), byte('0'+ms%10))
	return append(dst, 'Z', '"')
}

// writeBrregPages writes the items as the HAL pages of one query from
// oppdateringsid = from+1: what a client that stored position from fetches.
func (g *deltaGen) writeBrregPages(f *deltaFiles, kind string, items []feedItem, today day, from int64) error {
	base := "https://data.brreg.no/enhetsregisteret/api/oppdateringer/" + kind + "?oppdateringsid=" + strconv.FormatInt(from+1, 10)
	pages := max(1, (len(items)+brregPageSize-1)/brregPageSize)
	embedded, link := "oppdaterteEnheter", "enhet"
	if kind == "underenheter" {
		embedded, link = "oppdaterteUnderenheter", "underenhet"
	}
	href := func(p int) string { return base + "&page=" + strconv.Itoa(p) + "&size=" + strconv.Itoa(brregPageSize) }
	for p := 0; p < pages; p++ {
		var dst []byte
		lo, hi := p*brregPageSize, min((p+1)*brregPageSize, len(items))
		dst = append(dst, '{')
		if hi > lo {
			dst = append(dst, "\"_embedded\":{\""...)
			dst = append(dst, embedded...)
			dst = append(dst, "\":[\n"...)
			for i := lo; i < hi; i++ {
				it := &items[i]
				if i > lo {
					dst = append(dst, ",\n"...)
				}
				dst = append(dst, `{"oppdateringsid":`...)
				dst = strconv.AppendInt(dst, it.id, 10)
				dst = append(dst, `,"dato":`...)
				dst = appendMillis(dst, today, it.at)
				dst = append(dst, `,"organisasjonsnummer":`...)
				dst = appendDigits(dst, it.orgnr[:])
				dst = append(dst, `,"endringstype":"`...)
				dst = append(dst, it.typ...)
				dst = append(dst, `","_links":{"`...)
				dst = append(dst, link...)
				dst = append(dst, `":{"href":"https://data.brreg.no/enhetsregisteret/api/`...)
				dst = append(dst, kind...)
				dst = append(dst, '/')
				dst = append(dst, it.orgnr[:]...)
				dst = append(dst, `"}}}`...)
			}
			dst = append(dst, "\n]},"...)
		}
		dst = append(dst, `"_links":{"first":{"href":`...)
		dst = appendString(dst, href(0))
		dst = append(dst, `},"self":{"href":`...)
		dst = appendString(dst, href(p))
		dst = append(dst, '}')
		if p+1 < pages {
			dst = append(dst, `,"next":{"href":`...)
			dst = appendString(dst, href(p+1))
			dst = append(dst, '}')
		}
		dst = append(dst, `,"last":{"href":`...)
		dst = appendString(dst, href(pages-1))
		dst = append(dst, `}},"page":{"size":`...)
		dst = strconv.AppendInt(dst, brregPageSize, 10)
		dst = append(dst, `,"totalElements":`...)
		dst = strconv.AppendInt(dst, int64(len(items)), 10)
		dst = append(dst, `,"totalPages":`...)
		dst = strconv.AppendInt(dst, int64(pages), 10)
		dst = append(dst, `,"number":`...)
		dst = strconv.AppendInt(dst, int64(p), 10)
		dst = append(dst, "}}\n"...)
		if err := f.write(fmt.Sprintf("oppdateringer/%s/page-%06d.json", kind, p), dst); err != nil {
			return err
		}
	}
	return nil
}

// Freg event types the generator writes, by share of the person changes.
var fregChangeMix = []struct {
	typ   string
	share int
}{
	{"endringIIdentifikasjonsnummer", 8}, // D-number → fødselsnummer
	{"personErOpprettet", 10},            // a newborn
	{"endringIBostedsadresse", 32},       // moved
	{"endringINavn", 20},
	{"endringISivilstand", 10},
	{"personErDoed", 5},
	{"personErUtflyttet", 5},
	{"endringIAdressebeskyttelse", 4}, // becomes fortrolig
	{"endringIStatsborgerskap", 6},
}

func pickFregChange(u int) string {
	for _, c := range fregChangeMix {
		if u < c.share {
			return c.typ
		}
		u -= c.share
	}
	return "endringIBostedsadresse"
}

// fregChanges draws n person changes: the feed pages and the JSON lines of
// the person documents they refer to.
func (g *deltaGen) fregChanges(n int, today day) (pages [][]byte, docs []byte, err error) {
	w := g.w
	var page []byte
	inPage, born := 0, 0
	var p person
	for i := 0; i < n; i++ {
		g.seq++
		r := newRNG(w.seed, streamDelta, uint64(g.seq))
		typ := pickFregChange(r.intn(100))
		if typ == "personErOpprettet" && born >= maxNewbornsPerDelta {
			typ = "endringINavn"
		}
		var eventNIN [11]byte
		switch typ {
		case "endringIIdentifikasjonsnummer":
			if !g.dnrToFnr(&p, today) {
				typ = "endringINavn"
				g.nextFnrPerson(&p)
				g.rename(&p, &r)
			}
		case "personErOpprettet":
			g.newborn(&p, born, today, &r)
			born++
		default:
			g.nextFnrPerson(&p)
			typ = g.change(&p, typ, today, &r)
		}
		eventNIN = p.nin
		doc := docID(w.seed, g.seq, 0)
		// the event
		if inPage == 0 {
			page = append(page[:0], "[\n"...)
		} else {
			page = append(page, ",\n"...)
		}
		page = append(page, `{"sekvensnummer":`...)
		page = strconv.AppendInt(page, g.seq, 10)
		page = append(page, `,"hendelse":{"folkeregisteridentifikator":`...)
		page = appendDigits(page, eventNIN[:])
		page = append(page, `,"hendelsetype":"`...)
		page = append(page, typ...)
		page = append(page, `","hendelsesdokument":"`...)
		page = append(page, docID(w.seed, g.seq, 1)...)
		page = append(page, `","persondokument":"`...)
		page = append(page, doc...)
		page = append(page, `","ajourholdstidspunkt":`...)
		page = appendMillis(page, today, 6*3_600_000+i*53)
		page = append(page, "}}"...)
		inPage++
		if inPage == fregPageSize || i == n-1 {
			pages = append(pages, append(append([]byte(nil), page...), "\n]\n"...))
			inPage = 0
		}
		// the person document, as bulkoppslag wraps it, rewrapped with its id
		one := w.appendFregPerson(nil, &p)
		at := bytes.Index(one, []byte(`"folkeregisterperson":`))
		docs = append(docs, `{"dokumentidentifikator":"`...)
		docs = append(docs, doc...)
		docs = append(docs, `",`...)
		docs = append(docs, one[at:]...)
		docs = append(docs, '\n')
	}
	if n == 0 {
		pages = append(pages, []byte("[]\n"))
	}
	return pages, docs, nil
}

// docID is a 32-hex-digit document id, as Freg's.
func docID(seed uint64, seq int64, kind uint64) string {
	a := hash3(seed, streamDeltaDoc, uint64(seq)<<1|kind)
	b := mix64(a ^ 0x5bd1e995)
	return fmt.Sprintf("%016x%016x", a, b)
}

// nextFnrPerson derives the next not-yet-changed fødselsnummer person.
func (g *deltaGen) nextFnrPerson(p *person) {
	o := int(g.permP.at(uint64(g.jP)))
	g.jP++
	g.w.derivePerson(o, p)
}

func (g *deltaGen) rename(p *person, r *rng) {
	for {
		f := familyNames[r.intn(len(familyNames))]
		if f != p.family {
			p.family = f
			return
		}
	}
}

// change applies a change of type typ to p; it returns the type actually
// applied (a change that does not fit the person becomes a name change).
func (g *deltaGen) change(p *person, typ string, today day, r *rng) string {
	resident := p.status == stBosatt
	switch {
	case typ == "endringIBostedsadresse" && p.hasHome() && resident && p.grad != gradStrengt:
		p.street = r.intn(len(streetNames))
		p.houseNo = 1 + r.intn(120)
		p.letter, p.unit, p.matrikkel = 0, 0, false
		p.moved = today - day(r.intn(deltaDays))
		return typ
	case typ == "endringISivilstand" && resident && p.age >= 18 && p.spouse < 0:
		switch p.sivil {
		case sivUgift, sivUoppgitt, sivSkilt, sivEnke:
			p.sivil = sivGift
		default:
			p.sivil = sivSkilt
		}
		p.sivilFrom = today - day(r.intn(deltaDays))
		return typ
	case typ == "personErDoed" && p.status != stDoed:
		p.status, p.death = stDoed, today-day(1+r.intn(deltaDays))
		p.since = p.death
		return typ
	case typ == "personErUtflyttet" && resident && p.age >= 18:
		p.status, p.emigrated = stUtflyttet, today-day(r.intn(deltaDays))
		p.emigCountry = r.intn(len(foreignNames))
		p.since = p.emigrated
		return typ
	case typ == "endringIAdressebeskyttelse" && p.grad == gradUgradert && p.hasHome():
		p.grad = gradFortrolig
		return typ
	case typ == "endringIStatsborgerskap" && !p.norwegian && p.age >= 18:
		p.norwegian = true
		return typ
	}
	g.rename(p, r)
	return "endringINavn"
}

// dnrToFnr gives the next suitable D-number person a fødselsnummer: the
// D-number stays in identifikasjonsnummer with status opphoert. The new
// number takes a slot of the birth date that no bulk person uses.
func (g *deltaGen) dnrToFnr(p *person, today day) bool {
	w := g.w
	for tries := 0; tries < 64 && g.jD < w.nd; tries++ {
		o := w.nf + int(g.permD.at(uint64(g.jD)))
		g.jD++
		w.derivePerson(o, p)
		switch p.status {
		case stInaktiv, stIkkeBosatt, stUtflyttet: // not on a GP list
		default:
			continue
		}
		y := p.birth.year()
		kmax := -1
		if fc := w.fnrCohort(y); fc != nil {
			kmax = (fc.n - 1) / fc.days
		}
		k := p.q / p.coh.days
		slot, base := maxSlotsPerDay-1-k, 0
		if y >= 2000 {
			slot, base = 2*maxSlotsPerDay-1-k, maxSlotsPerDay
		}
		if slot-base <= kmax {
			continue
		}
		p.oldD, p.hasOldD = p.nin, true
		p.nin = makeNIN(p.birth, false, slot)
		p.immigrated = p.fnrFrom // the D-number's time: the old element's metadata
		p.dnr = false
		p.fnrFrom = today - day(1)
		p.status, p.since = stBosatt, p.fnrFrom
		p.moved = p.fnrFrom
		p.postbox = 0
		return true
	}
	return false
}

// newborn makes the b-th child born in this delta: a new fødselsnummer
// (born after the bulk's reference date, so no bulk person has it) and a
// template parent for the address and family name.
func (g *deltaGen) newborn(p *person, b int, today day, r *rng) {
	w := g.w
	mother := int(hash3(w.seed, streamDeltaPerson, uint64(g.seq)) % uint64(w.nf))
	w.derivePerson(mother, p)
	birth := today - day(deltaDays) + day(b/maxSlotsPerDay)
	p.birth = birth
	p.nin = makeNIN(birth, false, maxSlotsPerDay+b%maxSlotsPerDay)
	p.male = (p.nin[8]-'0')%2 == 1
	p.age, p.dnr, p.hpr = 0, false, false
	names := givenFemale
	if p.male {
		names = givenMale
	}
	p.given, p.middle = names[r.intn(len(names))], ""
	p.status, p.since, p.fnrFrom, p.moved = stBosatt, birth, birth, birth
	p.country, p.norwegian, p.immigrated, p.hasOldD = -1, true, noDay, false
	p.sivil, p.sivilFrom, p.spouse, p.child = sivUgift, noDay, -1, -1
	p.parent = mother
	p.death, p.emigrated, p.postbox = noDay, noDay, 0
	p.o = w.n + int(g.seq%1_000_000) // only seeds hash-drawn details
}
