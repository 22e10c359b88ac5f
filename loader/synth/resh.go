package synth

import (
	"fmt"
	"strings"
	"unicode"
)

// RESH: RHF → HF → institution (sykehus, klinikk, DPS) → avdeling → seksjon,
// built once into memory (≈15 k units at national size) in depth-first
// order, so parents precede children in the file.

type reshUnit struct {
	parent     int // index, -1 for the RHF roots
	level, des coded
	name       string
	hf         int // HF index (institutions and below), -1 otherwise
	enhet      int // enhet index for organizationNumber, -1
	underenhet int // underenhet index for organizationNumber, -1
	muni       int
	from, to   day
	services   []coded // service types; only with Config.ReshNonLeafServices
}

func (w *world) reshID(i int) int { return 100_000 + i }

func jitter(r *rng, base int) int {
	return max(1, base+r.between(-base/3, base/3))
}

var smallWords = map[string]bool{"i": true, "og": true, "for": true, "på": true, "av": true, "med": true, "til": true}
var upperWords = map[string]bool{"hf": true, "rhf": true, "as": true, "asa": true, "ans": true, "da": true,
	"nuf": true, "sa": true, "dps": true, "iks": true, "avd": false}

// titleCase turns Brreg's upper-case names into the mixed case NHN registers use.
func titleCase(s string) string {
	words := strings.Fields(strings.ToLower(s))
	for i, wd := range words {
		switch {
		case upperWords[wd]:
			words[i] = strings.ToUpper(wd)
		case i > 0 && smallWords[wd]:
		default:
			rs := []rune(wd)
			up := true
			for j, c := range rs {
				if up {
					rs[j] = unicode.ToUpper(c)
				}
				up = c == '-' || c == '.' || c == '/'
			}
			words[i] = string(rs)
		}
	}
	return strings.Join(words, " ")
}

func (w *world) buildResh() {
	r := newRNG(w.seed, streamRESH, 0)
	add := func(u reshUnit) int {
		w.resh = append(w.resh, u)
		return len(w.resh) - 1
	}
	for ri, rh := range rhfs {
		root := add(reshUnit{parent: -1, level: levRHF, des: desAnnet, name: titleCase(rh.name), hf: -1, enhet: ri,
			underenhet: -1, muni: muniIndex(rh.muni), from: dayOf(2002, 1, 1), to: noDay})
		for hi, hf := range hfs {
			if hf.rhf != ri {
				continue
			}
			hfMuni := muniIndex(hf.muni)
			hu := add(reshUnit{parent: root, level: levHF, des: desAnnet, name: titleCase(hf.name), hf: hi,
				enhet: firstHF + hi, underenhet: -1, muni: hfMuni, from: dayOf(2002, 1, 1), to: noDay})
			ni := jitter(&r, w.p.ReshInst)
			for k := 0; k < ni; k++ {
				m := hfMuni
				if k > 0 {
					for try := 0; try < 20; try++ {
						m = r.intn(len(municipalities))
						if municipalities[m].region == municipalities[hfMuni].region {
							break
						}
					}
				}
				place := titleCase(municipalities[m].name)
				des, name := desSykehus, place+" sykehus"
				switch {
				case k == 0:
				case r.chance(0.3):
					des, name = desDPS, place+" DPS"
				case r.chance(0.3):
					des, name = desKlinikk, "Klinikk "+place
				}
				if k > 0 && r.chance(0.5) {
					name = titleCase(strings.TrimSuffix(hf.name, " HF")) + ", " + name
				}
				iu := add(reshUnit{parent: hu, level: levInstitusjon, des: des, name: name, hf: hi, enhet: -1,
					underenhet: len(w.inst), muni: m, from: randomDay(&r, dayOf(2002, 1, 1), dayOf(2012, 1, 1)), to: noDay})
				w.inst = append(w.inst, iu)
				na := jitter(&r, w.p.ReshAvd)
				first := r.intn(len(reshDepartments))
				for a := 0; a < na; a++ {
					dept := reshDepartments[(first+a)%len(reshDepartments)]
					if a >= len(reshDepartments) {
						dept += " " + itoa(a/len(reshDepartments)+1)
					}
					ades := desAvdeling
					if r.chance(0.15) {
						ades = desKlinikk
					}
					au := add(reshUnit{parent: iu, level: levAnnet, des: ades, name: dept, hf: hi, enhet: -1, underenhet: -1,
						muni: m, from: randomDay(&r, w.resh[iu].from, dayOf(2020, 1, 1)), to: noDay})
					ns := jitter(&r, w.p.ReshSeks)
					for s := 0; s < ns; s++ {
						kind := r.intn(len(reshSections))
						sdes := desSeksjon
						switch reshSections[kind] {
						case "sengepost":
							sdes = desPost
						case "poliklinikk":
							sdes = desPoliklinikk
						}
						to := noDay
						from := randomDay(&r, w.resh[au].from, refDay-60)
						if r.chance(0.03) {
							to = randomDay(&r, from+30, refDay-1)
						}
						add(reshUnit{parent: au, level: levAnnet, des: sdes, name: dept + ", " + reshSections[kind] + " " + itoa(s+1),
							hf: hi, enhet: -1, underenhet: -1, muni: m, from: from, to: to})
					}
				}
			}
		}
	}
}

// reshNonLeafServices gives the first n units that have child units (in
// file order) one service each: violations of the leaf-node rule on
// request (Config.ReshNonLeafServices).
func (w *world) reshNonLeafServices(n int) error {
	if n < 0 {
		return fmt.Errorf("RESH non-leaf services %d: must be ≥ 0", n)
	}
	if n == 0 {
		return nil
	}
	parent := make([]bool, len(w.resh))
	for _, u := range w.resh {
		if u.parent >= 0 {
			parent[u.parent] = true
		}
	}
	for i := range w.resh {
		if n == 0 {
			return nil
		}
		if parent[i] {
			w.resh[i].services = []coded{svcSaksbeh}
			n--
		}
	}
	return fmt.Errorf("RESH non-leaf services: %d more than the %s preset's units with children", n, w.p.Name)
}

func (w *world) appendResh(dst []byte, i int) []byte {
	u := &w.resh[i]
	dst = append(dst, `{"reshId":`...)
	dst = appendInt(dst, w.reshID(i))
	dst = append(dst, `,"name":`...)
	dst = appendString(dst, u.name)
	dst = append(dst, `,"parentReshId":`...)
	if u.parent < 0 {
		dst = append(dst, "null"...)
	} else {
		dst = appendInt(dst, w.reshID(u.parent))
	}
	switch {
	case u.enhet >= 0:
		o := w.enhetOrgnr(u.enhet)
		dst = append(dst, `,"organizationNumber":`...)
		dst = appendDigits(dst, o[:])
	case u.underenhet >= 0:
		o := w.underenhetOrgnr(u.underenhet)
		dst = append(dst, `,"organizationNumber":`...)
		dst = appendDigits(dst, o[:])
	}
	dst = append(dst, `,"level":`...)
	dst = appendCoded(dst, u.level)
	dst = append(dst, `,"designation":`...)
	dst = appendCoded(dst, u.des)
	dst = append(dst, `,"municipality":`...)
	dst = appendMunicipality(dst, u.muni)
	dst = append(dst, `,"valid":`...)
	dst = appendPeriod(dst, u.from, u.to)
	dst = append(dst, `,"active":`...)
	dst = appendBool(dst, u.to == noDay)
	if len(u.services) > 0 {
		dst = append(dst, `,"services":[`...)
		for k, c := range u.services {
			if k > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"code":`...)
			dst = appendCoded(dst, c)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	return append(dst, '}')
}

func appendMunicipality(dst []byte, m int) []byte {
	return appendCoded(dst, coded{3402, municipalities[m].code, municipalities[m].name})
}
