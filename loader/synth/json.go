package synth

import (
	"strconv"
	"unicode/utf8"
)

// JSON is written by hand with append functions: the national preset encodes
// ~7 M person documents and reflection would dominate the run time. Keys are
// literals in the callers; values go through the functions below.

const hexDigits = "0123456789abcdef"

// appendString appends s as a quoted JSON string.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, s[start:i]...)
				dst = append(dst, `\ufffd`...)
				i += size
				start = i
				continue
			}
			if r == '\u2028' || r == '\u2029' {
				dst = append(dst, s[start:i]...)
				dst = append(dst, `\u202`...)
				dst = append(dst, hexDigits[r&0xf])
				i += size
				start = i
				continue
			}
			i += size
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

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
