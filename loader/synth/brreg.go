package synth

import "strings"

// Enhetsregisteret: enheter and underenheter with Brreg v2 field names
// (../shared/docs/data-formats.md §1), as in Brreg's totalbestand files.

type enhet struct {
	e       int
	form    orgForm
	naering naering
	name    string
	muni    int
	street  int
	houseNo int
	health  int // health index, -1
	kind    int // healthKinds index, -1
	parent  int // overordnetEnhet (enhet index), -1
	reg     day
	founded day
	ansatte int // 0: not registered
	rng     rng // positioned after the identity draws, for the rest of the record
}

var naeringRHF = naering{"84.120", "Offentlig administrasjon tilknyttet helsestell, sosial virksomhet, undervisning, kirke, kultur og miljøvern", 1}

func sumWeights[T any](items []T, weight func(*T) int) int {
	n := 0
	for i := range items {
		n += weight(&items[i])
	}
	return n
}

var (
	orgFormTotal    = sumWeights(orgForms, func(f *orgForm) int { return f.weight })
	healthFormTotal = sumWeights(healthForms, func(f *orgForm) int { return f.weight })
	healthKindTotal = sumWeights(healthKinds, func(k *healthKind) int { return k.weight })
	naeringTotal    = sumWeights(naeringerGenerell, func(n *naering) int { return n.weight })
	naeringFLITotal = sumWeights(naeringerFLI, func(n *naering) int { return n.weight })
)

// enhetForm returns the organisasjonsform of enhet e cheaply.
func (w *world) enhetForm(e int) orgForm {
	switch {
	case e < firstHF:
		return formSAER
	case e < firstStat:
		return formSAER
	case e < firstKomm:
		return formSTAT
	case e < w.fixed:
		return formKOMM
	}
	r := newRNG(w.seed, streamEnhet, uint64(e))
	if w.healthOfEnhet(e) >= 0 {
		return healthForms[pickWeighted(&r, healthForms, func(f *orgForm) int { return f.weight }, healthFormTotal)]
	}
	return orgForms[pickWeighted(&r, orgForms, func(f *orgForm) int { return f.weight }, orgFormTotal)]
}

func upperName(r *rng, male bool) string {
	names := givenFemale
	if male {
		names = givenMale
	}
	return strings.ToUpper(names[r.intn(len(names))] + " " + familyNames[r.intn(len(familyNames))])
}

func (w *world) deriveEnhet(e int, x *enhet) {
	*x = enhet{e: e, health: -1, kind: -1, parent: -1}
	r := newRNG(w.seed, streamEnhet, uint64(e))
	x.form = w.enhetForm(e)
	r.next() // the form draw
	switch {
	case e < firstHF:
		x.name, x.naering, x.muni = rhfs[e].name, naeringRHF, muniIndex(rhfs[e].muni)
		x.reg, x.founded = dayOf(2001, 11, 6), dayOf(2001, 11, 1)
	case e < firstStat:
		h := &hfs[e-firstHF]
		x.name, x.naering, x.muni = h.name, naeringSykehus, muniIndex(h.muni)
		x.reg, x.founded = dayOf(2001, 11, 20), dayOf(2001, 11, 15)
	case e < firstKomm:
		x.name, x.naering, x.muni = stateBodies[e-firstStat], naeringOffentlig, 0
		x.reg, x.founded = dayOf(1995, 3, 12), noDay
	case e < w.fixed:
		m := e - firstKomm
		x.name, x.naering, x.muni = municipalities[m].name+" KOMMUNE", naeringOffentlig, m
		x.reg, x.founded = dayOf(1995, 2, 27), noDay
	default:
		x.health = w.healthOfEnhet(e)
		x.muni = w.pickMuni(&r)
		x.reg = randomDay(&r, dayOf(1995, 1, 1), refDay-20)
		x.founded = x.reg - day(r.intn(60))
		if x.health >= 0 {
			w.nameHealth(x, &r)
		} else {
			w.nameGeneric(x, &r)
		}
	}
	x.street = r.intn(len(streetNames))
	x.houseNo = 1 + r.intn(60)
	if e < w.fixed {
		x.ansatte = 50 + r.intn(20_000)
	} else {
		p := 0.0
		switch x.form.code {
		case "AS", "ASA", "NUF", "SA", "IKS", "KF":
			p = 0.45
		case "ENK":
			p = 0.08
		case "ANS", "DA", "STI", "FLI", "ORGL":
			p = 0.25
		}
		if x.health >= 0 {
			p = 0.6
		}
		if r.chance(p) {
			x.ansatte = 5 + min(r.intn(40), r.intn(40))*r.between(1, 8)
		}
	}
	x.rng = r
}

func (w *world) nameHealth(x *enhet, r *rng) {
	if x.health < len(w.offices) {
		x.kind = 0 // 86.211
		x.muni = w.offices[x.health].muni
	} else {
		x.kind = pickWeighted(r, healthKinds, func(k *healthKind) int { return k.weight }, healthKindTotal)
	}
	k := &healthKinds[x.kind]
	x.naering = k.naering
	place := companyWords1[r.intn(len(companyWords1))]
	if r.chance(0.4) {
		place = municipalities[x.muni].name
	}
	switch x.form.code {
	case "ENK":
		x.name = k.nameWord + " " + upperName(r, r.chance(0.5))
	case "AS":
		x.name = place + " " + k.nameWord + " AS"
	default:
		x.name = place + " " + k.nameWord + " " + x.form.code
	}
}

func (w *world) nameGeneric(x *enhet, r *rng) {
	w1 := companyWords1[r.intn(len(companyWords1))]
	w2 := companyWords2[r.intn(len(companyWords2))]
	switch x.form.code {
	case "FLI", "STI":
		x.naering = naeringerFLI[pickWeighted(r, naeringerFLI, func(n *naering) int { return n.weight }, naeringFLITotal)]
	case "ESEK", "SAM", "BRL":
		x.naering = naeringBolig
	case "ORGL":
		x.naering = naeringOffentlig
	default:
		x.naering = naeringerGenerell[pickWeighted(r, naeringerGenerell, func(n *naering) int { return n.weight }, naeringTotal)]
	}
	switch x.form.code {
	case "ENK":
		if r.chance(0.5) {
			x.name = upperName(r, r.chance(0.5))
		} else {
			x.name = strings.ToUpper(familyNames[r.intn(len(familyNames))]) + " " + w2
		}
	case "AS", "ASA":
		if r.chance(0.3) {
			x.name = strings.ToUpper(familyNames[r.intn(len(familyNames))]) + " " + w2 + " " + x.form.code
		} else {
			x.name = w1 + " " + w2 + " " + x.form.code
		}
	case "FLI":
		x.name = municipalities[x.muni].name + " " + fliWords[r.intn(len(fliWords))]
	case "STI":
		x.name = strings.ToUpper(familyNames[r.intn(len(familyNames))]) + "S MINNEFOND"
	case "ESEK", "SAM":
		x.name = "SAMEIET " + strings.ToUpper(streetNames[r.intn(len(streetNames))]) + " " + itoa(1+r.intn(60))
	case "BRL":
		x.name = w1 + " BORETTSLAG"
	case "ANS", "DA":
		x.name = strings.ToUpper(familyNames[r.intn(len(familyNames))]+" & "+familyNames[r.intn(len(familyNames))]) + " " + x.form.code
	case "NUF":
		fs := &foreignNames[r.intn(len(foreignNames))]
		x.name = strings.ToUpper(fs.family[r.intn(len(fs.family))]) + " " + w2 + " NUF"
	case "ORGL":
		if r.chance(0.5) {
			x.parent = firstStat + r.intn(nStat)
			x.name = stateAgencyWords[r.intn(len(stateAgencyWords))] + " " + stateAgencyTopics[r.intn(len(stateAgencyTopics))]
		} else {
			m := r.intn(len(municipalities))
			x.parent = firstKomm + m
			x.muni = m
			x.name = municipalities[m].name + " KOMMUNE " + municipalAgencies[r.intn(len(municipalAgencies))]
		}
	default:
		x.name = w1 + " " + w2 + " " + x.form.code
	}
}

func appendBrregAddress(dst []byte, lines []string, m int, post int) []byte {
	mu := &municipalities[m]
	pp := mu.posts[post%len(mu.posts)]
	dst = append(dst, `{"land":"Norge","landkode":"NO","postnummer":"`...)
	dst = append(dst, pp.code...)
	dst = append(dst, `","poststed":`...)
	dst = appendString(dst, pp.place)
	dst = append(dst, `,"adresse":[`...)
	for i, l := range lines {
		if i > 0 {
			dst = append(dst, ',')
		}
		if l == "\x00" {
			dst = append(dst, "null"...)
		} else {
			dst = appendString(dst, l)
		}
	}
	dst = append(dst, `],"kommune":`...)
	dst = appendString(dst, mu.name)
	dst = append(dst, `,"kommunenummer":"`...)
	dst = append(dst, mu.code...)
	return append(dst, `"}`...)
}

func appendOrgForm(dst []byte, f orgForm) []byte {
	dst = append(dst, `{"kode":`...)
	dst = appendString(dst, f.code)
	dst = append(dst, `,"beskrivelse":`...)
	dst = appendString(dst, f.text)
	dst = append(dst, `,"_links":{"self":{"href":"https://data.brreg.no/enhetsregisteret/api/organisasjonsformer/`...)
	dst = append(dst, f.code...)
	return append(dst, `"}}}`...)
}

func appendNaering(dst []byte, n naering) []byte {
	dst = append(dst, `{"kode":"`...)
	dst = append(dst, n.code...)
	dst = append(dst, `","beskrivelse":`...)
	dst = appendString(dst, n.text)
	return append(dst, '}')
}

func appendHistoriskeNavn(dst []byte, r *rng, from day, name string) []byte {
	dst = append(dst, `,"historiskeNavn":[`...)
	n := 1 + r.intn(2)
	t := from
	for i := 0; i < n; i++ {
		if i > 0 {
			dst = append(dst, ',')
		}
		next := randomDay(r, t+30, t+3*365)
		old := companyWords1[r.intn(len(companyWords1))] + " " + name
		if i == 0 && strings.HasSuffix(name, " AS") {
			old = strings.TrimSuffix(name, " AS") + " A/S"
		}
		dst = append(dst, `{"navn":`...)
		dst = appendString(dst, old)
		dst = append(dst, `,"fraDato":`...)
		dst = appendBrregTime(dst, t, r.intn(86_400))
		dst = append(dst, `,"tilDato":`...)
		dst = appendBrregTime(dst, next, r.intn(86_400))
		dst = append(dst, '}')
		t = next
	}
	return append(dst, ']')
}

func (w *world) appendEnhet(dst []byte, e int) []byte { return w.appendEnhetEdit(dst, e, nil) }

// orgEdit changes a derived enhet or underenhet for a later version of it
// (the change feeds of delta.go): a new organisation number (a new entity),
// a new registration date, name, address or employee count.
type orgEdit struct {
	orgnr   *[9]byte
	reg     day // registreringsdatoEnhetsregisteret, noDay: unchanged
	name    string
	houseNo int
	ansatte int // -1: unchanged, 0: not registered
}

func (w *world) appendEnhetEdit(dst []byte, e int, ed *orgEdit) []byte {
	var x enhet
	w.deriveEnhet(e, &x)
	r := &x.rng
	orgnr := w.enhetOrgnr(e)
	if ed != nil {
		if ed.orgnr != nil {
			orgnr = *ed.orgnr
		}
		if ed.reg != noDay {
			x.reg, x.founded = ed.reg, ed.reg-3
		}
		if ed.name != "" {
			x.name = ed.name
		}
		if ed.houseNo > 0 {
			x.houseNo = ed.houseNo
		}
		if ed.ansatte >= 0 {
			x.ansatte = ed.ansatte
		}
	}
	dst = append(dst, `{"organisasjonsnummer":`...)
	dst = appendDigits(dst, orgnr[:])
	dst = append(dst, `,"navn":`...)
	dst = appendString(dst, x.name)
	dst = append(dst, `,"organisasjonsform":`...)
	dst = appendOrgForm(dst, x.form)
	if e >= w.fixed && r.chance(0.02) {
		dst = appendHistoriskeNavn(dst, r, x.reg, x.name)
	}
	hasPost := r.chance(0.15) || e < w.fixed
	onlyPost := e >= w.fixed && r.chance(0.03)
	if hasPost || onlyPost {
		dst = append(dst, `,"postadresse":`...)
		dst = appendBrregAddress(dst, []string{"Postboks " + itoa(1+r.intn(9000))}, x.muni, 0)
	}
	dst = append(dst, `,"registreringsdatoEnhetsregisteret":`...)
	dst = appendDate(dst, x.reg)
	pMva := 0.3
	if x.form.foretak {
		pMva = 0.65
	}
	mva := e >= w.fixed && r.chance(pMva)
	dst = append(dst, `,"registrertIMvaregisteret":`...)
	dst = appendBool(dst, mva)
	dst = append(dst, `,"naeringskode1":`...)
	dst = appendNaering(dst, x.naering)
	if x.ansatte > 0 {
		dst = append(dst, `,"antallAnsatte":`...)
		dst = appendInt(dst, x.ansatte)
	}
	dst = append(dst, `,"harRegistrertAntallAnsatte":`...)
	dst = appendBool(dst, x.ansatte > 0)
	var parent [9]byte
	if x.parent >= 0 {
		parent = w.enhetOrgnr(x.parent)
		dst = append(dst, `,"overordnetEnhet":`...)
		dst = appendDigits(dst, parent[:])
	}
	if !onlyPost {
		lines := []string{streetNames[x.street] + " " + itoa(x.houseNo)}
		switch u := r.intn(1000); {
		case u < 40:
			lines = append([]string{"c/o " + upperName(r, u%2 == 0)}, lines...)
		case u < 45:
			lines = append(lines, "\x00", "\x00", "") // Brreg quirk: null and empty lines
		}
		dst = append(dst, `,"forretningsadresse":`...)
		dst = appendBrregAddress(dst, lines, x.muni, x.street)
	}
	if x.founded != noDay {
		dst = append(dst, `,"stiftelsesdato":`...)
		dst = appendDate(dst, x.founded)
	}
	s := sektorer[x.form.sektor]
	if x.form.code == "ORGL" && x.parent >= firstKomm {
		s = sektorer[sektorKommune]
	}
	dst = append(dst, `,"institusjonellSektorkode":{"kode":"`...)
	dst = append(dst, s.code...)
	dst = append(dst, `","beskrivelse":`...)
	dst = appendString(dst, s.text)
	dst = append(dst, `},"registrertIForetaksregisteret":`...)
	dst = appendBool(dst, x.form.foretak || (x.form.code == "ENK" && r.chance(0.3)))
	dst = append(dst, `,"registrertIStiftelsesregisteret":`...)
	dst = appendBool(dst, x.form.code == "STI")
	dst = append(dst, `,"registrertIFrivillighetsregisteret":`...)
	dst = appendBool(dst, x.form.code == "FLI" && r.chance(0.4))
	if x.form.code == "AS" || x.form.code == "ASA" {
		dst = append(dst, `,"sisteInnsendteAarsregnskap":"2024"`...)
	}
	konkurs := e >= w.fixed && r.chance(0.005)
	dst = append(dst, `,"konkurs":`...)
	dst = appendBool(dst, konkurs)
	if konkurs {
		dst = append(dst, `,"konkursdato":`...)
		dst = appendDate(dst, randomDay(r, x.reg, refDay-1))
	}
	avvikling := e >= w.fixed && r.chance(0.008)
	dst = append(dst, `,"underAvvikling":`...)
	dst = appendBool(dst, avvikling)
	if avvikling {
		dst = append(dst, `,"underAvviklingDato":`...)
		dst = appendDate(dst, randomDay(r, x.reg, refDay-1))
	}
	dst = append(dst, `,"underTvangsavviklingEllerTvangsopplosning":`...)
	dst = appendBool(dst, e >= w.fixed && r.chance(0.003))
	nynorsk := 0.05
	if municipalities[x.muni].region == regionVest {
		nynorsk = 0.3
	}
	if r.chance(nynorsk) {
		dst = append(dst, `,"maalform":"Nynorsk"`...)
	} else {
		dst = append(dst, `,"maalform":"Bokmål"`...)
	}
	if (x.form.code == "AS" || x.form.code == "ASA") && r.chance(0.3) {
		belop := [...]int{30000, 30000, 30000, 100000, 50000, 1000000, 250000}[r.intn(7)]
		if x.form.code == "ASA" {
			belop = 1_000_000 * r.between(1, 500)
		}
		dst = append(dst, `,"kapital":{"belop":`...)
		dst = appendInt(dst, belop)
		dst = append(dst, `.00,"antallAksjer":`...)
		dst = appendInt(dst, belop/[...]int{1, 10, 100}[r.intn(3)])
		dst = append(dst, `,"type":"Aksjekapital","valuta":"NOK","innfortDato":`...)
		dst = appendDate(dst, randomDay(r, x.reg, refDay-1))
		dst = append(dst, '}')
	}
	dst = append(dst, `,"paategninger":[],"_links":{"self":{"href":"https://data.brreg.no/enhetsregisteret/api/enheter/`...)
	dst = append(dst, orgnr[:]...)
	dst = append(dst, `"}`...)
	if x.parent >= 0 {
		dst = append(dst, `,"overordnetEnhet":{"href":"https://data.brreg.no/enhetsregisteret/api/enheter/`...)
		dst = append(dst, parent[:]...)
		dst = append(dst, `"}`...)
	}
	return append(dst, "}}"...)
}

// underenhet parents: the RESH institutions, the fixed public bodies, then
// random generic enheter (not sameier or borettslag).
func (w *world) underenhetParent(u int, r *rng) int {
	switch {
	case u < len(w.inst):
		return firstHF + w.resh[w.inst[u]].hf
	case u < len(w.inst)+w.nFixedSubs:
		return firstStat + (u-len(w.inst))/2
	}
	span := uint64(w.e - w.fixed)
	var e int
	for try := 0; try < 4; try++ {
		e = w.fixed + int(r.next()%span)
		if c := w.enhetForm(e).code; c != "ESEK" && c != "SAM" && c != "BRL" {
			break
		}
	}
	return e
}

func (w *world) appendUnderenhet(dst []byte, u int) []byte {
	return w.appendUnderenhetEdit(dst, u, nil)
}

func (w *world) appendUnderenhetEdit(dst []byte, u int, ed *orgEdit) []byte {
	r := newRNG(w.seed, streamUnderenhet, uint64(u))
	pe := w.underenhetParent(u, &r)
	var px enhet
	w.deriveEnhet(pe, &px)
	name, nae, muni, form := px.name, px.naering, px.muni, formBEDR
	switch px.form.code {
	case "FLI", "STI":
		form = formAAFY
	}
	switch {
	case u < len(w.inst):
		ru := &w.resh[w.inst[u]]
		name, muni = strings.ToUpper(ru.name), ru.muni
	case u < len(w.inst)+w.nFixedSubs:
		j := (u - len(w.inst)) % 2
		if pe >= firstKomm {
			name = px.name + [...]string{" HELSESTASJON", " SYKEHJEM"}[j]
			nae = [...]naering{{"86.903", "Helsestasjons- og skolehelsetjeneste", 1}, {"87.102", "Somatiske sykehjem", 1}}[j]
		} else {
			name = px.name + [...]string{" AVDELING OSLO", " REGIONKONTOR"}[j]
		}
	default:
		if r.chance(0.3) {
			pp := municipalities[muni].posts[r.intn(len(municipalities[muni].posts))]
			name += " AVD " + pp.place
		}
		if r.chance(0.2) {
			muni = w.pickMuni(&r)
		}
	}
	orgnr := w.underenhetOrgnr(u)
	parent := w.enhetOrgnr(pe)
	reg := randomDay(&r, max(px.reg, dayOf(1995, 6, 1)), refDay-10)
	houseNo := 0
	ansatteEdit := -1
	if ed != nil {
		if ed.orgnr != nil {
			orgnr = *ed.orgnr
		}
		if ed.reg != noDay {
			reg = ed.reg
		}
		if ed.name != "" {
			name = ed.name
		}
		houseNo, ansatteEdit = ed.houseNo, ed.ansatte
	}
	dst = append(dst, `{"organisasjonsnummer":`...)
	dst = appendDigits(dst, orgnr[:])
	dst = append(dst, `,"navn":`...)
	dst = appendString(dst, name)
	dst = append(dst, `,"organisasjonsform":`...)
	dst = appendOrgForm(dst, form)
	if r.chance(0.01) {
		dst = appendHistoriskeNavn(dst, &r, reg, name)
	}
	dst = append(dst, `,"registreringsdatoEnhetsregisteret":`...)
	dst = appendDate(dst, reg)
	dst = append(dst, `,"registrertIMvaregisteret":`...)
	dst = appendBool(dst, form.code == "BEDR" && r.chance(0.5))
	dst = append(dst, `,"naeringskode1":`...)
	dst = appendNaering(dst, nae)
	ansatte := 0
	if u < len(w.inst)+w.nFixedSubs {
		ansatte = 20 + r.intn(3000)
	} else if r.chance(0.55) {
		ansatte = 5 + min(r.intn(60), r.intn(60))
	}
	if ansatteEdit >= 0 {
		ansatte = ansatteEdit
	}
	if ansatte > 0 {
		dst = append(dst, `,"antallAnsatte":`...)
		dst = appendInt(dst, ansatte)
	}
	dst = append(dst, `,"harRegistrertAntallAnsatte":`...)
	dst = appendBool(dst, ansatte > 0)
	dst = append(dst, `,"overordnetEnhet":`...)
	dst = appendDigits(dst, parent[:])
	dst = append(dst, `,"oppstartsdato":`...)
	dst = appendDate(dst, reg-day(r.intn(30)))
	street := r.intn(len(streetNames))
	onlyPost := r.chance(0.02)
	if onlyPost || r.chance(0.08) {
		dst = append(dst, `,"postadresse":`...)
		dst = appendBrregAddress(dst, []string{"Postboks " + itoa(1+r.intn(9000))}, muni, 0)
	}
	if !onlyPost {
		no := 1 + r.intn(80)
		if houseNo > 0 {
			no = houseNo
		}
		dst = append(dst, `,"beliggenhetsadresse":`...)
		dst = appendBrregAddress(dst, []string{streetNames[street] + " " + itoa(no)}, muni, street)
	}
	if r.chance(0.01) {
		dst = append(dst, `,"nedleggelsesdato":`...)
		dst = appendDate(dst, randomDay(&r, reg, refDay-1))
	}
	dst = append(dst, `,"_links":{"self":{"href":"https://data.brreg.no/enhetsregisteret/api/underenheter/`...)
	dst = append(dst, orgnr[:]...)
	dst = append(dst, `"},"overordnetEnhet":{"href":"https://data.brreg.no/enhetsregisteret/api/enheter/`...)
	dst = append(dst, parent[:]...)
	return append(dst, `"}}}`...)
}
