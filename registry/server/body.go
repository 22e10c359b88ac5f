package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/valyala/fasthttp"
)

// errBody is a malformed request body; its text is safe to return (it never
// repeats the body, which holds a person number).
type errBody struct{ msg string }

func (e *errBody) Error() string { return e.msg }

var (
	errBodyEmpty   = &errBody{"empty body: send {\"nin\":\"<11 digits>\"}"}
	errBodyNoNIN   = &errBody{"missing field \"nin\""}
	errBodyNINType = &errBody{"field \"nin\" must be a string"}
	errBodyUnknown = &errBody{"unknown field: the body is {\"nin\":\"<11 digits>\"} and nothing else"}
)

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// parseNINBody extracts the nin string from {"nin":"…"} without allocating
// in the common shape; anything else goes through encoding/json, which
// rejects unknown fields, duplicates and trailing data. The result aliases b.
func parseNINBody(b []byte) ([]byte, error) {
	i := skipSpace(b, 0)
	if i == len(b) {
		return nil, errBodyEmpty
	}
	const key = `"nin"`
	if b[i] == '{' {
		j := skipSpace(b, i+1)
		if bytes.HasPrefix(b[j:], []byte(key)) {
			j = skipSpace(b, j+len(key))
			if j < len(b) && b[j] == ':' {
				j = skipSpace(b, j+1)
				if j < len(b) && b[j] == '"' {
					start := j + 1
					end := start
					for end < len(b) && b[end] != '"' && b[end] != '\\' && b[end] >= 0x20 {
						end++
					}
					if end < len(b) && b[end] == '"' {
						k := skipSpace(b, end+1)
						if k < len(b) && b[k] == '}' && skipSpace(b, k+1) == len(b) {
							return b[start:end], nil
						}
					}
				}
			}
		}
	}
	return parseNINBodySlow(b)
}

func parseNINBodySlow(b []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var v struct {
		NIN *json.RawMessage `json:"nin"`
	}
	if err := dec.Decode(&v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return nil, &errBody{fmt.Sprintf("malformed JSON at byte %d", se.Offset)}
		case errors.As(err, &te):
			return nil, &errBody{"body must be a JSON object"}
		case errors.Is(err, io.EOF):
			return nil, errBodyEmpty
		default:
			// An unknown field error names the key, and a key can be a
			// person number: never echo it.
			return nil, errBodyUnknown
		}
	}
	if dec.More() {
		return nil, &errBody{"data after the JSON object"}
	}
	if v.NIN == nil {
		return nil, errBodyNoNIN
	}
	var s string
	if err := json.Unmarshal(*v.NIN, &s); err != nil {
		return nil, errBodyNINType
	}
	return []byte(s), nil
}

// checkJSONPost answers 405 to anything but POST and 415 to a body not
// declared as JSON (a missing Content-Type included); it returns the status
// written, or 0.
func checkJSONPost(ctx *fasthttp.RequestCtx) int {
	if !ctx.IsPost() {
		return writeMethodNotAllowed(ctx, "POST")
	}
	if !isJSONMediaType(ctx.Request.Header.ContentType()) {
		writeProblem(ctx, 415, bodyMediaType)
		return 415
	}
	return 0
}

// isJSONMediaType reports whether a Content-Type value is application/json,
// compared case-insensitively (RFC 9110 §8.3.1), with or without parameters
// (charset=utf-8). application/jsonx and an empty value are not.
func isJSONMediaType(ct []byte) bool {
	if i := bytes.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return bytes.EqualFold(bytes.TrimSpace(ct), ctJSONPrefix)
}
