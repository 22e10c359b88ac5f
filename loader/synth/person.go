package synth

// Freg persons. derivePerson computes everything about ordinal o from
// (seed, o) and the world's cohort tables; appendFregPerson encodes it with
// Freg's field names (../shared/docs/data-formats.md §2.2).

// Person statuses (Freg status[].status).
const (
	stBosatt uint8 = iota
	stUtflyttet
	stDoed
	stInaktiv
	stIkkeBosatt
	stMidlertidig
	stAktiv
)

var statusNames = [...]string{"bosatt", "utflyttet", "doed", "inaktiv", "ikkeBosatt", "midlertidig", "aktiv"}

// Civil statuses (Freg sivilstand[].sivilstand).
const (
	sivUoppgitt uint8 = iota
	sivUgift
	sivGift
	sivSkilt
	sivSeparert
	sivEnke
	sivPartner
)

var sivilNames = [...]string{"uoppgitt", "ugift", "gift", "skilt", "separert", "enkeEllerEnkemann", "registrertPartner"}

type person struct {
	o      int
	dnr    bool
	coh    *cohort
	q      int
	birth  day
	nin    [11]byte
	male   bool
	age    int
	hpr    bool // designated HPR person
	status uint8
	since  day // status valid from
	grad   uint8
	muni   int

	given, middle, family string
	country               int // index in foreignNames, -1 for Norway
	norwegian             bool
	immigrated            day // noDay if born in Norway
	oldD                  [11]byte
	hasOldD               bool
	fnrFrom               day // when the current number was issued

	// address
	street, houseNo, unit, post int
	letter                      byte
	matrikkel                   bool
	gnr, bnr                    int
	moved                       day
	postbox                     int

	sivil     uint8
	sivilFrom day
	spouse    int // ordinal or -1
	parent    int // ordinal or -1 (this person is the child)
	child     int // ordinal or -1 (this person is the parent)

	death, emigrated day
	emigCountry      int
}

// hasHome reports whether the person has a Norwegian bostedsadresse.
func (p *person) hasHome() bool { return !p.dnr && (p.status == stBosatt || p.status == stDoed) }

// hasStay reports whether a D-number person has an oppholdsadresse.
func (p *person) hasStay() bool {
	return p.dnr && (p.status == stMidlertidig || p.status == stAktiv)
}

// onGPList reports whether the person is on a GP list: every resident, and
// every D-number person with status midlertidig.
func onGPList(dnr bool, status uint8) bool {
	return status == stBosatt || (dnr && status == stMidlertidig)
}

func ageAt(birth, t day) int {
	by, bm, bd := birth.civil()
	ty, tm, td := t.civil()
	a := ty - by
	if tm < bm || (tm == bm && td < bd) {
		a--
	}
	return a
}

func birthOf(c *cohort, q int) day { return c.jan1 + day(q%c.days) }

// statusFrom derives the status from the first random draw u of a person.
func statusFrom(dnr, designated bool, age int, u float64) uint8 {
	if dnr {
		switch {
		case u < 0.01:
			return stDoed
		case u < 0.51:
			return stInaktiv
		case u < 0.71:
			return stIkkeBosatt
		case u < 0.83:
			return stUtflyttet
		case u < 0.93:
			return stMidlertidig
		}
		return stAktiv
	}
	if designated {
		return stBosatt
	}
	pd := 0.002
	switch {
	case age >= 85:
		pd = 0.15
	case age >= 70:
		pd = 0.04
	case age >= 60:
		pd = 0.012
	}
	switch {
	case u < pd:
		return stDoed
	case u < pd+0.036 && age >= 20:
		return stUtflyttet
	}
	return stBosatt
}

// statusOf returns the status of ordinal o without deriving the whole person.
func (w *world) statusOf(o int) uint8 {
	c, q, dnr := w.cohortOf(o)
	r := newRNG(w.seed, streamPerson, uint64(o))
	return statusFrom(dnr, !dnr && q < c.hpr, ageAt(birthOf(c, q), refDay), r.float())
}

// spouseOf returns the ordinal of o's spouse, or -1. Spouses are the pairs
// (q, q^1) of one fnr cohort, both adult and resident, chosen by a hash of
// the pair, so either side finds the other.
func (w *world) spouseOf(c *cohort, q int, dnr bool, status uint8) int {
	if dnr || status != stBosatt || c.year > 2003 {
		return -1
	}
	q2 := q ^ 1
	if q2 >= c.n {
		return -1
	}
	if hash3(w.seed, streamSpouse, uint64(c.year)<<32|uint64(q>>1))%100 >= 35 {
		return -1
	}
	o2 := c.start + q2
	if w.statusOf(o2) != stBosatt {
		return -1
	}
	return o2
}

const parentGap = 28

func linkable(s uint8) bool { return s == stBosatt }

// childLink reports whether the q-th person of child cohort year yc is linked
// to the q-th person of cohort yc-parentGap.
func (w *world) childLink(yc, q int) bool {
	return hash3(w.seed, streamChild, uint64(yc)<<32|uint64(q))%100 < 12
}

func (w *world) fnrCohort(year int) *cohort {
	i := year - firstFnrYear
	if i < 0 || i >= len(w.fnr) {
		return nil
	}
	return &w.fnr[i]
}

// parentOf and childOf return the linked ordinal or -1.
func (w *world) parentOf(c *cohort, q int, dnr bool, status uint8) int {
	if dnr || c.year < 1996 || !linkable(status) || !w.childLink(c.year, q) {
		return -1
	}
	pc := w.fnrCohort(c.year - parentGap)
	if pc == nil || q >= pc.n || !linkable(w.statusOf(pc.start+q)) {
		return -1
	}
	return pc.start + q
}

func (w *world) childOf(c *cohort, q int, dnr bool, status uint8) int {
	if dnr || !linkable(status) {
		return -1
	}
	cc := w.fnrCohort(c.year + parentGap)
	if cc == nil || cc.year < 1996 || q >= cc.n || !w.childLink(cc.year, q) || !linkable(w.statusOf(cc.start+q)) {
		return -1
	}
	return cc.start + q
}

// ninOf returns the current person number of ordinal o.
func (w *world) ninOf(o int) [11]byte {
	c, q, dnr := w.cohortOf(o)
	return makeNIN(birthOf(c, q), dnr, slotOf(c, q, dnr))
}

func slotOf(c *cohort, q int, dnr bool) int {
	k := q / c.days
	if !dnr && c.year >= 2000 {
		return 400 + k
	}
	return k
}

func randomDay(r *rng, from, to day) day {
	if to <= from {
		return from
	}
	return from + day(r.intn(int(to-from)+1))
}

func addYears(t day, y int) day { return t + day(y*365+y/4) }

// derivePerson fills p with person o.
func (w *world) derivePerson(o int, p *person) {
	c, q, dnr := w.cohortOf(o)
	*p = person{o: o, dnr: dnr, coh: c, q: q, country: -1, immigrated: noDay, spouse: -1, parent: -1, child: -1,
		death: noDay, emigrated: noDay}
	p.birth = birthOf(c, q)
	p.nin = makeNIN(p.birth, dnr, slotOf(c, q, dnr))
	p.male = (p.nin[8]-'0')%2 == 1
	p.age = ageAt(p.birth, refDay)
	p.hpr = !dnr && q < c.hpr

	r := newRNG(w.seed, streamPerson, uint64(o))
	p.status = statusFrom(dnr, p.hpr, p.age, r.float()) // must stay the first draw (statusOf)
	p.grad = w.protection(o)
	p.muni = w.pickMuni(&r)

	// Origin and names.
	if dnr {
		p.country = r.intn(len(foreignNames))
	} else if p.age >= 1 && r.chance(0.14) {
		p.country = r.intn(len(foreignNames))
	}
	p.norwegian = !dnr && (p.country < 0 || r.chance(0.5))
	if p.country >= 0 && (dnr || r.chance(0.5)) {
		fs := &foreignNames[p.country]
		if p.male {
			p.given = fs.male[r.intn(len(fs.male))]
		} else {
			p.given = fs.female[r.intn(len(fs.female))]
		}
		p.family = fs.family[r.intn(len(fs.family))]
	} else {
		names := givenFemale
		if p.male {
			names = givenMale
		}
		p.given = names[r.intn(len(names))]
		if r.chance(0.10) {
			if second := names[r.intn(len(names))]; second != p.given {
				p.given += " " + second
			}
		}
		if r.chance(0.14) {
			p.middle = familyNames[r.intn(len(familyNames))]
		}
		p.family = familyNames[r.intn(len(familyNames))]
		if r.chance(0.04) {
			if second := familyNames[r.intn(len(familyNames))]; second != p.family {
				p.family += "-" + second
			}
		}
	}

	// Numbers and dates of the register history.
	p.fnrFrom = p.birth
	if p.country >= 0 && !dnr {
		p.immigrated = randomDay(&r, p.birth+365, refDay-365)
		p.fnrFrom = p.immigrated
		if p.age >= 2 && r.chance(0.3) {
			p.hasOldD = true
			p.oldD = makeNIN(p.birth, true, 400+q/c.days)
			p.fnrFrom = min(randomDay(&r, p.immigrated+180, min(refDay-30, p.immigrated+5*365)), refDay-1)
		}
	}
	if dnr {
		p.fnrFrom = randomDay(&r, max(addYears(p.birth, 18), dayOf(1990, 1, 1)), refDay-30)
	}
	p.since = p.fnrFrom
	switch p.status {
	case stDoed:
		p.death = randomDay(&r, max(p.fnrFrom+1, refDay-20*365), refDay-1)
		p.since = p.death
	case stUtflyttet:
		p.emigrated = randomDay(&r, max(p.fnrFrom+1, addYears(p.birth, 18), refDay-15*365), refDay-30)
		p.emigCountry = r.intn(len(foreignNames))
		p.since = p.emigrated
	}

	// Address.
	p.street = r.intn(len(streetNames))
	p.houseNo = 1 + min(r.intn(120), r.intn(120))
	if r.chance(0.15) {
		p.letter = 'A' + byte(r.intn(4))
	}
	if r.chance(0.25) {
		p.unit = 100*(1+r.intn(5)) + 1 + r.intn(4)
	}
	p.post = r.intn(len(municipalities[p.muni].posts))
	if r.chance(0.07) {
		p.matrikkel = true
		p.gnr, p.bnr = 1+r.intn(250), 1+r.intn(400)
	}
	p.moved = randomDay(&r, max(p.fnrFrom, dayOf(1985, 1, 1)), refDay-10)
	if p.status == stBosatt && r.chance(0.06) {
		p.postbox = 1 + r.intn(9999)
	}

	// Civil status and family.
	p.spouse = w.spouseOf(c, q, dnr, p.status)
	switch {
	case p.spouse >= 0:
		p.sivil = sivGift
		pr := newRNG(w.seed, streamSpouse, uint64(c.year)<<32|uint64(q>>1))
		p.sivilFrom = randomDay(&pr, addYears(c.jan1, 23), refDay-30) // the same for both spouses
	case dnr:
		p.sivil = [...]uint8{sivUoppgitt, sivUoppgitt, sivUoppgitt, sivUgift, sivGift}[r.intn(5)]
		if p.sivil == sivGift {
			p.sivilFrom = randomDay(&r, addYears(p.birth, 18), refDay-30)
		}
	case p.age < 18:
		p.sivil = sivUgift
	default:
		u := r.intn(100)
		var tab []uint8
		switch {
		case p.age < 30:
			tab = []uint8{sivUgift, 90, sivGift, 8, sivSkilt, 2}
		case p.age < 60:
			tab = []uint8{sivUgift, 40, sivGift, 30, sivSkilt, 22, sivSeparert, 5, sivPartner, 1, sivEnke, 2}
		default:
			tab = []uint8{sivUgift, 12, sivGift, 40, sivSkilt, 20, sivSeparert, 3, sivEnke, 25}
		}
		for i := 0; i < len(tab); i += 2 {
			u -= int(tab[i+1])
			if u < 0 {
				p.sivil = tab[i]
				break
			}
		}
		if p.sivil != sivUgift {
			p.sivilFrom = randomDay(&r, addYears(p.birth, 18), refDay-30)
		}
	}
	p.parent = w.parentOf(c, q, dnr, p.status)
	p.child = w.childOf(c, q, dnr, p.status)
}

// appendMeta opens an element and writes Freg's registry metadata.
func appendMeta(dst []byte, current bool, valid day, sec int) []byte {
	dst = append(dst, `{"ajourholdstidspunkt":`...)
	dst = appendInstant(dst, valid+day(sec%3), 28_800+sec%28_800)
	dst = append(dst, `,"erGjeldende":`...)
	dst = appendBool(dst, current)
	dst = append(dst, `,"kilde":"Synutopia","gyldighetstidspunkt":`...)
	return appendInstant(dst, valid, 0)
}

func (p *person) adressegradering(dst []byte, klientOK bool) []byte {
	g := p.grad
	if g == gradKlient && !klientOK {
		g = gradUgradert
	}
	dst = append(dst, `,"adressegradering":"`...)
	dst = append(dst, gradNames[g]...)
	return append(dst, '"')
}

func (p *person) appendVegadresse(dst []byte, w *world) []byte {
	m := &municipalities[p.muni]
	pp := m.posts[p.post]
	dst = append(dst, `{"adressekode":"`...)
	dst = appendInt(dst, 10000+int(hash3(w.seed, uint64(p.muni), uint64(p.street))%90000))
	dst = append(dst, `","adressenavn":`...)
	dst = appendString(dst, streetNames[p.street])
	dst = append(dst, `,"adressenummer":{"husnummer":"`...)
	dst = appendInt(dst, p.houseNo)
	dst = append(dst, '"')
	if p.letter != 0 {
		dst = append(dst, `,"husbokstav":"`...)
		dst = append(dst, p.letter, '"')
	}
	dst = append(dst, '}')
	if p.unit != 0 {
		dst = append(dst, `,"bruksenhetsnummer":"H0`...)
		dst = appendInt(dst, p.unit)
		dst = append(dst, `","bruksenhetstype":"bolig"`...)
	}
	dst = append(dst, `,"kommunenummer":"`...)
	dst = append(dst, m.code...)
	dst = append(dst, `","poststed":{"postnummer":"`...)
	dst = append(dst, pp.code...)
	dst = append(dst, `","poststedsnavn":`...)
	dst = appendString(dst, pp.place)
	return append(dst, "}}"...)
}

func (p *person) appendMatrikkeladresse(dst []byte) []byte {
	m := &municipalities[p.muni]
	pp := m.posts[p.post]
	dst = append(dst, `{"matrikkelnummer":{"kommunenummer":"`...)
	dst = append(dst, m.code...)
	dst = append(dst, `","gaardsnummer":`...)
	dst = appendInt(dst, p.gnr)
	dst = append(dst, `,"bruksnummer":`...)
	dst = appendInt(dst, p.bnr)
	dst = append(dst, `,"festenummer":0},"undernummer":0,"poststed":{"postnummer":"`...)
	dst = append(dst, pp.code...)
	dst = append(dst, `","poststedsnavn":`...)
	dst = appendString(dst, pp.place)
	return append(dst, "}}"...)
}

// appendFregPerson appends the bulkoppslag element of person p:
// {"foedselsEllerDNummer":…,"folkeregisterperson":{…}}.
func (w *world) appendFregPerson(dst []byte, p *person) []byte {
	sec := int(hash3(w.seed, streamPerson, uint64(p.o)^0xabcdef) % 86_400)
	dst = append(dst, `{"foedselsEllerDNummer":`...)
	dst = appendDigits(dst, p.nin[:])
	dst = append(dst, `,"folkeregisterperson":{"identifikasjonsnummer":[`...)
	dst = appendMeta(dst, true, p.fnrFrom, sec)
	dst = append(dst, `,"status":"iBruk","foedselsEllerDNummer":`...)
	dst = appendDigits(dst, p.nin[:])
	if p.dnr {
		dst = append(dst, `,"identifikatortype":"dNummer"}`...)
	} else {
		dst = append(dst, `,"identifikatortype":"foedselsnummer"}`...)
	}
	if p.hasOldD {
		dst = append(dst, ',')
		dst = appendMeta(dst, false, p.immigrated, sec)
		dst = append(dst, `,"opphoerstidspunkt":`...)
		dst = appendInstant(dst, p.fnrFrom, 0)
		dst = append(dst, `,"status":"opphoert","foedselsEllerDNummer":`...)
		dst = appendDigits(dst, p.oldD[:])
		dst = append(dst, `,"identifikatortype":"dNummer"}`...)
	}

	dst = append(dst, `],"status":[`...)
	dst = appendMeta(dst, true, p.since, sec)
	dst = append(dst, `,"status":"`...)
	dst = append(dst, statusNames[p.status]...)
	dst = append(dst, `"}],"kjoenn":[`...)
	dst = appendMeta(dst, true, p.fnrFrom, sec)
	if p.male {
		dst = append(dst, `,"kjoenn":"mann"}`...)
	} else {
		dst = append(dst, `,"kjoenn":"kvinne"}`...)
	}

	dst = append(dst, `],"foedsel":[`...)
	dst = appendMeta(dst, true, p.fnrFrom, sec)
	dst = append(dst, `,"foedselsdato":`...)
	dst = appendDate(dst, p.birth)
	dst = append(dst, `,"foedselsaar":"`...)
	dst = append4(dst, p.birth.year())
	if p.country < 0 {
		dst = append(dst, `","foedekommuneINorge":"`...)
		dst = append(dst, municipalities[int(hash3(w.seed, uint64(p.o), 7)%uint64(len(municipalities)))].code...)
		dst = append(dst, `","foedeland":"NOR"}`...)
	} else {
		dst = append(dst, `","foedeland":"`...)
		dst = append(dst, foreignNames[p.country].country...)
		dst = append(dst, `"}`...)
	}

	dst = append(dst, `],"sivilstand":[`...)
	if p.sivil == sivUgift || p.sivil == sivUoppgitt {
		dst = appendMeta(dst, true, p.fnrFrom, sec)
	} else {
		dst = appendMeta(dst, true, p.sivilFrom, sec)
	}
	dst = append(dst, `,"sivilstand":"`...)
	dst = append(dst, sivilNames[p.sivil]...)
	dst = append(dst, '"')
	if p.sivil != sivUgift && p.sivil != sivUoppgitt {
		dst = append(dst, `,"sivilstandsdato":`...)
		dst = appendDate(dst, p.sivilFrom)
	}
	if p.spouse >= 0 {
		n := w.ninOf(p.spouse)
		dst = append(dst, `,"relatertVedSivilstand":`...)
		dst = appendDigits(dst, n[:])
	}

	dst = append(dst, `}],"navn":[`...)
	dst = appendMeta(dst, true, p.fnrFrom, sec)
	dst = append(dst, `,"fornavn":`...)
	dst = appendString(dst, p.given)
	if p.middle != "" {
		dst = append(dst, `,"mellomnavn":`...)
		dst = appendString(dst, p.middle)
	}
	dst = append(dst, `,"etternavn":`...)
	dst = appendString(dst, p.family)

	dst = append(dst, `}],"statsborgerskap":[`...)
	if p.norwegian {
		dst = appendMeta(dst, true, p.fnrFrom, sec)
		dst = append(dst, `,"statsborgerskap":"NOR"`...)
		if p.country >= 0 {
			dst = append(dst, `,"ervervsdato":`...)
			dst = appendDate(dst, p.fnrFrom)
		}
		dst = append(dst, '}')
	} else {
		dst = appendMeta(dst, true, p.fnrFrom, sec)
		dst = append(dst, `,"statsborgerskap":"`...)
		dst = append(dst, foreignNames[p.country].country...)
		dst = append(dst, `"}`...)
	}
	dst = append(dst, ']')

	// Addresses. strengtFortrolig: the element is kept with its metadata and
	// adressegradering, and no address content (docs/formats.md, Generator).
	if p.hasHome() {
		dst = append(dst, `,"bostedsadresse":[`...)
		dst = appendMeta(dst, true, p.moved, sec)
		if p.grad != gradStrengt {
			if p.matrikkel {
				dst = append(dst, `,"matrikkeladresse":`...)
				dst = p.appendMatrikkeladresse(dst)
			} else {
				dst = append(dst, `,"vegadresse":`...)
				dst = p.appendVegadresse(dst, w)
			}
		}
		dst = p.adressegradering(dst, true)
		if p.grad != gradStrengt {
			dst = append(dst, `,"flyttedato":`...)
			dst = appendDate(dst, p.moved)
		}
		dst = append(dst, "}]"...)
	}
	if p.hasStay() {
		dst = append(dst, `,"oppholdsadresse":[`...)
		dst = appendMeta(dst, true, p.moved, sec)
		if p.grad != gradStrengt {
			dst = append(dst, `,"vegadresse":`...)
			dst = p.appendVegadresse(dst, w)
		}
		dst = p.adressegradering(dst, true)
		if p.grad != gradStrengt {
			dst = append(dst, `,"oppholdsadressedato":`...)
			dst = appendDate(dst, p.moved)
		}
		dst = append(dst, "}]"...)
	}
	if p.postbox > 0 && p.grad != gradStrengt {
		m := &municipalities[p.muni]
		pp := m.posts[0]
		dst = append(dst, `,"postadresse":[`...)
		dst = appendMeta(dst, true, p.moved, sec)
		dst = append(dst, `,"postboksadresse":{"postboks":"`...)
		dst = appendInt(dst, p.postbox)
		dst = append(dst, `","poststed":{"postnummer":"`...)
		dst = append(dst, pp.code...)
		dst = append(dst, `","poststedsnavn":`...)
		dst = appendString(dst, pp.place)
		dst = append(dst, "}}"...)
		dst = p.adressegradering(dst, false)
		dst = append(dst, "}]"...)
	}
	if p.status == stUtflyttet && p.grad != gradStrengt && p.o%2 == 0 {
		fs := &foreignNames[p.emigCountry]
		dst = append(dst, `,"postadresseIUtlandet":[`...)
		dst = appendMeta(dst, true, p.emigrated, sec)
		dst = append(dst, `,"utenlandskAdresseIFrittFormat":{"adresselinje":[`...)
		dst = appendString(dst, fs.family[p.street%len(fs.family)]+" street "+itoa(p.houseNo))
		dst = append(dst, `],"byEllerStedsnavn":`...)
		dst = appendString(dst, foreignCities[p.emigCountry])
		dst = append(dst, `,"landkode":"`...)
		dst = append(dst, fs.country...)
		dst = append(dst, `"}`...)
		dst = p.adressegradering(dst, false)
		dst = append(dst, "}]"...)
	}
	if p.grad != gradUgradert {
		dst = append(dst, `,"adressebeskyttelse":[`...)
		dst = appendMeta(dst, true, max(p.moved, p.fnrFrom), sec)
		dst = append(dst, `,"graderingsnivaa":"`...)
		dst = append(dst, gradNames[p.grad]...)
		dst = append(dst, `"}]`...)
	}
	if p.immigrated != noDay {
		dst = append(dst, `,"innflytting":[`...)
		dst = appendMeta(dst, true, p.immigrated, sec)
		dst = append(dst, `,"fraflyttingsland":"`...)
		dst = append(dst, foreignNames[p.country].country...)
		dst = append(dst, `"}]`...)
	}
	if p.emigrated != noDay {
		dst = append(dst, `,"utflytting":[`...)
		dst = appendMeta(dst, true, p.emigrated, sec)
		dst = append(dst, `,"tilflyttingsland":"`...)
		dst = append(dst, foreignNames[p.emigCountry].country...)
		dst = append(dst, `","utflyttingsdato":`...)
		dst = appendDate(dst, p.emigrated)
		dst = append(dst, "}]"...)
	}
	if p.spouse >= 0 || p.parent >= 0 || p.child >= 0 {
		dst = append(dst, `,"familierelasjon":[`...)
		first := true
		rel := func(o int, their, mine string, from day) {
			if !first {
				dst = append(dst, ',')
			}
			first = false
			n := w.ninOf(o)
			dst = appendMeta(dst, true, from, sec)
			dst = append(dst, `,"relatertPerson":`...)
			dst = appendDigits(dst, n[:])
			dst = append(dst, `,"relatertPersonsRolle":"`...)
			dst = append(dst, their...)
			dst = append(dst, `","minRolleForPerson":"`...)
			dst = append(dst, mine...)
			dst = append(dst, `"}`...)
		}
		if p.spouse >= 0 {
			rel(p.spouse, "ektefelleEllerPartner", "ektefelleEllerPartner", p.sivilFrom)
		}
		if p.parent >= 0 {
			role := "mor"
			if n := w.ninOf(p.parent); (n[8]-'0')%2 == 1 {
				role = "far"
			}
			rel(p.parent, role, "barn", p.birth)
		}
		if p.child >= 0 {
			role := "mor"
			if p.male {
				role = "far"
			}
			cc, q, _ := w.cohortOf(p.child)
			rel(p.child, "barn", role, birthOf(cc, q))
		}
		dst = append(dst, ']')
	}
	if p.death != noDay {
		dst = append(dst, `,"doedsfall":`...)
		dst = appendMeta(dst, true, p.death, sec)
		dst = append(dst, `,"doedsdato":`...)
		dst = appendDate(dst, p.death)
		dst = append(dst, '}')
	}
	return append(dst, "}}"...)
}

func itoa(v int) string { return string(appendInt(nil, v)) }
