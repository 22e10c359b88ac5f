package synth

// Helsepersonellregisteret persons in the docs/formats.md JSON-lines model.

var professionTotal = sumWeights(professions, func(p *profession) int { return p.weight })

const profLE = 2 // index of LE in professions

func init() {
	if professions[profLE].code != "LE" {
		panic("BUG: professions[profLE] is not LE")
	}
}

// hprProfession returns the primary profession (index in professions) of
// HPR index i; it is the first draw of the HPR rng.
func (w *world) hprProfession(i int) int {
	if i < w.gpSlots {
		return profLE
	}
	r := newRNG(w.seed, streamHPR, uint64(i))
	return pickWeighted(&r, professions, func(p *profession) int { return p.weight }, professionTotal)
}

type hprPerson struct {
	number                int
	hasNIN                bool
	nin                   [11]byte
	given, middle, family string
	birth                 day
	male                  bool
}

// deriveHPRPerson returns the identity of HPR index i: a Freg person's number,
// name, birth date and gender, or a foreign identity without a number.
func (w *world) deriveHPRPerson(i int, p *person) hprPerson {
	h := hprPerson{number: w.hprNumberOf(i)}
	if d := w.hprSlot(i); d >= 0 {
		w.derivePerson(w.designatedOrdinal(d), p)
		h.hasNIN, h.nin = true, p.nin
		h.given, h.middle, h.family = p.given, p.middle, p.family
		h.birth, h.male = p.birth, p.male
		return h
	}
	r := newRNG(w.seed, streamHPR, uint64(i)^1<<40)
	fs := &foreignNames[r.intn(len(foreignNames))]
	h.male = r.chance(0.5)
	if h.male {
		h.given = fs.male[r.intn(len(fs.male))]
	} else {
		h.given = fs.female[r.intn(len(fs.female))]
	}
	h.family = fs.family[r.intn(len(fs.family))]
	h.birth = randomDay(&r, dayOf(1955, 1, 1), dayOf(1996, 12, 31))
	return h
}

type approval struct {
	prof     int
	auth     coded
	from, to day
	ended    bool
	spec     *coded
	specFrom day
	req      bool
	addComp  bool
	suspFrom day
	suspTo   day
	// A suspension of the requisition right (reqSuspFrom noDay: none).
	reqSuspFrom, reqSuspTo day
}

func (w *world) appendHPR(dst []byte, i int) []byte {
	var p person
	h := w.deriveHPRPerson(i, &p)
	r := newRNG(w.seed, streamHPR, uint64(i))
	prof := w.hprProfession(i)
	if i >= w.gpSlots {
		r.next() // the profession draw
	}
	gp := i < w.gpSlots

	var aps [3]approval
	n := 0
	age25 := addYears(h.birth, 25)
	first := randomDay(&r, min(age25, refDay-400), min(addYears(h.birth, 31), refDay-200))
	main := approval{prof: prof, auth: authAutorisasjon, from: first, to: noDay, suspFrom: noDay, suspTo: noDay,
		reqSuspFrom: noDay, reqSuspTo: noDay}
	if gp {
		// The authorisation precedes the doctor's first day on a list.
		main.from = min(main.from, w.gpFirstDay(i)-day(30+r.intn(700)))
	}
	if prof == profLE {
		if !gp && h.birth > addYears(refDay, -28) {
			main.auth = authLIS1
			main.to = main.from + 365 + day(r.intn(365))
		} else if r.chance(0.35) {
			prev := approval{prof: prof, auth: authTurnuslisens, from: main.from - 540, to: main.from - 1, ended: true,
				suspFrom: noDay, suspTo: noDay, reqSuspFrom: noDay, reqSuspTo: noDay}
			if main.from > dayOf(2013, 1, 1) {
				prev.auth = authLIS1
			}
			aps[n] = prev
			n++
		}
		main.req = true
		switch {
		case gp && r.chance(0.85):
			main.spec, main.specFrom = &specAllmenn, min(main.from+5*365+day(r.intn(700)), refDay-30)
		case !gp && main.auth != authLIS1 && r.chance(0.55):
			main.spec = [...]*coded{&specAllmenn, &specAllmenn, &specPsykiatri, &specOrtopedisk}[r.intn(4)]
			main.specFrom = min(main.from+5*365+day(r.intn(900)), refDay-30)
		}
		main.addComp = gp && main.spec != nil && r.chance(0.4)
	} else {
		if professions[prof].code == "TL" {
			main.req = true
		}
		switch u := r.intn(1000); {
		case u < 30:
			main.auth = authLisens
			main.to = main.from + day(365*r.between(1, 3))
		case u < 40:
			main.auth = authMedVilkaar
		case u < 50:
			main.auth = authMidlertidig
			main.to = main.from + 365
		case u < 60 && h.birth > addYears(refDay, -32):
			main.auth = authStudentlisens
			main.to = main.from + 365
		}
	}
	if !gp {
		if r.chance(0.015) {
			main.ended = true
			main.to = randomDay(&r, main.from+365, refDay-1)
		}
		if r.chance(0.004) {
			main.suspFrom = randomDay(&r, main.from, refDay-30)
			if r.chance(0.6) {
				main.suspTo = randomDay(&r, main.suspFrom+30, main.suspFrom+400)
			}
		}
	}
	// History drawn from a stream of its own, so that the draws above (and
	// every record without history) stay as they were: a licence before the
	// authorisation (health workers educated abroad work on a lisens until
	// authorised) and a suspended requisition right.
	hr := newRNG(w.seed, streamHPR, uint64(i)^2<<40)
	if !gp && prof != profLE && main.auth == authAutorisasjon && !main.ended && hr.chance(0.06) {
		start := main.from - day(365*hr.between(1, 2)) - day(hr.intn(120))
		aps[n] = approval{prof: prof, auth: authLisens, from: start, to: main.from - 1, ended: true,
			suspFrom: noDay, suspTo: noDay, reqSuspFrom: noDay, reqSuspTo: noDay}
		n++
	}
	if !gp && main.req && main.auth == authAutorisasjon && hr.chance(0.02) {
		main.reqSuspFrom = randomDay(&hr, min(main.from+365, refDay-60), refDay-30)
		if hr.chance(0.6) {
			main.reqSuspTo = randomDay(&hr, main.reqSuspFrom+90, main.reqSuspFrom+720)
		}
	}
	aps[n] = main
	n++
	if !gp {
		code := professions[prof].code
		second := -1
		switch {
		case (code == "HF" || code == "HP" || code == "OA") && r.chance(0.12):
			second = 0 // SP
		case code == "SP" && r.chance(0.04):
			second = indexOfProfession("JO")
		}
		if second >= 0 {
			from := randomDay(&r, min(main.from+2*365, refDay-60), refDay-30)
			aps[n] = approval{prof: second, auth: authAutorisasjon, from: from, to: noDay, suspFrom: noDay, suspTo: noDay,
				reqSuspFrom: noDay, reqSuspTo: noDay}
			n++
		}
	}

	dst = append(dst, `{"hprNumber":`...)
	dst = appendInt(dst, h.number)
	dst = append(dst, `,"nin":`...)
	if h.hasNIN {
		dst = appendDigits(dst, h.nin[:])
	} else {
		dst = append(dst, "null"...)
	}
	dst = append(dst, `,"givenName":`...)
	dst = appendString(dst, h.given)
	dst = append(dst, `,"middleName":`...)
	if h.middle != "" {
		dst = appendString(dst, h.middle)
	} else {
		dst = append(dst, "null"...)
	}
	dst = append(dst, `,"familyName":`...)
	dst = appendString(dst, h.family)
	dst = append(dst, `,"birthDate":`...)
	dst = appendDate(dst, h.birth)
	dst = append(dst, `,"gender":`...)
	if h.male {
		dst = appendCoded(dst, genderMann)
	} else {
		dst = appendCoded(dst, genderKvinne)
	}
	dst = append(dst, `,"lastUpdated":`...)
	dst = appendInstant(dst, randomDay(&r, max(aps[n-1].from, dayOf(2015, 1, 1)), refDay-1), r.intn(86_400))
	dst = append(dst, `,"approvals":[`...)
	for k := 0; k < n; k++ {
		a := &aps[k]
		if k > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"id":`...)
		dst = appendInt(dst, 40_000_000+i*4+k)
		dst = append(dst, `,"profession":`...)
		dst = appendCoded(dst, professions[a.prof].coded)
		dst = append(dst, `,"authorization":`...)
		dst = appendCoded(dst, a.auth)
		dst = append(dst, `,"valid":`...)
		dst = appendPeriod(dst, a.from, a.to)
		dst = append(dst, `,"ended":`...)
		dst = appendBool(dst, a.ended)
		dst = append(dst, `,"specialities":[`...)
		if a.spec != nil {
			dst = append(dst, `{"type":`...)
			dst = appendCoded(dst, *a.spec)
			dst = append(dst, `,"valid":`...)
			dst = appendPeriod(dst, a.specFrom, noDay)
			dst = append(dst, `,"suspensions":[]}`...)
		}
		dst = append(dst, `],"requisitionRights":[`...)
		if a.req {
			dst = append(dst, `{"type":`...)
			dst = appendCoded(dst, reqFull)
			dst = append(dst, `,"valid":`...)
			dst = appendPeriod(dst, a.from, a.to)
			dst = append(dst, `,"suspensions":[`...)
			if a.reqSuspFrom != noDay {
				dst = appendPeriod(dst, a.reqSuspFrom, a.reqSuspTo)
			}
			dst = append(dst, "]}"...)
		}
		dst = append(dst, `],"additionalCompetences":[`...)
		if a.addComp {
			dst = append(dst, `{"type":`...)
			dst = appendCoded(dst, addTrygderefu)
			dst = append(dst, `,"valid":`...)
			dst = appendPeriod(dst, a.specFrom, noDay)
			dst = append(dst, '}')
		}
		dst = append(dst, `],"suspensions":[`...)
		if a.suspFrom != noDay {
			dst = appendPeriod(dst, a.suspFrom, a.suspTo)
		}
		dst = append(dst, "]}"...)
	}
	return append(dst, "]}"...)
}

func indexOfProfession(code string) int {
	for i := range professions {
		if professions[i].code == code {
			return i
		}
	}
	panic("BUG: unknown profession " + code)
}
