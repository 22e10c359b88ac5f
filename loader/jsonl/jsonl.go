// Package jsonl reads JSON-lines and streamed JSON arrays, the two container
// shapes of grunndata's source files. It is pure: io.Reader in, one callback
// per element out, with the element's line or index for reject reports.
package jsonl

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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
// element's 0-based index and raw bytes (valid only during the call). A
// document that is not an array, or is cut short, is ErrStructure.
func Array(r io.Reader, fn func(index int, raw []byte) error) error {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 1<<20))
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrStructure, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return fmt.Errorf("%w: top level is not a JSON array", ErrStructure)
	}
	var raw json.RawMessage
	for i := 0; dec.More(); i++ {
		raw = raw[:0]
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("%w: array element %d: %w", ErrStructure, i, err)
		}
		if err := fn(i, raw); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("%w: end of array: %w", ErrStructure, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: data after the array", ErrStructure)
	}
	return nil
}
