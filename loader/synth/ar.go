package synth

import "strings"

// Adresseregisteret: communication parties in blocks of one organisation
// followed by its services and persons (parents before children). The block
// table is small (one entry per organisation); a record's block is found by
// binary search.

const (
	arHF = iota
	arKomm
	arGP
	arOther
)

type arBlock struct {
	kind     int
	ref      int // HF index, municipality, office or other-block number
	enhet    int
	services int
	persons  int
	first    int // record index of the organisation
	inactive bool
}

func (w *world) herID(k int) int { return 80_001 + k }

func (w *world) buildAR() {
	r := newRNG(w.seed, streamAR, 0)
	add := func(b arBlock) {
		b.first = w.arTotal
		w.arTotal += 1 + b.services + b.persons
		w.ar = append(w.ar, b)
	}
	scale := max(1, w.p.AR/20_000)
	for i := range hfs {
		add(arBlock{kind: arHF, ref: i, enhet: firstHF + i, services: r.between(2, 2+4*scale)})
	}
	for m := range municipalities {
		add(arBlock{kind: arKomm, ref: m, enhet: firstKomm + m, services: r.between(1, 3), persons: r.intn(1 + 2*scale)})
	}
	for o := range w.offices {
		n := 0
		for _, c := range w.offices[o].contracts {
			n += len(w.contracts[c].doctors)
		}
		w.offices[o].block = len(w.ar)
		add(arBlock{kind: arGP, ref: o, enhet: w.enhetOfHealth(o), services: 1, persons: n})
	}
	for b := 0; w.arTotal < w.p.AR; b++ {
		h := len(w.offices) + b
		if h >= w.nHealth {
			break
		}
		rb := newRNG(w.seed, streamAR, uint64(1+b))
		add(arBlock{kind: arOther, ref: b, enhet: w.enhetOfHealth(h), services: 1, persons: rb.between(0, 6),
			inactive: rb.chance(0.02)})
		w.arOthers++
	}
}

// arBlockOf returns the block of record k.
func (w *world) arBlockOf(k int) *arBlock {
	lo, hi := 0, len(w.ar)
	for lo < hi {
		m := (lo + hi) / 2
		if w.ar[m].first+1+w.ar[m].services+w.ar[m].persons <= k {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return &w.ar[lo]
}

// slug makes an ASCII e-mail local part from a name.
func slug(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		switch {
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
			b.WriteRune(c)
		case c == 'æ':
			b.WriteString("ae")
		case c == 'ø':
			b.WriteByte('o')
		case c == 'å':
			b.WriteByte('a')
		}
		if b.Len() >= 24 {
			break
		}
	}
	return b.String()
}

func appendElectronic(dst []byte, t coded, addr string) []byte {
	dst = append(dst, `{"type":`...)
	dst = appendCoded(dst, t)
	dst = append(dst, `,"address":`...)
	dst = appendString(dst, addr)
	return append(dst, '}')
}

func appendPhysical(dst []byte, t coded, street, box string, m, post int) []byte {
	pp := municipalities[m].posts[post%len(municipalities[m].posts)]
	dst = append(dst, `{"type":`...)
	dst = appendCoded(dst, t)
	dst = append(dst, `,"streetAddress":`...)
	if street != "" {
		dst = appendString(dst, street)
	} else {
		dst = append(dst, "null"...)
	}
	dst = append(dst, `,"postbox":`...)
	if box != "" {
		dst = appendString(dst, box)
	} else {
		dst = append(dst, "null"...)
	}
	dst = append(dst, `,"postalCode":"`...)
	dst = append(dst, pp.code...)
	dst = append(dst, `","city":`...)
	dst = appendString(dst, pp.place)
	return append(dst, `,"country":"NO"}`...)
}

func (w *world) appendAR(dst []byte, k int) []byte {
	b := w.arBlockOf(k)
	pos := k - b.first
	var x enhet
	w.deriveEnhet(b.enhet, &x)
	r := newRNG(w.seed, streamAR, uint64(k)<<8|0xa5)
	orgHer := w.herID(b.first)
	orgName := titleCase(x.name)
	active := !b.inactive
	validFrom := max(x.reg, dayOf(2003, 1, 1))
	validTo := noDay
	if b.inactive {
		rb := newRNG(w.seed, streamAR, uint64(b.first)<<8|0x5a)
		validTo = randomDay(&rb, validFrom+365, refDay-1)
	}
	dst = append(dst, `{"herId":`...)
	dst = appendInt(dst, w.herID(k))
	switch {
	case pos == 0:
		orgnr := w.enhetOrgnr(b.enhet)
		dst = append(dst, `,"type":"Organization","name":`...)
		dst = appendString(dst, orgName)
		dst = append(dst, `,"displayName":`...)
		dst = appendString(dst, orgName)
		dst = append(dst, `,"active":`...)
		dst = appendBool(dst, active)
		dst = append(dst, `,"valid":`...)
		dst = appendPeriod(dst, validFrom, validTo)
		dst = append(dst, `,"organizationNumber":`...)
		dst = appendDigits(dst, orgnr[:])
		dst = append(dst, `,"businessType":`...)
		switch b.kind {
		case arHF:
			dst = appendCoded(dst, btHF)
		case arKomm:
			dst = appendCoded(dst, btKommune)
		default:
			dst = appendCoded(dst, btPrivat)
		}
		dst = append(dst, `,"industryCodes":[`...)
		dst = appendCoded(dst, coded{0, x.naering.code, x.naering.text})
		dst = append(dst, `],"municipality":`...)
		dst = appendMunicipality(dst, x.muni)
		dst = append(dst, `,"electronicAddresses":[`...)
		dst = appendElectronic(dst, eaEDI, slug(orgName)+"@edi.nhn.no")
		if r.chance(0.6) {
			dst = append(dst, ',')
			dst = appendElectronic(dst, eaSBAsync, "sb.nhn.no/NHNServiceBus/"+itoa(orgHer)+"_async")
		}
		if r.chance(0.5) {
			dst = append(dst, ',')
			dst = appendElectronic(dst, eaTLF, itoa(20_000_000+r.intn(79_999_999)))
		}
		dst = append(dst, `],"physicalAddresses":[`...)
		dst = appendPhysical(dst, paRES, streetNames[x.street]+" "+itoa(x.houseNo), "", x.muni, x.street)
		if r.chance(0.5) {
			dst = append(dst, ',')
			dst = appendPhysical(dst, paPST, "", "Postboks "+itoa(1+r.intn(9000)), x.muni, 0)
		}
		dst = append(dst, ']')
	case pos <= b.services:
		code, name := w.arService(b, pos-1, &x)
		dst = append(dst, `,"type":"Service","parentHerId":`...)
		dst = appendInt(dst, orgHer)
		dst = append(dst, `,"name":`...)
		dst = appendString(dst, name)
		dst = append(dst, `,"active":`...)
		dst = appendBool(dst, active)
		dst = append(dst, `,"service":{"code":`...)
		dst = appendCoded(dst, code)
		dst = append(dst, `},"electronicAddresses":[`...)
		if r.chance(0.15) { // its own EDI address overrides the inherited one
			dst = appendElectronic(dst, eaEDI, slug(name)+itoa(w.herID(k))+"@edi.nhn.no")
		}
		dst = append(dst, `],"physicalAddresses":[]`...)
	default:
		j := pos - 1 - b.services
		hi, pActive, pFrom, pTo := w.arPerson(b, j)
		var p person
		h := w.deriveHPRPerson(hi, &p)
		name := h.given + " " + h.family
		if !active {
			pActive = false
		}
		dst = append(dst, `,"type":"Person","parentHerId":`...)
		dst = appendInt(dst, orgHer)
		dst = append(dst, `,"name":`...)
		dst = appendString(dst, name)
		dst = append(dst, `,"active":`...)
		dst = appendBool(dst, pActive)
		dst = append(dst, `,"valid":`...)
		dst = appendPeriod(dst, pFrom, pTo)
		dst = append(dst, `,"person":{"hprNumber":`...)
		dst = appendInt(dst, h.number)
		dst = append(dst, `,"givenName":`...)
		dst = appendString(dst, h.given)
		if h.middle != "" {
			dst = append(dst, `,"middleName":`...)
			dst = appendString(dst, h.middle)
		}
		dst = append(dst, `,"familyName":`...)
		dst = appendString(dst, h.family)
		dst = append(dst, `},"electronicAddresses":[`...)
		if r.chance(0.05) {
			dst = appendElectronic(dst, eaEPO, slug(name)+"@"+slug(orgName)+".no")
		}
		dst = append(dst, `],"physicalAddresses":[`...)
		if r.chance(0.03) {
			dst = appendPhysical(dst, paRES, streetNames[(x.street+1)%len(streetNames)]+" "+itoa(1+r.intn(40)), "", x.muni, x.street)
		}
		dst = append(dst, ']')
	}
	dst = append(dst, `,"lastChanged":`...)
	dst = appendInstant(dst, randomDay(&r, max(validFrom, dayOf(2015, 1, 1)), refDay-1), r.intn(86_400))
	return append(dst, '}')
}

// arPerson returns the HPR index, activity and validity of the j-th person of
// block b. GP office persons are the doctors of the office's contracts; the
// others are HPR persons of a profession that fits the organisation.
func (w *world) arPerson(b *arBlock, j int) (int, bool, day, day) {
	if b.kind == arGP {
		for _, c := range w.offices[b.ref].contracts {
			ds := w.contracts[c].doctors
			if j < len(ds) {
				d := &ds[j]
				return d.slot, d.to == noDay || d.to >= refDay, d.from, d.to
			}
			j -= len(ds)
		}
		panic("BUG: AR GP person outside the office's doctors")
	}
	r := newRNG(w.seed, streamAR, uint64(b.first+1+b.services+j)<<8|0x3c)
	var want []string
	switch b.kind {
	case arKomm:
		want = []string{"LE", "SP", "HE"}
	case arOther:
		var x enhet
		w.deriveEnhet(b.enhet, &x)
		if x.kind >= 0 {
			want = healthKinds[x.kind].professions
		}
	}
	span := w.h - w.gpSlots
	i := w.gpSlots + r.intn(span)
	for try := 0; try < 30 && len(want) > 0; try++ {
		code := professions[w.hprProfession(i)].code
		ok := false
		for _, c := range want {
			ok = ok || c == code
		}
		if ok {
			break
		}
		i = w.gpSlots + r.intn(span)
	}
	from := randomDay(&r, dayOf(2008, 1, 1), refDay-30)
	return i, true, from, noDay
}

// arService returns the service code and name of the s-th service of block b
// (x is the block's enhet).
func (w *world) arService(b *arBlock, s int, x *enhet) (coded, string) {
	code, name := svcSaksbeh, "Saksbehandling pasientopplysninger"
	switch b.kind {
	case arGP:
		code, name = svcAllmennlege, "Fastlegetjeneste"
	case arHF:
		if s > 0 {
			name = reshDepartments[(b.ref*7+s)%len(reshDepartments)] + " – meldingsmottak"
		}
	case arKomm:
		switch s {
		case 0:
			code, name = svcAllmennlege, "Legevakt"
		case 2:
			code, name = svcBHT, "Bedriftshelsetjeneste"
		}
	case arOther:
		if x.kind >= 0 && (healthKinds[x.kind].professions[0] == "LE") {
			code, name = svcAllmennlege, "Allmennlege"
		}
	}
	return code, name
}

// arServiceOwnEDI says whether service record k has its own EDI address
// (and so its own certificates). It repeats the first draw appendAR makes
// for a service; TestCertificatesFollowAR keeps the two in step.
func (w *world) arServiceOwnEDI(k int) bool {
	r := newRNG(w.seed, streamAR, uint64(k)<<8|0xa5)
	return r.chance(0.15)
}
