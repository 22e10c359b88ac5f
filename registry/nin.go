package registry

// NIN is a Norwegian person number in its 11 ASCII digits: fødselsnummer,
// D-number, H-number, felles hjelpenummer (AIN) or a synthetic test number.
type NIN [11]byte

// String returns the 11 digits. It allocates; keep it off hot paths and out of logs.
func (n NIN) String() string { return string(n[:]) }

// NINKind is the kind of a person number.
type NINKind uint8

// Kinds of person numbers. The synthetic kinds are Skatteetaten's Tenor
// test persons (month + 80); production never contains them.
const (
	NINInvalid NINKind = iota
	NINFnr             // fødselsnummer
	NINDnr             // D-number: day + 40
	NINHnr             // H-number (helsevesenets hjelpenummer): month + 40
	NINDnrHnr          // day + 40 and month + 40 (NAV Dolly test ids use this)
	NINTnr             // synthetic fødselsnummer: month + 80
	NINDnrTnr          // synthetic D-number: day + 40, month + 80
	NINAin             // felles hjelpenummer / AIN: first digit 8 or 9
)

var ninKindNames = [...]string{"unknown", "fnr", "dnr", "hnr", "dnr+hnr", "tnr", "dnr+tnr", "ain"}

// String returns the stable name printed by `grunndata id` and the API.
func (k NINKind) String() string {
	if int(k) < len(ninKindNames) {
		return ninKindNames[k]
	}
	return "unknown"
}

// Synthetic reports whether k is a Tenor test number (month + 80).
func (k NINKind) Synthetic() bool { return k == NINTnr || k == NINDnrTnr }

// NINInfo describes a valid person number.
type NINInfo struct {
	Kind NINKind
	// Rule2032 is set when the first check digit is valid only under the
	// rule Skatteetaten uses for numbers issued from 2032 (remainder 1–3).
	Rule2032 bool
}

// Check-digit weights (docs/data-formats.md §3.2).
var (
	ninW1 = [9]int{3, 7, 6, 1, 8, 9, 4, 5, 2}
	ninW2 = [10]int{5, 4, 3, 2, 7, 6, 5, 4, 3, 2}
)

// ParseNIN validates b as a person number and returns it with its kind. It
// does not allocate. Rules are checked in this order: empty, length,
// non-digit, date (not for AIN), first check digit, second check digit.
//
// Decisions (see nin_test.go): the century is never derived, so no number is
// refused for a birth date in the future (numbers issued under the 2032 rule
// and D-numbers since 2021 carry no century); 29 February is accepted in
// every year divisible by four including 00; month + 40 is reported as an
// H-number; AIN check digits follow the 1964 rule only.
func ParseNIN(b []byte) (NIN, NINInfo, error) {
	var n NIN
	if len(b) == 0 {
		return n, NINInfo{}, errNINEmpty
	}
	if len(b) != 11 {
		return n, NINInfo{}, errNINLength
	}
	for i, c := range b {
		if c < '0' || c > '9' {
			return NIN{}, NINInfo{}, errNINNonDigit // n holds digits up to i
		}
		n[i] = c - '0'
	}
	var info NINInfo
	if n[0] >= 8 {
		info.Kind = NINAin
	} else {
		day := int(n[0])*10 + int(n[1])
		month := int(n[2])*10 + int(n[3])
		yy := int(n[4])*10 + int(n[5])
		dnr := n[0] >= 4
		if dnr {
			day -= 40
		}
		switch {
		case n[2] <= 1:
			info.Kind = NINFnr
		case n[2] == 4 || n[2] == 5:
			month -= 40
			info.Kind = NINHnr
		case n[2] == 8 || n[2] == 9:
			month -= 80
			info.Kind = NINTnr
		default:
			return NIN{}, NINInfo{}, errNINDate
		}
		if dnr {
			info.Kind++ // NINFnr→NINDnr, NINHnr→NINDnrHnr, NINTnr→NINDnrTnr
		}
		if !validDate(day, month, yy) {
			return NIN{}, NINInfo{}, errNINDate
		}
	}
	s1 := 0
	for i, w := range ninW1 {
		s1 += w * int(n[i])
	}
	switch r := (s1 + int(n[9])) % 11; {
	case r == 0:
	case r <= 3 && info.Kind != NINAin:
		info.Rule2032 = true
	default:
		return NIN{}, NINInfo{}, errNINK1
	}
	s2 := 0
	for i, w := range ninW2 {
		s2 += w * int(n[i])
	}
	if (s2+int(n[10]))%11 != 0 {
		return NIN{}, NINInfo{}, errNINK2
	}
	for i := range n {
		n[i] += '0'
	}
	return n, info, nil
}

func validDate(day, month, yy int) bool {
	if month < 1 || month > 12 || day < 1 {
		return false
	}
	switch month {
	case 2:
		if yy%4 == 0 {
			return day <= 29
		}
		return day <= 28
	case 4, 6, 9, 11:
		return day <= 30
	}
	return day <= 31
}

// NINCheckDigits computes the two 1964-rule check digits for the first nine
// digits of d (values 0–9, not ASCII). ok is false when no valid check digit
// exists (a remainder that would make a check digit 10).
func NINCheckDigits(d *[11]byte) (k1, k2 byte, ok bool) {
	s1 := 0
	for i, w := range ninW1 {
		s1 += w * int(d[i])
	}
	c1 := (11 - s1%11) % 11
	if c1 == 10 {
		return 0, 0, false
	}
	s2 := 0
	for i, w := range ninW2[:9] {
		s2 += w * int(d[i])
	}
	s2 += ninW2[9] * c1
	c2 := (11 - s2%11) % 11
	if c2 == 10 {
		return 0, 0, false
	}
	return byte(c1), byte(c2), true
}
