package registry_test

import (
	"strings"
	"testing"

	"github.com/grunndata/grunndata/registry"
)

func TestParseSerial(t *testing.T) {
	const (
		max31 = "2147483647"
		max63 = "9223372036854775807"
	)
	tests := []struct {
		value string
		// want[i] is the failing rule for serialTypes[i] ("" = valid).
		herid, reshid, hpr, gp registry.Rule
	}{
		{"", registry.RuleEmpty, registry.RuleEmpty, registry.RuleEmpty, registry.RuleEmpty},
		{"1", "", "", "", ""},
		{"80012", "", "", "", ""},
		{"0", registry.RuleRange, registry.RuleRange, registry.RuleRange, registry.RuleRange},
		{"000", registry.RuleRange, registry.RuleRange, registry.RuleRange, registry.RuleRange},
		{"01", registry.RuleLeadingZero, registry.RuleLeadingZero, registry.RuleLeadingZero, registry.RuleLeadingZero},
		{"-1", registry.RuleNonDigit, registry.RuleNonDigit, registry.RuleNonDigit, registry.RuleNonDigit},
		{"+1", registry.RuleNonDigit, registry.RuleNonDigit, registry.RuleNonDigit, registry.RuleNonDigit},
		{"1 ", registry.RuleNonDigit, registry.RuleNonDigit, registry.RuleNonDigit, registry.RuleNonDigit},
		{"1_000", registry.RuleNonDigit, registry.RuleNonDigit, registry.RuleNonDigit, registry.RuleNonDigit},
		{"１", registry.RuleNonDigit, registry.RuleNonDigit, registry.RuleNonDigit, registry.RuleNonDigit},
		{max31, "", "", "", ""},
		{"2147483648", registry.RuleRange, registry.RuleRange, registry.RuleRange, ""},
		{max63, registry.RuleRange, registry.RuleRange, registry.RuleRange, ""},
		{"9223372036854775808", registry.RuleRange, registry.RuleRange, registry.RuleRange, registry.RuleRange},
		{"18446744073709551616", registry.RuleRange, registry.RuleRange, registry.RuleRange, registry.RuleRange},
		{"0" + max31, registry.RuleLeadingZero, registry.RuleLeadingZero, registry.RuleLeadingZero, registry.RuleLeadingZero},
		// Long inputs follow the same rule order as short ones.
		{strings.Repeat("0", 24) + "1", registry.RuleLeadingZero, registry.RuleLeadingZero, registry.RuleLeadingZero, registry.RuleLeadingZero},
		{strings.Repeat("0", 25), registry.RuleRange, registry.RuleRange, registry.RuleRange, registry.RuleRange},
		{strings.Repeat("9", 24) + "x", registry.RuleNonDigit, registry.RuleNonDigit, registry.RuleNonDigit, registry.RuleNonDigit},
		{strings.Repeat("9", 25), registry.RuleRange, registry.RuleRange, registry.RuleRange, registry.RuleRange},
	}
	for _, tc := range tests {
		for i, typ := range serialTypes {
			want := [...]registry.Rule{tc.herid, tc.reshid, tc.hpr, tc.gp}[i]
			t.Run(typ.String()+"/"+tc.value, func(t *testing.T) {
				v, err := registry.ParseSerial(typ, []byte(tc.value))
				if got := ruleOf(err); got != want {
					t.Fatalf("ParseSerial(%s, %q) rule %q; want %q", typ, tc.value, got, want)
				}
				if err != nil {
					checkIDError(t, err, typ)
					return
				}
				refV, _ := refParseSerial(typ, tc.value)
				if v != refV {
					t.Fatalf("ParseSerial(%s, %q) = %d; want %d", typ, tc.value, v, refV)
				}
			})
		}
	}
}

func TestParseSerialNonSerialTypePanics(t *testing.T) {
	for _, typ := range []registry.IDType{registry.IDUnknown, registry.IDNIN, registry.IDOrgnr, registry.IDGPContract + 1} {
		t.Run(typ.String(), func(t *testing.T) {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.HasPrefix(s, "BUG: ") {
					t.Fatalf("ParseSerial(%d) panicked with %v; want a BUG: panic", typ, r)
				}
			}()
			registry.ParseSerial(typ, []byte("1"))
		})
	}
}

func TestIDTypeString(t *testing.T) {
	want := []string{"unknown", "nin", "orgnr", "herid", "reshid", "hpr", "gpcontract", "unknown"}
	for typ := range registry.IDType(len(want)) {
		if got := typ.String(); got != want[typ] {
			t.Errorf("IDType(%d).String() = %q; want %q", typ, got, want[typ])
		}
	}
}
