package synth

// Fastlegeregisteret: the contracts and GP offices are a small in-memory
// table; the patient list is streamed over persons, each resident assigned to
// one contract of their municipality (or any contract when the municipality
// has none).

type gpDoctor struct {
	slot     int // HPR index
	rel      coded
	subFor   int // index in doctors of the doctor substituted, -1
	from, to day
	pct      int
}

type contract struct {
	muni        int
	office      int
	from        day
	maxPatients int
	open        bool
	doctors     []gpDoctor
}

type office struct {
	muni      int
	contracts []int
	block     int // AR block
}

// Contract kinds: they exercise the three branches of the GPHerId rule (a
// fastlege; no fastlege and exactly one vikar; otherwise null).
const (
	kindOneLF = iota
	kindLFAndLV
	kindPrevLF
	kindOneLV
	kindNone
	kindTwoLV
)

func (w *world) contractID(c int) int { return 300_001 + c }

func (w *world) buildContracts() {
	weights := make([]int, len(municipalities))
	for i, m := range municipalities {
		weights[i] = m.pop
	}
	// Largest municipalities first: spread gives the remainder to the first.
	perMuni := spreadLargest(w.p.GPContracts, weights)
	w.muniContr = make([][]int, len(municipalities))
	r := newRNG(w.seed, streamFLR, 0)
	eligible := float64(w.nf)*0.94 + float64(w.nd)*0.10
	fast := dayOf(2001, 6, 1)
	for m, k := range perMuni {
		if k == 0 {
			continue
		}
		perContract := eligible * float64(municipalities[m].pop) / float64(w.muniTotal) / float64(k)
		left := k
		for left > 0 {
			size := min(left, r.between(1, 5))
			left -= size
			of := office{muni: m}
			for j := 0; j < size; j++ {
				c := len(w.contracts)
				from := fast
				if !r.chance(0.4) {
					from = randomDay(&r, fast, dayOf(2022, 12, 31))
				}
				mp := int(perContract*(0.85+0.45*r.float())/50+0.5) * 50
				w.contracts = append(w.contracts, contract{muni: m, office: len(w.offices), from: from,
					maxPatients: max(mp, 200), open: r.chance(0.45)})
				of.contracts = append(of.contracts, c)
				w.muniContr[m] = append(w.muniContr[m], c)
			}
			w.offices = append(w.offices, of)
		}
	}
	forced := [...]int{kindOneLV, kindNone, kindTwoLV, kindLFAndLV, kindPrevLF, kindOneLV}
	for c := range w.contracts {
		ct := &w.contracts[c]
		kind := kindOneLF
		if c < len(forced) {
			kind = forced[c]
		} else {
			switch u := r.float(); {
			case u < 0.80:
			case u < 0.88:
				kind = kindLFAndLV
			case u < 0.93:
				kind = kindPrevLF
			case u < 0.96:
				kind = kindOneLV
			case u < 0.98:
				kind = kindNone
			default:
				kind = kindTwoLV
			}
		}
		doc := func(rel coded, sub int, from, to day, pct int) {
			ct.doctors = append(ct.doctors, gpDoctor{slot: w.gpSlots, rel: rel, subFor: sub, from: from, to: to, pct: pct})
			w.gpSlots++
		}
		switch_ := randomDay(&r, max(ct.from+365, refDay-2*365), refDay-60)
		switch kind {
		case kindOneLF:
			doc(relLF, -1, ct.from, noDay, 100)
		case kindLFAndLV:
			doc(relLF, -1, ct.from, noDay, 100)
			doc(relLV, 0, randomDay(&r, refDay-400, refDay-30), refDay+day(r.between(30, 300)), 100)
		case kindPrevLF:
			doc(relLF, -1, ct.from, switch_-1, 100)
			doc(relLF, -1, switch_, noDay, 100)
		case kindOneLV:
			doc(relLF, -1, ct.from, switch_-1, 100)
			doc(relLV, -1, switch_, noDay, [...]int{100, 80, 60}[r.intn(3)])
		case kindNone:
			if r.chance(0.5) {
				doc(relLF, -1, ct.from, refDay-day(r.between(10, 200)), 100)
			}
		case kindTwoLV:
			doc(relLF, -1, ct.from, switch_-1, 100)
			doc(relLV, -1, switch_, noDay, 50)
			doc(relLV, -1, switch_+day(r.intn(30)), noDay, 50)
		}
	}
}

// spreadLargest distributes total over weights by largest remainder.
func spreadLargest(total int, weights []int) []int {
	sum := 0
	for _, w := range weights {
		sum += w
	}
	out := make([]int, len(weights))
	rem := make([]int64, len(weights))
	got := 0
	for i, w := range weights {
		v := int64(total) * int64(w)
		out[i] = int(v / int64(sum))
		rem[i] = v % int64(sum)
		got += out[i]
	}
	for ; got < total; got++ {
		best := 0
		for i := range rem {
			if rem[i] > rem[best] {
				best = i
			}
		}
		out[best]++
		rem[best] = -1
	}
	return out
}

func (w *world) appendContract(dst []byte, c int) []byte {
	ct := &w.contracts[c]
	of := &w.offices[ct.office]
	b := &w.ar[of.block]
	orgnr := w.enhetOrgnr(b.enhet)
	dst = append(dst, `{"id":`...)
	dst = appendInt(dst, w.contractID(c))
	dst = append(dst, `,"gpOfficeOrganizationNumber":`...)
	dst = appendDigits(dst, orgnr[:])
	dst = append(dst, `,"gpOfficeHerId":`...)
	dst = appendInt(dst, w.herID(b.first))
	dst = append(dst, `,"municipality":`...)
	dst = appendMunicipality(dst, ct.muni)
	dst = append(dst, `,"maxPatients":`...)
	dst = appendInt(dst, ct.maxPatients)
	dst = append(dst, `,"status":`...)
	if ct.open {
		dst = appendCoded(dst, statusOpen)
	} else {
		dst = appendCoded(dst, statusLukk)
	}
	dst = append(dst, `,"valid":`...)
	dst = appendPeriod(dst, ct.from, noDay)
	dst = append(dst, `,"doctors":[`...)
	for i, d := range ct.doctors {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"hprNumber":`...)
		dst = appendInt(dst, w.hprNumberOf(d.slot))
		dst = append(dst, `,"relationship":`...)
		dst = appendCoded(dst, d.rel)
		dst = append(dst, `,"substituteForHprNumber":`...)
		if d.subFor >= 0 {
			dst = appendInt(dst, w.hprNumberOf(ct.doctors[d.subFor].slot))
		} else {
			dst = append(dst, "null"...)
		}
		dst = append(dst, `,"valid":`...)
		dst = appendPeriod(dst, d.from, d.to)
		dst = append(dst, `,"workingPercentage":`...)
		dst = appendInt(dst, d.pct)
		dst = append(dst, '}')
	}
	return append(dst, "]}"...)
}

// patientContract returns the contract of a person on a GP list.
func (w *world) patientContract(muni int, r *rng) int {
	if cs := w.muniContr[muni]; len(cs) > 0 {
		return cs[r.intn(len(cs))]
	}
	return r.intn(len(w.contracts))
}

func appendPatient(dst []byte, nin *[11]byte, contractID int, from, to day) []byte {
	dst = append(dst, `{"patientNin":`...)
	dst = appendDigits(dst, nin[:])
	dst = append(dst, `,"gpContractId":`...)
	dst = appendInt(dst, contractID)
	dst = append(dst, `,"period":`...)
	dst = appendPeriod(dst, from, to)
	return append(dst, "}\n"...)
}

// appendPatients appends the list entries of person p (none, one, or a closed
// earlier period and the current one) and returns how many.
func (w *world) appendPatients(dst []byte, p *person) ([]byte, int) {
	if !onGPList(p.dnr, p.status) {
		return dst, 0
	}
	r := newRNG(w.seed, streamPatient, uint64(p.o))
	c := w.patientContract(p.muni, &r)
	ct := &w.contracts[c]
	start := max(ct.from, p.birth, p.fnrFrom)
	from := randomDay(&r, start, max(start, refDay-1))
	n := 0
	if r.chance(0.015) && from-start > 400 {
		c2 := w.patientContract(p.muni, &r)
		if c2 == c {
			c2 = (c + 1) % len(w.contracts)
		}
		s2 := max(w.contracts[c2].from, start)
		if s2 < from-30 {
			dst = appendPatient(dst, &p.nin, w.contractID(c2), randomDay(&r, s2, from-30), from)
			n++
		}
	}
	dst = appendPatient(dst, &p.nin, w.contractID(c), from, noDay)
	return dst, n + 1
}
