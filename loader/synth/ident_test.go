package synth

import (
	"testing"

	"github.com/grunndata/grunndata/registry"
)

func TestMakeNIN(t *testing.T) {
	for _, tc := range []struct {
		name  string
		birth day
		dnr   bool
	}{
		{"fnr 1924-05-09", dayOf(1924, 5, 9), false},
		{"fnr 2000-02-29", dayOf(2000, 2, 29), false},
		{"dnr 1985-12-31", dayOf(1985, 12, 31), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seen := map[[11]byte]bool{}
			for slot := 0; slot < 800; slot++ {
				n := makeNIN(tc.birth, tc.dnr, slot)
				_, info, err := registry.ParseNIN(n[:])
				if err != nil {
					t.Fatalf("slot %d: %s: %v", slot, n, err)
				}
				want := registry.NINTnr
				if tc.dnr {
					want = registry.NINDnrTnr
				}
				if info.Kind != want || info.Rule2032 {
					t.Fatalf("slot %d: %s: %+v", slot, n, info)
				}
				if seen[n] {
					t.Fatalf("slot %d: %s twice", slot, n)
				}
				seen[n] = true
			}
		})
	}
}

func TestOrgnr(t *testing.T) {
	w := &world{orgnr: newPerm(orgnrSpace, 1, streamOrgnrPerm), e: 0}
	seen := map[[9]byte]bool{}
	for k := 0; k < 200_000; k++ {
		o := w.orgnrOf(k)
		if _, err := registry.ParseOrgnr(o[:]); err != nil || (o[0] != '8' && o[0] != '9') {
			t.Fatalf("%d: %s: %v", k, o, err)
		}
		if seen[o] {
			t.Fatalf("%d: %s twice", k, o)
		}
		seen[o] = true
	}
}

func TestPerm(t *testing.T) {
	for _, n := range []uint64{1, 2, 3, 17, 1000, 65_537} {
		p := newPerm(n, 42, 1)
		seen := make([]bool, n)
		for i := uint64(0); i < n; i++ {
			x := p.at(i)
			if x >= n || seen[x] {
				t.Fatalf("n=%d: at(%d)=%d repeats or out of range", n, i, x)
			}
			seen[x] = true
		}
	}
}

func TestCivil(t *testing.T) {
	for d := dayOf(1850, 1, 1); d < dayOf(2100, 1, 1); d += 13 {
		y, m, dd := d.civil()
		if dayOf(y, m, dd) != d {
			t.Fatalf("%d → %d-%d-%d → %d", d, y, m, dd, dayOf(y, m, dd))
		}
	}
	if got := string(appendDate(nil, dayOf(1969, 12, 31))); got != `"1969-12-31"` {
		t.Errorf("appendDate = %s", got)
	}
	if got := string(appendBrregTime(nil, dayOf(2001, 5, 11), 8*3600+32*60+9)); got != `"2001-05-11 08:32:09"` {
		t.Errorf("appendBrregTime = %s", got)
	}
}

func TestAppendString(t *testing.T) {
	for in, want := range map[string]string{
		"Bjørn":       `"Bjørn"`,
		`a"b\c`:       `"a\"b\\c"`,
		"line\nbreak": `"line\nbreak"`,
		"\x01":        `"\u0001"`,
		"bad\xffutf8": `"bad\ufffdutf8"`,
	} {
		if got := string(appendString(nil, in)); got != want {
			t.Errorf("appendString(%q) = %s, want %s", in, got, want)
		}
	}
}
