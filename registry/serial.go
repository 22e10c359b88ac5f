package registry

// Upper bounds of the serial identifiers. HER-id, RESH-id and HPR-number are
// `int` (32-bit signed) in NHN's SOAP contracts; the GP contract id is `long`.
const (
	MaxHerID      = 1<<31 - 1
	MaxReshID     = 1<<31 - 1
	MaxHPR        = 1<<31 - 1
	MaxGPContract = 1<<63 - 1
)

// ParseSerial validates b as a serial identifier of type t (HER-id, RESH-id,
// HPR-number or GP contract id): a positive decimal integer without sign,
// leading zeros or check digit, within the type's bound. It does not allocate.
// Rules are checked in this order: empty, non-digit, range (zero), leading
// zero, range (above the bound), whatever the length of b.
func ParseSerial(t IDType, b []byte) (uint64, error) {
	var max uint64
	switch t {
	case IDHerID:
		max = MaxHerID
	case IDReshID:
		max = MaxReshID
	case IDHPR:
		max = MaxHPR
	case IDGPContract:
		max = MaxGPContract
	default:
		panic("BUG: ParseSerial called with non-serial type " + t.String())
	}
	errs := idErrs[t]
	if len(b) == 0 {
		return 0, errs[RuleEmpty]
	}
	if len(b) > 19 {
		// Too long for uint64, but report the same rule as a short value
		// would: non-digit, then zero (range), then leading zero, then range.
		nonzero := false
		for _, c := range b {
			if c < '0' || c > '9' {
				return 0, errs[RuleNonDigit]
			}
			nonzero = nonzero || c != '0'
		}
		if b[0] == '0' && nonzero {
			return 0, errs[RuleLeadingZero]
		}
		return 0, errs[RuleRange]
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, errs[RuleNonDigit]
		}
		v = v*10 + uint64(c-'0')
	}
	if b[0] == '0' {
		if v == 0 {
			return 0, errs[RuleRange]
		}
		return 0, errs[RuleLeadingZero]
	}
	if v > max {
		return 0, errs[RuleRange]
	}
	return v, nil
}
