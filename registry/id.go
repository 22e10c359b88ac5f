package registry

// Rule names the identifier rule that a value failed. The strings are stable:
// the HTTP API returns them in problem bodies and `grunndata id` prints them.
type Rule string

// The rules an identifier can fail.
const (
	RuleEmpty       Rule = "empty"
	RuleLength      Rule = "length"
	RuleNonDigit    Rule = "non-digit"
	RuleLeadingZero Rule = "leading-zero"
	RuleRange       Rule = "range"
	RuleDate        Rule = "date"
	RuleCheckDigit1 Rule = "first-check-digit"
	RuleCheckDigit2 Rule = "second-check-digit"
	RuleCheckDigit  Rule = "check-digit"
)

// IDType is the family of an identifier, as the API and the CLI name it.
type IDType uint8

// Identifier families.
const (
	IDUnknown    IDType = iota
	IDNIN               // fødselsnummer, D-number, H-number, AIN, synthetic
	IDOrgnr             // organisasjonsnummer
	IDHerID             // Adresseregisteret HER-id
	IDReshID            // RESH-id
	IDHPR               // HPR-number
	IDGPContract        // Fastlegeregisteret contract id
)

var idTypeNames = [...]string{"unknown", "nin", "orgnr", "herid", "reshid", "hpr", "gpcontract"}

// String returns the stable lowercase name of t.
func (t IDType) String() string {
	if int(t) < len(idTypeNames) {
		return idTypeNames[t]
	}
	return "unknown"
}

// IDError is the error for a malformed identifier. Values are preallocated
// (see idErr) so that returning one never allocates; treat them as read-only.
type IDError struct {
	Type IDType
	Rule Rule
	msg  string
}

// Error implements error.
func (e *IDError) Error() string { return e.msg }

// Is makes errors.Is(err, ErrInvalidID) true for every *IDError.
func (e *IDError) Is(target error) bool { return target == ErrInvalidID }

var allRules = [...]Rule{RuleEmpty, RuleLength, RuleNonDigit, RuleLeadingZero, RuleRange, RuleDate,
	RuleCheckDigit1, RuleCheckDigit2, RuleCheckDigit}

// idErrs holds one preallocated *IDError per (type, rule).
var idErrs = func() map[IDType]map[Rule]*IDError {
	m := make(map[IDType]map[Rule]*IDError)
	for t := IDUnknown; t <= IDGPContract; t++ {
		m[t] = make(map[Rule]*IDError)
		for _, r := range allRules {
			m[t][r] = &IDError{Type: t, Rule: r, msg: "invalid " + t.String() + ": " + string(r)}
		}
	}
	return m
}()

// Direct pointers for the hot paths (map lookups are cheap but these are free).
var (
	errNINEmpty    = idErrs[IDNIN][RuleEmpty]
	errNINLength   = idErrs[IDNIN][RuleLength]
	errNINNonDigit = idErrs[IDNIN][RuleNonDigit]
	errNINDate     = idErrs[IDNIN][RuleDate]
	errNINK1       = idErrs[IDNIN][RuleCheckDigit1]
	errNINK2       = idErrs[IDNIN][RuleCheckDigit2]

	errOrgEmpty    = idErrs[IDOrgnr][RuleEmpty]
	errOrgLength   = idErrs[IDOrgnr][RuleLength]
	errOrgNonDigit = idErrs[IDOrgnr][RuleNonDigit]
	errOrgCheck    = idErrs[IDOrgnr][RuleCheckDigit]
)

// IDErr returns the preallocated error for type t failing rule r.
func IDErr(t IDType, r Rule) *IDError { return idErrs[t][r] }
