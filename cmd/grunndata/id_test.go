package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestID(t *testing.T) {
	tests := []struct {
		name string
		args []string
		out  string // expected stdout
		code int
	}{
		{"fnr", []string{"13097248022"}, "13097248022\tfnr\tvalid\n", 0},
		{"fnr 2032 rule", []string{"30108299939"}, "30108299939\tfnr\tvalid\n", 0},
		{"dnr", []string{"53097248016"}, "53097248016\tdnr\tvalid\n", 0},
		{"hnr", []string{"13527248013"}, "13527248013\thnr\tvalid\n", 0},
		{"dnr+hnr", []string{"68467038838"}, "68467038838\tdnr+hnr\tvalid\n", 0},
		{"tnr", []string{"10915596784"}, "10915596784\ttnr\tvalid\n", 0},
		{"dnr+tnr", []string{"41814061033"}, "41814061033\tdnr+tnr\tvalid\n", 0},
		{"ain", []string{"81234567802"}, "81234567802\tain\tvalid\n", 0},
		{"nin k2", []string{"13097248023"}, "13097248023\tnin\tinvalid: second-check-digit\n", 1},
		{"nin k1", []string{"15108695077"}, "15108695077\tnin\tinvalid: first-check-digit\n", 1},
		{"nin date", []string{"13137248022"}, "13137248022\tnin\tinvalid: date\n", 1},
		{"nin non-digit", []string{"1234567891A"}, "1234567891A\tnin\tinvalid: non-digit\n", 1},
		{"orgnr", []string{"974760673"}, "974760673\torgnr\tvalid\n", 0},
		{"orgnr 3xx", []string{"310000000"}, "310000000\torgnr\tvalid\n", 0},
		{"orgnr check", []string{"112233445"}, "112233445\torgnr\tinvalid: check-digit\n", 1},
		{"orgnr non-digit", []string{"12345678a"}, "12345678a\torgnr\tinvalid: non-digit\n", 1},
		{"serial", []string{"80012"}, "80012\tserial\tvalid\n", 0},
		{"serial 12 digits", []string{"123456789012"}, "123456789012\tserial\tvalid\n", 0},
		{"serial 19 digits", []string{"9223372036854775807"}, "9223372036854775807\tserial\tvalid\n", 0},
		{"serial range", []string{"9223372036854775808"}, "9223372036854775808\tserial\tinvalid: range\n", 1},
		{"serial zero", []string{"0"}, "0\tserial\tinvalid: range\n", 1},
		{"serial leading zero", []string{"0123"}, "0123\tserial\tinvalid: leading-zero\n", 1},
		{"unknown letters", []string{"abc"}, "abc\tunknown\tinvalid: non-digit\n", 1},
		{"unknown too long", []string{"12345678901234567890"}, "12345678901234567890\tunknown\tinvalid: length\n", 1},
		{"unknown empty", []string{""}, "\"\"\tunknown\tinvalid: empty\n", 1},
		{"control bytes quoted", []string{"1\t2"}, "\"1\\t2\"\tunknown\tinvalid: non-digit\n", 1},
		{"several", []string{"974760673", "13097248023", "80012"},
			"974760673\torgnr\tvalid\n13097248023\tnin\tinvalid: second-check-digit\n80012\tserial\tvalid\n", 1},
		{"kind auto", []string{"--kind", "auto", "80012"}, "80012\tserial\tvalid\n", 0},
		{"kind nin", []string{"--kind", "nin", "974760673"}, "974760673\tnin\tinvalid: length\n", 1},
		{"kind orgnr", []string{"--kind=orgnr", "80012"}, "80012\torgnr\tinvalid: length\n", 1},
		{"kind herid", []string{"--kind", "herid", "80012", "974760673"}, "80012\therid\tvalid\n974760673\therid\tvalid\n", 0},
		{"kind herid range", []string{"-kind", "herid", "2147483648"}, "2147483648\therid\tinvalid: range\n", 1},
		{"kind reshid", []string{"--kind", "reshid", "100100"}, "100100\treshid\tvalid\n", 0},
		{"kind hpr", []string{"--kind", "hpr", "1000017"}, "1000017\thpr\tvalid\n", 0},
		{"kind hpr 11 digits", []string{"--kind", "hpr", "13097248022"}, "13097248022\thpr\tinvalid: range\n", 1},
		{"kind gpcontract", []string{"--kind", "gpcontract", "300001"}, "300001\tgpcontract\tvalid\n", 0},
		{"kind gpcontract non-digit", []string{"--kind", "gpcontract", "3e5"}, "3e5\tgpcontract\tinvalid: non-digit\n", 1},
		{"dash dash", []string{"--", "-1"}, "-1\tunknown\tinvalid: non-digit\n", 1},
		{"no values", []string{}, "", 2},
		{"only flags", []string{"--kind", "nin"}, "", 2},
		{"bad kind", []string{"--kind", "fnr", "13097248022"}, "", 2},
		{"bad flag", []string{"--bogus", "1"}, "", 2},
		{"help", []string{"-h"}, "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), append([]string{"id"}, tc.args...), &out, &errb)
			if code != tc.code {
				t.Errorf("exit %d; want %d (stderr %q)", code, tc.code, errb.String())
			}
			if out.String() != tc.out {
				t.Errorf("stdout\n%q\nwant\n%q", out.String(), tc.out)
			}
			if tc.code == 2 && !strings.Contains(errb.String(), "usage: grunndata id") {
				t.Errorf("usage error without usage on stderr: %q", errb.String())
			}
			if tc.code != 2 && tc.name != "help" && errb.Len() != 0 {
				t.Errorf("unexpected stderr %q", errb.String())
			}
		})
	}
}

func TestIDCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"id", "13097248022"}, &out, &errb); code != 1 {
		t.Fatalf("exit %d on a canceled context; want 1", code)
	}
	if out.Len() != 0 {
		t.Fatalf("stdout %q on a canceled context; want nothing", out.String())
	}
}
