package jsonl

import (
	"bytes"
	"errors"
	"sort"
	"strconv"
	"unicode/utf8"

	json "github.com/goccy/go-json"
)

// Encoding helpers: the loader encodes each record once, at load time, and
// these are the pieces its encoders share. Objects the loader assembles (an
// AR party with what it inherits, a GP contract with its office and doctors)
// are written with their members in key order and with <, >, &, U+2028 and
// U+2029 escaped in strings, byte for byte what json.Marshal writes for a
// map of json.RawMessage, but without a map, reflection or an error to drop.

// ErrInvalidUTF8 is the error of a record whose bytes are not UTF-8.
var ErrInvalidUTF8 = errors.New("invalid UTF-8")

// Compact appends b, one JSON value, to dst with insignificant space
// removed, and checks that it is valid JSON in valid UTF-8 (json.Compact
// passes invalid UTF-8 through; a stored view must not carry it). On error
// dst is left as it was.
func Compact(dst *bytes.Buffer, b []byte) error {
	if !utf8.Valid(b) {
		return ErrInvalidUTF8
	}
	n := dst.Len()
	if err := json.Compact(dst, b); err != nil {
		dst.Truncate(n)
		return err
	}
	return nil
}

// Member is one member of an object being encoded: its key (unescaped) and
// its value as compact JSON.
type Member struct {
	Key   string
	Value []byte
}

// MembersOf returns the members of m, unsorted.
func MembersOf(m map[string]json.RawMessage) []Member {
	out := make([]Member, 0, len(m)+3)
	for k, v := range m {
		out = append(out, Member{k, v})
	}
	return out
}

// AppendObject appends the object of members ms sorted by key (ms is
// sorted in place); each value is written with AppendEscaped. A key given
// twice is written once, with its last value.
func AppendObject(dst []byte, ms []Member) []byte {
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].Key < ms[j].Key })
	dst = append(dst, '{')
	for i, m := range ms {
		if i+1 < len(ms) && ms[i+1].Key == m.Key {
			continue
		}
		if len(dst) > 0 && dst[len(dst)-1] != '{' {
			dst = append(dst, ',')
		}
		dst = AppendString(dst, m.Key)
		dst = append(dst, ':')
		dst = AppendEscaped(dst, m.Value)
	}
	return append(dst, '}')
}

// AppendEscaped appends raw, compact JSON, with <, >, & and the line and
// paragraph separators escaped as \u003c, \u003e, \u0026, \u2028, \u2029
// (in valid JSON they occur only inside strings).
func AppendEscaped(dst, raw []byte) []byte {
	start := 0
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c == '<' || c == '>' || c == '&':
			dst = append(dst, raw[start:i]...)
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			i++
			start = i
		case c == 0xe2 && i+2 < len(raw) && raw[i+1] == 0x80 && (raw[i+2] == 0xa8 || raw[i+2] == 0xa9):
			dst = append(dst, raw[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[raw[i+2]&0xf])
			i += 3
			start = i
		default:
			i++
		}
	}
	return append(dst, raw[start:]...)
}

const hex = "0123456789abcdef"

// AppendString appends s as a JSON string, escaped as json.Marshal escapes
// it (HTML characters and the line separators included; an invalid byte
// becomes U+FFFD).
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
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
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
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
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// AppendInt appends v in decimal.
func AppendInt(dst []byte, v int64) []byte { return strconv.AppendInt(dst, v, 10) }
