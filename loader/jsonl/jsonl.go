// Package jsonl reads JSON-lines and streamed JSON arrays, the two container
// shapes of grunndata's source files. It is pure: io.Reader in, one callback
// per element out, with the element's line or index for reject reports.
package jsonl

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	json "github.com/goccy/go-json"
	"io"
)

// MaxLine bounds one JSON line (a GP contract with its doctors is small; a
// person document is a few kB).
const MaxLine = 16 << 20

// ErrStructure wraps structural damage: a source that cannot be read on, as
// opposed to one bad record.
var ErrStructure = errors.New("structural damage")

// Lines calls fn for each non-empty line of r with its 1-based line number.
// b is valid only during the call. An error from fn stops the scan and is
// returned as is; a read error is wrapped in ErrStructure.
func Lines(r io.Reader, fn func(line int, b []byte) error) error {
	br := bufio.NewReaderSize(r, 1<<20)
	var long []byte
	line := 0
	for {
		b, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			long = append(long[:0], b...)
			for err == bufio.ErrBufferFull {
				b, err = br.ReadSlice('\n')
				long = append(long, b...)
				if len(long) > MaxLine {
					return fmt.Errorf("%w: line %d longer than %d bytes", ErrStructure, line+1, MaxLine)
				}
			}
			b = long
		}
		if len(b) > 0 {
			line++
			if t := bytes.TrimSpace(b); len(t) > 0 {
				if ferr := fn(line, t); ferr != nil {
					return ferr
				}
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: line %d: %w", ErrStructure, line+1, err)
		}
	}
}

// Array streams the elements of a top-level JSON array, calling fn with each
// element's 0-based index and its bytes, validated and compacted (valid only
// during the call). A document that is not an array, is cut short, or has an
// element that is not valid JSON is ErrStructure; an element longer than
// MaxLine too.
//
// Elements are found by a byte loop that tracks strings and nesting, then
// validated and compacted by json.Compact: two passes over each byte, and
// no decoding (a national enheter file is ~0.8 GB of JSON).
func Array(r io.Reader, fn func(index int, raw []byte) error) error {
	s := &splitter{r: r, buf: make([]byte, 0, 1<<20)}
	s.skipWS()
	if !s.more(0) {
		return s.fail("empty input: expected a JSON array")
	}
	if s.buf[s.pos] != '[' {
		return fmt.Errorf("%w: top level is not a JSON array", ErrStructure)
	}
	s.pos++
	var compact bytes.Buffer
	for i := 0; ; i++ {
		s.skipWS()
		if !s.more(0) {
			return s.fail(fmt.Sprintf("end of array: array element %d: unexpected end of input", i))
		}
		if s.buf[s.pos] == ']' {
			if i > 0 {
				return fmt.Errorf("%w: array element %d: a comma before ]", ErrStructure, i)
			}
			s.pos++
			break
		}
		n, err := s.value()
		if err != nil {
			return fmt.Errorf("%w: array element %d: %w", ErrStructure, i, err)
		}
		compact.Reset()
		if err := json.Compact(&compact, s.buf[s.pos:s.pos+n]); err != nil {
			return fmt.Errorf("%w: array element %d: %w", ErrStructure, i, err)
		}
		s.pos += n
		if err := fn(i, compact.Bytes()); err != nil {
			return err
		}
		s.skipWS()
		if !s.more(0) {
			return s.fail(fmt.Sprintf("end of array after element %d: unexpected end of input", i))
		}
		switch s.buf[s.pos] {
		case ',':
			s.pos++
			continue
		case ']':
			s.pos++
		default:
			return fmt.Errorf("%w: after array element %d: %q where , or ] belongs", ErrStructure, i, s.buf[s.pos])
		}
		break
	}
	s.skipWS()
	if s.more(0) {
		return fmt.Errorf("%w: data after the array", ErrStructure)
	}
	if s.err != nil {
		return fmt.Errorf("%w: %w", ErrStructure, s.err)
	}
	return nil
}

// splitter buffers a reader and finds where JSON values end.
type splitter struct {
	r   io.Reader
	buf []byte // buf[pos:] is unread
	pos int
	eof bool
	err error
}

func (s *splitter) fail(msg string) error {
	if s.err != nil {
		return fmt.Errorf("%w: %s: %w", ErrStructure, msg, s.err)
	}
	return fmt.Errorf("%w: %s", ErrStructure, msg)
}

// more makes buf[pos+n] available; false at the end of the input.
func (s *splitter) more(n int) bool {
	for len(s.buf)-s.pos <= n {
		if s.eof {
			return false
		}
		if s.pos > 0 {
			k := copy(s.buf, s.buf[s.pos:])
			s.buf, s.pos = s.buf[:k], 0
		}
		if len(s.buf) == cap(s.buf) {
			if cap(s.buf) > MaxLine {
				s.err, s.eof = fmt.Errorf("a value longer than %d bytes", MaxLine), true
				return false
			}
			s.buf = append(s.buf[:cap(s.buf)], 0)[:len(s.buf)]
		}
		m, err := s.r.Read(s.buf[len(s.buf):cap(s.buf)])
		s.buf = s.buf[:len(s.buf)+m]
		if err == io.EOF {
			s.eof = true
		} else if err != nil {
			s.err, s.eof = err, true
		}
	}
	return true
}

func (s *splitter) skipWS() {
	for s.more(0) {
		switch s.buf[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// value returns the length of the JSON value starting at buf[pos]: to its
// closing bracket or quote, or, for a number or literal, to the next
// delimiter. It does not validate.
func (s *splitter) value() (int, error) {
	first := s.buf[s.pos]
	depth, inStr, esc := 0, false, false
	scalar := first != '{' && first != '[' && first != '"'
	for i := 0; ; {
		if !s.more(i) {
			if scalar && s.err == nil {
				return i, nil
			}
			if s.err != nil {
				return 0, s.err
			}
			return 0, io.ErrUnexpectedEOF
		}
		chunk := s.buf[s.pos+i:]
		for k, c := range chunk {
			switch {
			case scalar:
				if c == ',' || c == ']' || c == '}' || c == ' ' || c == '\n' || c == '\r' || c == '\t' {
					return i + k, nil
				}
			case inStr:
				switch {
				case esc:
					esc = false
				case c == '\\':
					esc = true
				case c == '"':
					inStr = false
					if depth == 0 {
						return i + k + 1, nil
					}
				}
			case c == '"':
				inStr = true
			case c == '{' || c == '[':
				depth++
			case c == '}' || c == ']':
				depth--
				if depth == 0 {
					return i + k + 1, nil
				}
			}
		}
		i += len(chunk)
	}
}
