package synth

import "github.com/grunndata/grunndata/registry"

// Person numbers. Every generated number is a synthetic Tenor number (month
// + 80), so no real person's number can be produced. Within one birth date a
// number is chosen by a slot in [0, 800): slot/8 gives the first two digits of
// the individnummer and slot%8 picks the (slot%8)-th of the third digits 0–9
// whose 1964-rule check digits exist. At most two of the ten third digits are
// impossible (one makes k1 = 10, one k2 = 10), so eight always exist and the
// map from (date, D, slot) to numbers is injective.
//
// Slots in use: fødselsnummer born before 2000 use 0–399 (individnummer
// 000–499), born 2000 or later 400–799 (500–999), as the century rules say;
// D-number persons use 0–399, and the old D-number of a person who later got
// a fødselsnummer uses 400 + the fødselsnummer's slot. maxSlotsPerDay bounds
// the persons per birth date of one cohort.
const maxSlotsPerDay = 400

// makeNIN returns the ASCII digits of the number for a birth date, the D flag
// and a slot.
func makeNIN(birth day, dnr bool, slot int) [11]byte {
	_, m, d := birth.civil()
	y := birth.year()
	if dnr {
		d += 40
	}
	m += 80
	var n [11]byte
	n[0], n[1] = byte(d/10), byte(d%10)
	n[2], n[3] = byte(m/10), byte(m%10)
	n[4], n[5] = byte(y/10%10), byte(y%10)
	g := slot / 8
	n[6], n[7] = byte(g/10), byte(g%10)
	want := slot % 8
	for i3 := byte(0); i3 < 10; i3++ {
		n[8] = i3
		k1, k2, ok := registry.NINCheckDigits(&n)
		if !ok {
			continue
		}
		if want == 0 {
			n[9], n[10] = k1, k2
			for i := range n {
				n[i] += '0'
			}
			return n
		}
		want--
	}
	panic("BUG: fewer than eight valid individnummer in a group")
}

// Organisation numbers: a keyed permutation scatters record indices over
// orgnrSpace = 2 M seven-digit prefixes starting with 8 or 9 times nine valid
// eighth digits (of 0–9 at most one makes the check digit 10).
const orgnrSpace = 2_000_000 * 9

// orgnrOf returns the ASCII digits of the organisation number with global
// index k (enheter use their index, underenheter e + their index).
func (w *world) orgnrOf(k int) [9]byte {
	x := int(w.orgnr.at(uint64(k)))
	prefix := 8_000_000 + x/9 // 8000000–9999999
	want := x % 9
	var o [9]byte
	for i := 6; i >= 0; i-- {
		o[i] = byte(prefix % 10)
		prefix /= 10
	}
	for d8 := byte(0); d8 < 10; d8++ {
		o[7] = d8
		k, ok := registry.OrgnrCheckDigit(&o)
		if !ok {
			continue
		}
		if want == 0 {
			o[8] = k
			for i := range o {
				o[i] += '0'
			}
			return o
		}
		want--
	}
	panic("BUG: fewer than nine valid eighth digits")
}

func (w *world) enhetOrgnr(e int) [9]byte      { return w.orgnrOf(e) }
func (w *world) underenhetOrgnr(u int) [9]byte { return w.orgnrOf(w.e + u) }
