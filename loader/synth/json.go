package synth

import (
	"github.com/grunndata/grunndata/registry"
	"strconv"
)

// JSON is written by hand with append functions: the national preset encodes
// ~7 M person documents and reflection would dominate the run time. Keys are
// literals in the callers; values go through the functions below.

// appendString appends s as a quoted JSON string.
func appendString(dst []byte, s string) []byte { return registry.AppendJSONString(dst, s) }

// appendDigits appends b (ASCII digits) as a quoted string.
func appendDigits(dst []byte, b []byte) []byte {
	dst = append(dst, '"')
	dst = append(dst, b...)
	return append(dst, '"')
}

func appendInt(dst []byte, v int) []byte { return strconv.AppendInt(dst, int64(v), 10) }

func appendBool(dst []byte, v bool) []byte {
	if v {
		return append(dst, "true"...)
	}
	return append(dst, "false"...)
}

// appendCoded appends {"oid":…,"code":…,"text":…}.
func appendCoded(dst []byte, c coded) []byte {
	dst = append(dst, `{"oid":`...)
	dst = appendInt(dst, c.oid)
	dst = append(dst, `,"code":`...)
	dst = appendString(dst, c.code)
	dst = append(dst, `,"text":`...)
	dst = appendString(dst, c.text)
	return append(dst, '}')
}

// appendPeriod appends {"from":…,"to":…}; to == noDay writes null.
func appendPeriod(dst []byte, from, to day) []byte {
	dst = append(dst, `{"from":`...)
	dst = appendDate(dst, from)
	dst = append(dst, `,"to":`...)
	if to == noDay {
		dst = append(dst, "null"...)
	} else {
		dst = appendDate(dst, to)
	}
	return append(dst, '}')
}

// noDay marks an absent date (dates before 1970 are negative, so absence is a
// sentinel far outside the generated range).
const noDay day = -1 << 30
