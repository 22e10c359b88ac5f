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
	kind        int
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
		ct.kind = kindOneLF
		if c < len(forced) {
			ct.kind = forced[c]
		} else {
			switch u := r.float(); {
			case u < 0.80:
			case u < 0.88:
				ct.kind = kindLFAndLV
			case u < 0.93:
				ct.kind = kindPrevLF
			case u < 0.96:
				ct.kind = kindOneLV
			case u < 0.98:
				ct.kind = kindNone
			default:
				ct.kind = kindTwoLV
			}
		}
		doc := func(rel coded, sub int) {
			ct.doctors = append(ct.doctors, gpDoctor{slot: w.gpSlots, rel: rel, subFor: sub, pct: 100})
			w.slotDoctor = append(w.slotDoctor, [2]int32{int32(c), int32(len(ct.doctors) - 1)})
			w.gpSlots++
		}
		switch ct.kind {
		case kindOneLF:
			doc(relLF, -1)
		case kindLFAndLV:
			doc(relLF, -1)
			doc(relLV, 0)
		case kindPrevLF:
			doc(relLF, -1)
			doc(relLF, -1)
		case kindOneLV:
			doc(relLF, -1)
			doc(relLV, -1)
		case kindNone:
			if r.chance(0.5) {
				doc(relLF, -1)
			}
		case kindTwoLV:
			doc(relLF, -1)
			doc(relLV, -1)
			doc(relLV, -1)
		}
	}
}

// gpEarliest returns the first day the doctor in GP slot s could start on a
// list: at 29, but never later than latestStart (young doctors then start
// early; the HPR authorisation is dated before it in any case).
func (w *world) gpEarliest(s int) day {
	o := w.designatedOrdinal(s)
	c, q, _ := w.cohortOf(o)
	return min(addYears(birthOf(c, q), 29), latestStart)
}

const latestStartDays = 500

var latestStart = refDay - latestStartDays

// dateContracts dates the contracts and their doctors; it runs once the HPR
// tables exist, because a doctor cannot start before being old enough.
func (w *world) dateContracts() {
	r := newRNG(w.seed, streamFLR, 1)
	for c := range w.contracts {
		ct := &w.contracts[c]
		ds := ct.doctors
		if len(ds) > 0 {
			ct.from = min(max(ct.from, w.gpEarliest(ds[0].slot)), latestStart)
		}
		later := func(i int) day { // earliest start of doctor i after the first
			return max(ct.from+365, refDay-2*365, w.gpEarliest(ds[i].slot))
		}
		switch ct.kind {
		case kindOneLF:
			ds[0].from, ds[0].to = ct.from, noDay
		case kindLFAndLV:
			ds[0].from, ds[0].to = ct.from, noDay
			ds[1].from = randomDay(&r, max(w.gpEarliest(ds[1].slot), refDay-400), refDay-30)
			ds[1].to = refDay + day(r.between(30, 300))
		case kindPrevLF, kindOneLV:
			sw := randomDay(&r, later(1), refDay-60)
			ds[0].from, ds[0].to = ct.from, sw-1
			ds[1].from, ds[1].to = sw, noDay
			if ct.kind == kindOneLV {
				ds[1].pct = [...]int{100, 80, 60}[r.intn(3)]
			}
		case kindNone:
			if len(ds) > 0 {
				ds[0].from, ds[0].to = ct.from, refDay-day(r.between(10, 200))
			}
		case kindTwoLV:
			sw := randomDay(&r, max(later(1), later(2)), refDay-60)
			ds[0].from, ds[0].to = ct.from, sw-1
			ds[1].from, ds[1].to, ds[1].pct = sw, noDay, 50
			ds[2].from, ds[2].to, ds[2].pct = sw+day(r.intn(30)), noDay, 50
		}
	}
}

// gpFirstDay returns the first day the doctor in GP slot s is on a contract.
func (w *world) gpFirstDay(s int) day {
	cd := w.slotDoctor[s]
	return w.contracts[cd[0]].doctors[cd[1]].from
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
