package synth

import (
	"fmt"
	"sort"
)

// world holds everything shared by the register generators: the sizes, the
// index arithmetic that maps a record number to its identity, and the small
// tables (RESH tree, GP contracts and offices, AR blocks) that are kept in
// memory. Persons, enheter and HPR persons are never materialised: they are
// recomputed from their index whenever a cross-reference needs them.
type world struct {
	seed uint64
	p    Preset

	// Persons: ordinals [0, nf) have a fødselsnummer, [nf, n) a D-number.
	// Within each, persons are grouped into birth-year cohorts; the q-th
	// person of a cohort is born on day q mod daysInYear, and q / daysInYear
	// picks the individnummer slot (see nin.go).
	nf, nd, n int
	fnr, dnr  []cohort
	order     perm // Freg file position → ordinal
	// Address-protection strides (see protection).
	pSF, pF, pK int
	muniTotal   int

	// HPR: indices [0, gpSlots) are the GP doctors of the contracts table;
	// from there on every 50th is a person without a Norwegian number; the
	// rest are "designated" Freg persons (the lowest q of each working-age
	// fnr cohort), matched through a permutation.
	h, gpSlots, hprDesignated int
	hprDesig, hprNumber       perm

	// Brreg: enheter [0, fixed) are RHF, HF, STAT and KOMM; after that every
	// 20th enhet is a health enhet (86.xxx). Underenheter [0, nInst) are the
	// RESH institutions, then two per fixed public body, then random.
	e, u       int
	fixed      int
	nHealth    int
	nFixedSubs int
	orgnr      perm

	resh       []reshUnit
	inst       []int // RESH unit index of each institution, by underenhet index
	contracts  []contract
	slotDoctor [][2]int32 // GP slot → (contract, doctor)
	offices    []office
	muniContr  [][]int
	ar         []arBlock
	arTotal    int
	arOthers   int
}

// cohort is one birth year of persons.
type cohort struct {
	year     int
	jan1     day
	days     int
	n        int // persons
	start    int // first ordinal
	hpr      int // HPR-designated persons: q < hpr
	hprStart int // first designated index
}

const (
	firstFnrYear = 1921
	lastFnrYear  = 2025
	firstDnrYear = 1946
	lastDnrYear  = 2006
	// fixed enheter
	nRHF      = 4
	nHF       = 20
	nStat     = 10
	firstHF   = nRHF
	firstStat = nRHF + nHF
	firstKomm = firstStat + nStat
	// every healthStride-th generic enhet is a health enhet
	healthStride = 20
	healthOffset = 7
)

func fnrWeight(age int) int {
	switch {
	case age < 10:
		return 85
	case age < 60:
		return 100
	case age < 70:
		return 92
	case age < 80:
		return 75
	case age < 90:
		return 40
	case age < 100:
		return 10
	}
	return 1
}

func dnrWeight(age int) int {
	switch {
	case age < 25:
		return 60
	case age < 35:
		return 100
	case age < 45:
		return 90
	case age < 55:
		return 60
	case age < 65:
		return 35
	}
	return 12
}

// spread distributes total over weights: floor shares, then one more to the
// first entries until the sum is exact.
func spread(total int, weights []int) []int {
	sum := 0
	for _, w := range weights {
		sum += w
	}
	out := make([]int, len(weights))
	got := 0
	for i, w := range weights {
		out[i] = int(int64(total) * int64(w) / int64(sum))
		got += out[i]
	}
	for i := 0; got < total; i = (i + 1) % len(out) {
		if weights[i] > 0 {
			out[i]++
			got++
		}
	}
	return out
}

func makeCohorts(total, first, last int, weight func(age int) int, start int) []cohort {
	ws := make([]int, 0, last-first+1)
	for y := first; y <= last; y++ {
		ws = append(ws, weight(refDay.year()-1-y))
	}
	ns := spread(total, ws)
	cs := make([]cohort, len(ns))
	for i, n := range ns {
		y := first + i
		cs[i] = cohort{year: y, jan1: dayOf(y, 1, 1), days: daysInYear(y), n: n, start: start}
		start += n
		if n > maxSlotsPerDay*cs[i].days {
			panic(fmt.Sprintf("BUG: cohort %d has %d persons, more than the number space allows", y, n))
		}
	}
	return cs
}

func newWorld(p Preset, seed uint64) (*world, error) {
	if p.Fnr < 1000 || p.Dnr < 100 || p.Enheter < 500 || p.Underenheter < 200 || p.HPR < 200 || p.GPContracts < 6 {
		return nil, fmt.Errorf("preset %s is too small", p.Name)
	}
	w := &world{seed: seed, p: p, nf: p.Fnr, nd: p.Dnr, n: p.Fnr + p.Dnr, h: p.HPR, e: p.Enheter, u: p.Underenheter}
	w.fnr = makeCohorts(w.nf, firstFnrYear, lastFnrYear, fnrWeight, 0)
	w.dnr = makeCohorts(w.nd, firstDnrYear, lastDnrYear, dnrWeight, w.nf)
	w.order = newPerm(uint64(w.n), seed, streamPersonPerm)
	w.pSF = min(5000, w.n/8)
	w.pF = min(1000, w.n/10)
	w.pK = min(2000, w.n/8)
	for _, m := range municipalities {
		w.muniTotal += m.pop
	}

	w.fixed = firstKomm + len(municipalities)
	w.nHealth = (w.e - w.fixed - healthOffset + healthStride - 1) / healthStride
	w.orgnr = newPerm(orgnrSpace, seed, streamOrgnrPerm)

	w.buildResh()
	w.nFixedSubs = 2 * (w.fixed - firstStat)
	if len(w.inst)+w.nFixedSubs >= w.u {
		return nil, fmt.Errorf("preset %s: too few underenheter for the RESH institutions", p.Name)
	}

	w.buildContracts()
	if len(w.offices) >= w.nHealth {
		return nil, fmt.Errorf("preset %s: too few enheter for the GP offices", p.Name)
	}

	// HPR persons: designated Freg persons in the 1952–2000 cohorts.
	w.hprDesignated = w.gpSlots + (w.h - w.gpSlots) - (w.h-w.gpSlots)/50
	if w.gpSlots > w.h {
		return nil, fmt.Errorf("preset %s: %d GP doctors need more than %d HPR persons", p.Name, w.gpSlots, w.h)
	}
	var ws []int
	var idx []int
	for i, c := range w.fnr {
		if c.year >= 1952 && c.year <= 2000 {
			ws = append(ws, c.n)
			idx = append(idx, i)
		}
	}
	hs := spread(w.hprDesignated, ws)
	start := 0
	for j, i := range idx {
		if hs[j] > w.fnr[i].n/2 {
			return nil, fmt.Errorf("preset %s: too many HPR persons for the population", p.Name)
		}
		w.fnr[i].hpr = hs[j]
		w.fnr[i].hprStart = start
		start += hs[j]
	}
	w.hprDesig = newPerm(uint64(w.hprDesignated), seed, streamHPRPerm)
	w.hprNumber = newPerm(uint64(w.h), seed, streamHPRNumber)
	w.dateContracts()

	w.buildAR()
	return w, nil
}

// cohortOf returns the cohort and the index q of ordinal o.
func (w *world) cohortOf(o int) (*cohort, int, bool) {
	cs, dnr := w.fnr, false
	if o >= w.nf {
		cs, dnr = w.dnr, true
	}
	i := sort.Search(len(cs), func(i int) bool { return cs[i].start+cs[i].n > o })
	return &cs[i], o - cs[i].start, dnr
}

// designatedOrdinal returns the Freg ordinal of the d-th designated HPR person.
func (w *world) designatedOrdinal(d int) int {
	x := int(w.hprDesig.at(uint64(d)))
	i := sort.Search(len(w.fnr), func(i int) bool { return w.fnr[i].hprStart+w.fnr[i].hpr > x })
	c := &w.fnr[i]
	return c.start + x - c.hprStart
}

// hprSlot maps HPR index i to its designated index, or -1 when the person
// has no Norwegian number.
func (w *world) hprSlot(i int) int {
	if i < w.gpSlots {
		return i
	}
	k := i - w.gpSlots
	if k%50 == 49 {
		return -1
	}
	return w.gpSlots + k - k/50
}

// hprNumberOf returns the HPR-number of HPR index i.
func (w *world) hprNumberOf(i int) int { return 1_000_001 + int(w.hprNumber.at(uint64(i))) }

// Address protection is a stride over ordinals, so that every preset, even
// the smallest, has a handful of each grading.
const (
	gradUgradert uint8 = iota
	gradKlient
	gradFortrolig
	gradStrengt
)

var gradNames = [...]string{"ugradert", "klientadresse", "fortrolig", "strengtFortrolig"}

func (w *world) protection(o int) uint8 {
	switch {
	case o%w.pSF == w.pSF/3:
		return gradStrengt
	case o%w.pF == w.pF/7:
		return gradFortrolig
	case o%w.pK == w.pK/5:
		return gradKlient
	}
	return gradUgradert
}

// enhetOfHealth returns the enhet index of the h-th health enhet.
func (w *world) enhetOfHealth(h int) int { return w.fixed + healthStride*h + healthOffset }

// healthOfEnhet returns the health index of enhet e, or -1.
func (w *world) healthOfEnhet(e int) int {
	if e < w.fixed {
		return -1
	}
	k := e - w.fixed
	if k%healthStride != healthOffset {
		return -1
	}
	return k / healthStride
}

func (w *world) pickMuni(r *rng) int {
	return pickWeighted(r, municipalities, func(m *municipality) int { return m.pop }, w.muniTotal)
}
