package registry

// Orgnr is an Enhetsregisteret organisation number in its 9 ASCII digits.
type Orgnr [9]byte

// String returns the 9 digits.
func (o Orgnr) String() string { return string(o[:]) }

var orgW = [8]int{3, 2, 7, 6, 5, 4, 3, 2}

// ParseOrgnr validates b as an organisation number (9 digits, mod 11 with
// weights 3,2,7,6,5,4,3,2; a remainder that gives check digit 10 is never
// issued). It does not allocate. Numbers that do not start with 8 or 9 are
// valid here: Brreg issues those only to test and mock data, which is a data
// quality question, not a syntax one.
func ParseOrgnr(b []byte) (Orgnr, error) {
	var o Orgnr
	if len(b) == 0 {
		return o, errOrgEmpty
	}
	if len(b) != 9 {
		return o, errOrgLength
	}
	s := 0
	for i, c := range b {
		if c < '0' || c > '9' {
			return Orgnr{}, errOrgNonDigit
		}
		if i < 8 {
			s += orgW[i] * int(c-'0')
		}
		o[i] = c
	}
	k := (11 - s%11) % 11
	if k == 10 || byte(k) != b[8]-'0' {
		return Orgnr{}, errOrgCheck
	}
	return o, nil
}

// OrgnrCheckDigit returns the check digit for the first eight digits of d
// (values 0–9, not ASCII); ok is false when the remainder gives 10.
func OrgnrCheckDigit(d *[9]byte) (k byte, ok bool) {
	s := 0
	for i, w := range orgW {
		s += w * int(d[i])
	}
	c := (11 - s%11) % 11
	return byte(c), c != 10
}
