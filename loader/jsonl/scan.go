package jsonl

import (
	json "github.com/goccy/go-json"
	"unicode/utf8"
)

// Scanning helpers for JSON that is known to be valid (decoded or compacted
// already): they find members and value ends with a byte loop, without
// decoding, and do not allocate. On invalid input they return len(b) rather
// than fail.

// SkipWS returns the index of the first non-space byte at or after i.
func SkipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] == '"'.
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// EachMember calls fn for each member of the object at b[i] == '{' with the
// raw key (between its quotes, escapes not undone) and the index of its
// value; fn returns the index after the value. EachMember returns the index
// after the object.
func EachMember(b []byte, i int, fn func(key []byte, v int) int) int {
	i = SkipWS(b, i+1)
	for i < len(b) && b[i] != '}' {
		if b[i] != '"' {
			return len(b)
		}
		end := skipString(b, i)
		key := b[i+1 : max(i+1, end-1)]
		i = SkipWS(b, end)
		if i >= len(b) || b[i] != ':' {
			return len(b)
		}
		i = SkipWS(b, i+1)
		if i >= len(b) {
			return i
		}
		i = SkipWS(b, fn(key, i))
		if i < len(b) && b[i] == ',' {
			i = SkipWS(b, i+1)
		}
	}
	return i + 1
}

// EachElement calls fn for each element of the array at b[i] == '['; fn
// returns the index after the element.
func EachElement(b []byte, i int, fn func(v int) int) int {
	i = SkipWS(b, i+1)
	for i < len(b) && b[i] != ']' {
		i = SkipWS(b, fn(i))
		if i < len(b) && b[i] == ',' {
			i = SkipWS(b, i+1)
		}
	}
	return i + 1
}

// SkipValue returns the index after the value starting at b[i].
func SkipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = skipString(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return len(b)
	}
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\n' && b[i] != '\r' && b[i] != '\t' {
		i++
	}
	return i
}

// String decodes the JSON string value at b[i:end]; ok is false when the
// value is not a string (null decodes as "", ok true).
func String(v []byte) (s string, ok bool) {
	if string(v) == "null" {
		return "", true
	}
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return "", false
	}
	in := v[1 : len(v)-1]
	for _, c := range in {
		if c == '\\' || c < 0x20 {
			if err := json.Unmarshal(v, &s); err != nil {
				return "", false
			}
			return s, true
		}
	}
	if !utf8.Valid(in) {
		json.Unmarshal(v, &s) // replaces invalid bytes as encoding/json does
		return s, true
	}
	return string(in), true
}
