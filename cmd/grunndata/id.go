package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/grunndata/grunndata/registry"
)

// idKinds are the values of `grunndata id --kind`.
var idKinds = map[string]registry.IDType{
	"auto":       registry.IDUnknown,
	"nin":        registry.IDNIN,
	"orgnr":      registry.IDOrgnr,
	"herid":      registry.IDHerID,
	"reshid":     registry.IDReshID,
	"hpr":        registry.IDHPR,
	"gpcontract": registry.IDGPContract,
}

const idUsageLine = "usage: grunndata id [--kind auto|nin|orgnr|herid|reshid|hpr|gpcontract] VALUE...\n"

const idUsage = idUsageLine + `
Validates each VALUE and prints one tab-separated line for it:

  VALUE	KIND	valid
  VALUE	KIND	invalid: RULE

KIND is the person-number kind (fnr, dnr, hnr, dnr+hnr, tnr, dnr+tnr, ain) of a
valid person number and nin of an invalid one, orgnr, the --kind name of a
serial identifier, or in auto mode serial. RULE names the rule that failed
(empty, length, non-digit, leading-zero, range, date, first-check-digit,
second-check-digit, check-digit).

With --kind auto (the default) the length decides: 11 characters are checked
as a person number, 9 as an organisation number, other all-digit values of up
to 19 digits as a serial id (HER-id, RESH-id, HPR-number and GP contract id
share one syntax; the GP contract id's 63-bit bound applies), anything else is
unknown. Use --kind to check a 9- or 11-digit serial id.

Exit status: 0 when every value is valid, 1 when any is invalid, 2 on usage
errors. Flags come before the values; use -- before a value that starts with -.

Flags:
`

// runID implements `grunndata id`.
func runID(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("id", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, idUsage)
		fs.PrintDefaults()
	}
	kind := fs.String("kind", "auto", "identifier kind: auto, nin, orgnr, herid, reshid, hpr or gpcontract")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	typ, ok := idKinds[*kind]
	if !ok {
		fmt.Fprintf(stderr, "grunndata id: unknown --kind %q\n%s", *kind, idUsageLine)
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintf(stderr, "grunndata id: no values\n%s", idUsageLine)
		return 2
	}

	w := bufio.NewWriter(stdout)
	code := 0
	for _, v := range fs.Args() {
		if ctx.Err() != nil {
			break
		}
		kindName, rule := checkID(typ, v)
		result := "valid"
		if rule != "" {
			result = "invalid: " + string(rule)
			code = 1
		}
		fmt.Fprintf(w, "%s\t%s\t%s\n", printableID(v), kindName, result)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintf(stderr, "grunndata id: %v\n", err)
		return 1
	}
	if err := ctx.Err(); err != nil {
		fmt.Fprintf(stderr, "grunndata id: %v\n", err)
		return 1
	}
	return code
}

// checkID validates v as typ (IDUnknown: choose by length) and returns the
// kind to print and the failing rule, empty when v is valid.
func checkID(typ registry.IDType, v string) (kind string, rule registry.Rule) {
	b := []byte(v)
	if typ == registry.IDUnknown {
		typ = autoIDType(b)
		if typ == registry.IDUnknown {
			switch {
			case len(b) == 0:
				return "unknown", registry.RuleEmpty
			case !allDigits(b):
				return "unknown", registry.RuleNonDigit
			}
			return "unknown", registry.RuleLength
		}
		if typ == registry.IDGPContract {
			_, err := registry.ParseSerial(typ, b)
			return "serial", idRule(err)
		}
	}
	switch typ {
	case registry.IDNIN:
		_, info, err := registry.ParseNIN(b)
		if err != nil {
			return typ.String(), idRule(err)
		}
		return info.Kind.String(), ""
	case registry.IDOrgnr:
		_, err := registry.ParseOrgnr(b)
		return typ.String(), idRule(err)
	default:
		_, err := registry.ParseSerial(typ, b)
		return typ.String(), idRule(err)
	}
}

// autoIDType classifies v by length for --kind auto: 11 → person number,
// 9 → orgnr, other all-digit lengths up to 19 → serial (reported as
// IDGPContract, the widest bound), anything else IDUnknown.
func autoIDType(b []byte) registry.IDType {
	switch {
	case len(b) == 11:
		return registry.IDNIN
	case len(b) == 9:
		return registry.IDOrgnr
	case len(b) >= 1 && len(b) <= 19 && allDigits(b):
		return registry.IDGPContract
	}
	return registry.IDUnknown
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// idRule returns the rule of a parser error, empty for nil.
func idRule(err error) registry.Rule {
	if err == nil {
		return ""
	}
	var ie *registry.IDError
	if errors.As(err, &ie) {
		return ie.Rule
	}
	panic("BUG: identifier parser returned " + err.Error())
}

// printableID returns v as given, or quoted when it is empty or holds bytes
// that would break the one-line, tab-separated output (controls, invalid
// UTF-8).
func printableID(v string) string {
	if v == "" || strings.ContainsFunc(v, func(r rune) bool { return r < ' ' || r == 0x7f || r == 0xfffd }) {
		return strconv.Quote(v)
	}
	return v
}
