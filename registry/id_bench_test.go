//go:build !race

// The race detector instruments allocations, so these tests and benchmarks
// only run without it.

package registry_test

import (
	"testing"

	"github.com/grunndata/grunndata/registry"
)

var (
	// benchNINs mixes kinds, both check-digit rules and invalid numbers.
	benchNINs = [][]byte{
		[]byte("13097248022"), // fnr
		[]byte("53097248016"), // dnr
		[]byte("10915596784"), // tnr
		[]byte("30108299939"), // 2032 rule
		[]byte("81234567802"), // ain
		[]byte("13097248023"), // k2 wrong
		[]byte("13137248022"), // month 13
		[]byte("1234567891A"), // non-digit
	}
	benchOrgnrs = [][]byte{
		[]byte("974760673"),
		[]byte("923609016"),
		[]byte("112233445"), // check digit
		[]byte("12345678a"), // non-digit
	}
	allocSerials = [][]byte{
		[]byte("80012"), []byte("2147483648"), []byte("0123"), []byte("12a"), []byte(""),
		[]byte("0000000000000000000000001"),
	}
)

func TestIDParsersDoNotAllocate(t *testing.T) {
	tests := []struct {
		name string
		fn   func()
	}{
		{"ParseNIN", func() {
			for _, b := range benchNINs {
				registry.ParseNIN(b)
			}
		}},
		{"ParseOrgnr", func() {
			for _, b := range benchOrgnrs {
				registry.ParseOrgnr(b)
			}
		}},
		{"ParseSerial", func() {
			for _, typ := range serialTypes {
				for _, b := range allocSerials {
					registry.ParseSerial(typ, b)
				}
			}
		}},
		{"NINCheckDigits", func() {
			d := [11]byte{1, 3, 0, 9, 7, 2, 4, 8, 0}
			registry.NINCheckDigits(&d)
		}},
		{"OrgnrCheckDigit", func() {
			d := [9]byte{9, 7, 4, 7, 6, 0, 6, 7}
			registry.OrgnrCheckDigit(&d)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(100, tc.fn); n != 0 {
				t.Fatalf("%s allocates %v times per run; want 0", tc.name, n)
			}
		})
	}
}

// BenchmarkParseNIN parses one number per op, cycling through benchNINs.
func BenchmarkParseNIN(b *testing.B) {
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		registry.ParseNIN(benchNINs[i%len(benchNINs)])
		i++
	}
}

// BenchmarkParseOrgnr parses one number per op, cycling through benchOrgnrs.
func BenchmarkParseOrgnr(b *testing.B) {
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		registry.ParseOrgnr(benchOrgnrs[i%len(benchOrgnrs)])
		i++
	}
}
