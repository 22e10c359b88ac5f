package soap

import (
	"errors"
	"unicode/utf8"
)

// The stored records are JSON written by the loader. The renderers read them
// with this small scanner: it walks an object's members and hands out raw
// sub-slices of the stored bytes, so an answer is rendered in one pass over
// the record with no tree and no allocation.

var errJSON = errors.New("soap: malformed stored JSON")

// skipSpace returns the index of the first non-space byte at or after i.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// valueEnd returns the index just past the JSON value starting at b[i].
func valueEnd(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errJSON
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				e, err := stringEnd(b, i)
				if err != nil {
					return 0, err
				}
				i = e
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, nil
				}
			}
			i++
		}
		return 0, errJSON
	default:
		j := i
		for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\n' && b[j] != '\r' && b[j] != '\t' {
			j++
		}
		if j == i {
			return 0, errJSON
		}
		return j, nil
	}
}

// stringEnd returns the index just past the string starting at b[i] ('"').
func stringEnd(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, errJSON
}

// eachMember calls fn with each member of the object obj: the raw key
// (without quotes, escapes not decoded: the loader's keys are plain ASCII) and
// the raw value. It stops when fn returns false. A non-object is an error.
func eachMember(obj []byte, fn func(key, val []byte) bool) error {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return errJSON
	}
	i = skipSpace(obj, i+1)
	if i < len(obj) && obj[i] == '}' {
		return nil
	}
	for i < len(obj) {
		if obj[i] != '"' {
			return errJSON
		}
		ke, err := stringEnd(obj, i)
		if err != nil {
			return err
		}
		key := obj[i+1 : ke-1]
		i = skipSpace(obj, ke)
		if i >= len(obj) || obj[i] != ':' {
			return errJSON
		}
		i = skipSpace(obj, i+1)
		ve, err := valueEnd(obj, i)
		if err != nil {
			return err
		}
		if !fn(key, obj[i:ve]) {
			return nil
		}
		i = skipSpace(obj, ve)
		if i < len(obj) && obj[i] == ',' {
			i = skipSpace(obj, i+1)
			continue
		}
		if i < len(obj) && obj[i] == '}' {
			return nil
		}
		return errJSON
	}
	return errJSON
}

// eachItem calls fn with each raw item of the array arr. null is an empty
// array.
func eachItem(arr []byte, fn func(item []byte) bool) error {
	i := skipSpace(arr, 0)
	if isNull(arr) {
		return nil
	}
	if i >= len(arr) || arr[i] != '[' {
		return errJSON
	}
	i = skipSpace(arr, i+1)
	if i < len(arr) && arr[i] == ']' {
		return nil
	}
	for i < len(arr) {
		ve, err := valueEnd(arr, i)
		if err != nil {
			return err
		}
		if !fn(arr[i:ve]) {
			return nil
		}
		i = skipSpace(arr, ve)
		if i < len(arr) && arr[i] == ',' {
			i = skipSpace(arr, i+1)
			continue
		}
		if i < len(arr) && arr[i] == ']' {
			return nil
		}
		return errJSON
	}
	return errJSON
}

// member returns the raw value of key in obj, or nil.
func member(obj []byte, key string) []byte {
	var out []byte
	_ = eachMember(obj, func(k, v []byte) bool {
		if string(k) == key {
			out = v
			return false
		}
		return true
	})
	return out
}

// isNull reports whether the raw value v is absent or null.
func isNull(v []byte) bool {
	return len(v) == 0 || (len(v) == 4 && string(v) == "null")
}

// isEmpty reports whether v is absent, null, "" or [].
func isEmpty(v []byte) bool {
	return isNull(v) || string(v) == `""` || string(v) == "[]"
}

// unquoted returns the content of a JSON string without its quotes, escapes
// left as they are (for values the loader writes without escapes: dates,
// digits, codes), or the raw value for a number.
func unquoted(v []byte) []byte {
	if len(v) >= 2 && v[0] == '"' {
		return v[1 : len(v)-1]
	}
	return v
}

// appendText appends the JSON value v as XML character data: a string is
// unescaped from JSON and escaped for XML; numbers and booleans are copied.
func appendText(dst, v []byte) []byte {
	if len(v) == 0 || v[0] != '"' {
		return append(dst, v...)
	}
	s := v[1 : len(v)-1]
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			i++
			switch s[i] {
			case 'n':
				dst = append(dst, "&#xA;"...)
			case 'r':
				dst = append(dst, "&#xD;"...)
			case 't':
				dst = append(dst, "&#x9;"...)
			case 'b', 'f':
				// not allowed in XML 1.0: dropped
			case 'u':
				r, n := decodeU(s[i+1:])
				i += n
				dst = appendRune(dst, r)
			default: // " \ /
				dst = appendXMLByte(dst, s[i])
			}
			continue
		}
		dst = appendXMLByte(dst, c)
	}
	return dst
}

// decodeU decodes the hex digits after \u (and a following low surrogate);
// it returns the rune and the number of bytes consumed.
func decodeU(s []byte) (rune, int) {
	hex4 := func(s []byte) (rune, bool) {
		if len(s) < 4 {
			return 0, false
		}
		var r rune
		for _, c := range s[:4] {
			switch {
			case c >= '0' && c <= '9':
				r = r<<4 | rune(c-'0')
			case c >= 'a' && c <= 'f':
				r = r<<4 | rune(c-'a'+10)
			case c >= 'A' && c <= 'F':
				r = r<<4 | rune(c-'A'+10)
			default:
				return 0, false
			}
		}
		return r, true
	}
	r, ok := hex4(s)
	if !ok {
		return utf8.RuneError, 0
	}
	if r >= 0xD800 && r < 0xDC00 && len(s) >= 10 && s[4] == '\\' && s[5] == 'u' {
		if lo, ok := hex4(s[6:]); ok && lo >= 0xDC00 && lo < 0xE000 {
			return (r-0xD800)<<10 | (lo - 0xDC00) + 0x10000, 10
		}
	}
	return r, 4
}

// appendRune appends r as XML character data (characters XML 1.0 forbids
// become U+FFFD).
func appendRune(dst []byte, r rune) []byte {
	switch {
	case r == '\t':
		return append(dst, "&#x9;"...)
	case r == '\n':
		return append(dst, "&#xA;"...)
	case r == '\r':
		return append(dst, "&#xD;"...)
	case r < 0x20, r >= 0xD800 && r < 0xE000, r == 0xFFFE, r == 0xFFFF:
		r = utf8.RuneError
	case r < utf8.RuneSelf:
		return appendXMLByte(dst, byte(r))
	}
	return utf8.AppendRune(dst, r)
}

func appendXMLByte(dst []byte, c byte) []byte {
	switch c {
	case '<':
		return append(dst, "&lt;"...)
	case '>':
		return append(dst, "&gt;"...)
	case '&':
		return append(dst, "&amp;"...)
	case '"':
		return append(dst, "&quot;"...)
	}
	if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
		return append(dst, "\uFFFD"...)
	}
	return append(dst, c)
}

// appendEscaped appends the Go string s as XML character data.
func appendEscaped(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		dst = appendXMLByte(dst, s[i])
	}
	return dst
}
