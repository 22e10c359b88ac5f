package registry_test

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grunndata/grunndata/registry"
)

// This file holds a slow reference implementation of the identifier rules,
// written from docs/data-formats.md §3 without looking at the fast parsers:
// strconv for digits, the check-digit formulas as the sources state them
// (k = 11 − Σ mod 11 and the 2032 candidate set), time.Date round trips for
// dates, and the classification order of §3.8. The fuzz targets check that
// the fast parsers agree with it on every input.

// refNIN is the reference outcome for a person number: rule is empty when
// the number is valid.
type refNIN struct {
	kind     string
	rule2032 bool
	rule     registry.Rule
}

func refDigit(s string, i int) int {
	d, err := strconv.Atoi(s[i : i+1])
	if err != nil {
		panic("BUG: refDigit on non-digit " + strconv.Quote(s))
	}
	return d
}

// refDateExists reports whether day.month.yy is a calendar date in any
// century a number can be from; we never pick the century (§3.3, §3.4).
func refDateExists(day, month, yy int) bool {
	for _, century := range []int{1800, 1900, 2000} {
		y := century + yy
		t := time.Date(y, time.Month(month), day, 12, 0, 0, 0, time.UTC)
		if t.Year() == y && int(t.Month()) == month && t.Day() == day {
			return true
		}
	}
	return false
}

func refParseNIN(s string) refNIN {
	if s == "" {
		return refNIN{rule: registry.RuleEmpty}
	}
	if len(s) != 11 {
		return refNIN{rule: registry.RuleLength}
	}
	// Base 10 ParseUint takes no sign, no underscores, no spaces; 11 digits
	// never overflow, so an error means a byte that is not an ASCII digit.
	if _, err := strconv.ParseUint(s, 10, 64); err != nil {
		return refNIN{rule: registry.RuleNonDigit}
	}

	// §3.8 step 2: FH-number (AIN), checksums only, 1964 rule only.
	ain := refDigit(s, 0) >= 8
	var r refNIN
	if ain {
		r.kind = "ain"
	} else {
		day, _ := strconv.Atoi(s[0:2])
		month, _ := strconv.Atoi(s[2:4])
		yy, _ := strconv.Atoi(s[4:6])
		dnr := refDigit(s, 0) >= 4 // §3.8 step 3: day + 40
		if dnr {
			day -= 40
		}
		var base string
		switch { // §3.8 step 4
		case month >= 81 && month <= 92:
			base, month = "tnr", month-80
		case month >= 41 && month <= 52:
			base, month = "hnr", month-40
		case month >= 1 && month <= 12:
			base = "fnr"
		default:
			return refNIN{rule: registry.RuleDate}
		}
		switch {
		case dnr && base == "fnr":
			r.kind = "dnr"
		case dnr:
			r.kind = "dnr+" + base
		default:
			r.kind = base
		}
		if !refDateExists(day, month, yy) {
			return refNIN{rule: registry.RuleDate}
		}
	}

	// §3.2 and §3.3: check digits.
	w1 := []int{3, 7, 6, 1, 8, 9, 4, 5, 2}
	sum1 := 0
	for i, w := range w1 {
		sum1 += w * refDigit(s, i)
	}
	k1 := refDigit(s, 9)
	if c := 11 - sum1%11; c%11 != k1 { // 11 → 0; 10 never matches a digit
		if ain {
			return refNIN{rule: registry.RuleCheckDigit1}
		}
		ok := false
		for _, base := range []int{12, 13, 14} {
			c := base - sum1%11
			if c > 10 {
				c -= 11
			}
			if c != 10 && c == k1 {
				ok = true
			}
		}
		if !ok {
			return refNIN{rule: registry.RuleCheckDigit1}
		}
		r.rule2032 = true
	}
	w2 := []int{5, 4, 3, 2, 7, 6, 5, 4, 3, 2}
	sum2 := 0
	for i, w := range w2 {
		sum2 += w * refDigit(s, i)
	}
	k2 := 11 - sum2%11
	if k2 == 11 {
		k2 = 0
	}
	if k2 == 10 || k2 != refDigit(s, 10) {
		return refNIN{rule: registry.RuleCheckDigit2}
	}
	return r
}

// refParseOrgnr returns the failing rule, empty when s is valid (§3.9).
func refParseOrgnr(s string) registry.Rule {
	if s == "" {
		return registry.RuleEmpty
	}
	if len(s) != 9 {
		return registry.RuleLength
	}
	if _, err := strconv.ParseUint(s, 10, 64); err != nil {
		return registry.RuleNonDigit
	}
	sum := 0
	for i, w := range []int{3, 2, 7, 6, 5, 4, 3, 2} {
		sum += w * refDigit(s, i)
	}
	k := 11 - sum%11
	if k == 11 {
		k = 0
	}
	if k == 10 || k != refDigit(s, 8) {
		return registry.RuleCheckDigit
	}
	return ""
}

var refSerialMax = map[registry.IDType]uint64{
	registry.IDHerID:      math.MaxInt32, // int in NHN's contracts
	registry.IDReshID:     math.MaxInt32,
	registry.IDHPR:        math.MaxInt32,
	registry.IDGPContract: math.MaxInt64, // long
}

// refParseSerial returns the value and the failing rule (empty when valid):
// a positive decimal integer, no sign, no leading zero, within the bound.
// Rules in order: empty, non-digit, range for zero, leading-zero, range.
func refParseSerial(t registry.IDType, s string) (uint64, registry.Rule) {
	if s == "" {
		return 0, registry.RuleEmpty
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r < '0' || r > '9' }) {
		return 0, registry.RuleNonDigit
	}
	if strings.TrimLeft(s, "0") == "" {
		return 0, registry.RuleRange // zero is not a serial number
	}
	if s[0] == '0' {
		return 0, registry.RuleLeadingZero
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || v > refSerialMax[t] {
		return 0, registry.RuleRange
	}
	return v, ""
}

// ruleOf returns the rule of an *IDError, "" for nil.
func ruleOf(err error) registry.Rule {
	if err == nil {
		return ""
	}
	var ie *registry.IDError
	if !errors.As(err, &ie) {
		return registry.Rule("not an *IDError: " + err.Error())
	}
	return ie.Rule
}

// checkIDError checks the shape every parser error must have.
func checkIDError(t *testing.T, err error, typ registry.IDType) {
	t.Helper()
	var ie *registry.IDError
	if !errors.As(err, &ie) || !errors.Is(err, registry.ErrInvalidID) {
		t.Fatalf("error %v (%T) is not an *IDError matching ErrInvalidID", err, err)
	}
	if ie.Type != typ {
		t.Fatalf("error %v has type %s; want %s", err, ie.Type, typ)
	}
	if ie != registry.IDErr(typ, ie.Rule) {
		t.Fatalf("error %v is not the preallocated one", err)
	}
	if want := "invalid " + typ.String() + ": " + string(ie.Rule); err.Error() != want {
		t.Fatalf("error message %q; want %q", err.Error(), want)
	}
}

// ninEdgeSeeds are inputs the vector files do not reach: lengths around 11,
// non-ASCII bytes, zeros, nines and Tenor-style numbers (month + 80).
var ninEdgeSeeds = []string{
	"", "0", "0000000000", "00000000000", "99999999999", "000000000000",
	"01018012345", "0101801234\x00", "０1018012345", "\xff\xfe0101801234",
	"29028000000", "29028100000", "31048000000", "71928000000", "40818000000",
	"01528000000", "01608000000", "01208000000", "01938000000",
	"01018099999", "+1018012345", "-1018012345", " 1018012345",
}

func FuzzParseNIN(f *testing.F) {
	for _, row := range readVectorCSV(f, "fnr_vectors_compiled.csv") {
		f.Add([]byte(row["value"]))
	}
	for _, row := range readVectorCSV(f, "skatteetaten_foedselsnummer_2032.csv") {
		f.Add([]byte(row["fødselsnummer"]))
	}
	for _, g := range readMikaello(f) {
		for _, id := range g.ids[:min(len(g.ids), 20)] {
			f.Add([]byte(id))
		}
	}
	for _, s := range ninEdgeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		in := string(b)
		n, info, err := registry.ParseNIN(b)
		if string(b) != in {
			t.Fatalf("ParseNIN modified its input")
		}
		ref := refParseNIN(in)
		if got := ruleOf(err); got != ref.rule {
			t.Fatalf("ParseNIN(%q) rule %q; reference %q", in, got, ref.rule)
		}
		if err != nil {
			checkIDError(t, err, registry.IDNIN)
			if n != (registry.NIN{}) || info != (registry.NINInfo{}) {
				t.Fatalf("ParseNIN(%q) returned %q, %+v with an error", in, n[:], info)
			}
			return
		}
		if n.String() != in {
			t.Fatalf("ParseNIN(%q) = %q", in, n.String())
		}
		if info.Kind.String() != ref.kind || info.Rule2032 != ref.rule2032 {
			t.Fatalf("ParseNIN(%q) = %s 2032=%v; reference %s 2032=%v",
				in, info.Kind, info.Rule2032, ref.kind, ref.rule2032)
		}
		if !info.Rule2032 {
			var d [11]byte
			for i := range 9 {
				d[i] = b[i] - '0'
			}
			k1, k2, ok := registry.NINCheckDigits(&d)
			if !ok || '0'+k1 != b[9] || '0'+k2 != b[10] {
				t.Fatalf("NINCheckDigits(%s) = %d, %d, %v for a valid 1964-rule number", in[:9], k1, k2, ok)
			}
		}
	})
}

func FuzzParseOrgnr(f *testing.F) {
	for _, row := range readVectorCSV(f, "orgnr_vectors_compiled.csv") {
		f.Add([]byte(row["value"]))
	}
	for _, s := range []string{"0", "000000000", "999999999", "00000000", "0000000000",
		"12345678\x00", "１2345678", "+23456785", "-23456785", " 23456785", "123456785 "} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		in := string(b)
		o, err := registry.ParseOrgnr(b)
		ref := refParseOrgnr(in)
		if got := ruleOf(err); got != ref {
			t.Fatalf("ParseOrgnr(%q) rule %q; reference %q", in, got, ref)
		}
		if err != nil {
			checkIDError(t, err, registry.IDOrgnr)
			if o != (registry.Orgnr{}) {
				t.Fatalf("ParseOrgnr(%q) returned %q with an error", in, o[:])
			}
			return
		}
		if o.String() != in {
			t.Fatalf("ParseOrgnr(%q) = %q", in, o.String())
		}
		var d [9]byte
		for i := range 8 {
			d[i] = b[i] - '0'
		}
		if k, ok := registry.OrgnrCheckDigit(&d); !ok || '0'+k != b[8] {
			t.Fatalf("OrgnrCheckDigit(%s) = %d, %v for a valid number", in[:8], k, ok)
		}
	})
}

var serialTypes = [...]registry.IDType{registry.IDHerID, registry.IDReshID, registry.IDHPR, registry.IDGPContract}

// serialEdgeSeeds sit on the bounds and the rule boundaries.
var serialEdgeSeeds = []string{
	"", "0", "00", "1", "01", "0001", "10", "-1", "+1", " 1", "1 ", "1_000", "0x10", "1e3", "１",
	"2147483647", "2147483648", "02147483647", "4294967295", "4294967296",
	"9223372036854775807", "9223372036854775808", "09223372036854775807",
	"18446744073709551615", "18446744073709551616", "99999999999999999999",
	"0000000000000000000000001", "00000000000000000000000000", "1000000000000000000000000",
	"100000000000000000000000a",
}

func FuzzParseSerial(f *testing.F) {
	for _, s := range serialEdgeSeeds {
		for i := range serialTypes {
			f.Add(uint8(i), []byte(s))
		}
	}
	for _, row := range readVectorCSV(f, "orgnr_vectors_compiled.csv") {
		f.Add(uint8(0), []byte(row["value"]))
	}
	f.Fuzz(func(t *testing.T, ti uint8, b []byte) {
		typ := serialTypes[int(ti)%len(serialTypes)]
		in := string(b)
		v, err := registry.ParseSerial(typ, b)
		refV, ref := refParseSerial(typ, in)
		if got := ruleOf(err); got != ref {
			t.Fatalf("ParseSerial(%s, %q) rule %q; reference %q", typ, in, got, ref)
		}
		if err != nil {
			checkIDError(t, err, typ)
			if v != 0 {
				t.Fatalf("ParseSerial(%s, %q) = %d with an error", typ, in, v)
			}
			return
		}
		if v != refV {
			t.Fatalf("ParseSerial(%s, %q) = %d; reference %d", typ, in, v, refV)
		}
	})
}

// TestParseNINAgreesWithReference sweeps what random fuzzing rarely reaches:
// every DDMM for a leap and a non-leap year, with every pair of check
// digits, against the reference.
func TestParseNINAgreesWithReference(t *testing.T) {
	b := []byte("00000099900")
	for ddmm := range 10000 {
		for _, yy := range []string{"00", "01"} {
			for k := range 100 {
				b[0], b[1], b[2], b[3] = '0'+byte(ddmm/1000), '0'+byte(ddmm/100%10), '0'+byte(ddmm/10%10), '0'+byte(ddmm%10)
				b[4], b[5] = yy[0], yy[1]
				b[9], b[10] = '0'+byte(k/10), '0'+byte(k%10)
				_, info, err := registry.ParseNIN(b)
				ref := refParseNIN(string(b))
				if got := ruleOf(err); got != ref.rule {
					t.Fatalf("ParseNIN(%s) rule %q; reference %q", b, got, ref.rule)
				}
				if err == nil && (info.Kind.String() != ref.kind || info.Rule2032 != ref.rule2032) {
					t.Fatalf("ParseNIN(%s) = %s 2032=%v; reference %s 2032=%v",
						b, info.Kind, info.Rule2032, ref.kind, ref.rule2032)
				}
			}
		}
	}
}

// TestParseOrgnrAgreesWithReference sweeps the check digit over a range of
// prefixes.
func TestParseOrgnrAgreesWithReference(t *testing.T) {
	for n := 0; n < 1_000_000; n += 7 {
		s := strconv.Itoa(900_000_000 + n*10 + n%10)
		_, err := registry.ParseOrgnr([]byte(s))
		if got, ref := ruleOf(err), refParseOrgnr(s); got != ref {
			t.Fatalf("ParseOrgnr(%s) rule %q; reference %q", s, got, ref)
		}
	}
}
