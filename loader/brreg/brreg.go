// Package brreg parses what Enhetsregisteret (Brønnøysundregistrene)
// delivers: the bulk JSON arrays `enheter_alle.json.gz` and
// `underenheter_alle.json.gz` with the v2 field names, with or without
// `links`/`_links` (Read); the CSV totalbestand (ReadCSV); and pages of the
// update feeds `/api/oppdateringer/enheter|underenheter` (ReadPage). It is
// pure: io.Reader in, records out.
//
// The served JSON is the record itself, compacted: every field round-trips,
// including fields not known to us, nullable `antallAnsatte`, `historiskeNavn`
// with its odd date format and `kapital.belop` as an exact decimal. A CSV row
// is rebuilt into the same shape (see ReadCSV).
package brreg

import (
	"errors"
	"fmt"
	"io"

	"github.com/grunndata/grunndata/loader/jsonl"
)

// Record is one enhet or underenhet.
type Record struct {
	// Index is the 0-based position in the array, or the data row number
	// in a CSV file (for reject reports).
	Index int
	// Line is the first line of a CSV row (0 for JSON).
	Line int
	// Orgnr is organisasjonsnummer as given (not yet validated).
	Orgnr string
	Navn  string
	// Form is organisasjonsform.kode.
	Form string
	// Parent is overordnetEnhet, "" if none.
	Parent string
	// Deleted is set for SlettetEnhet records (slettedato present).
	Deleted    bool
	Slettedato string
	// JSON is the record compacted, the bytes the server writes. Valid only
	// during the callback.
	JSON []byte
	// Err is set when the element is valid JSON but not an object of the
	// expected shape; the record should be rejected with it.
	Err error
}

var errNotObject = errors.New("array element is not a JSON object")

// Read streams the JSON array in r, calling fn once per element. An element
// that is valid JSON but not an object, or whose organisasjonsnummer, navn,
// overordnetEnhet, slettedato or organisasjonsform.kode is not a string, is
// passed with Err set.
func Read(r io.Reader, fn func(rec *Record) error) error {
	var rec Record
	return jsonl.Array(r, func(i int, raw []byte) error {
		rec = Record{Index: i, JSON: raw}
		if len(raw) == 0 || raw[0] != '{' {
			rec.Err, rec.JSON = errNotObject, nil
			return fn(&rec)
		}
		rec.Err = extract(raw, &rec)
		if rec.Err != nil {
			rec.JSON = nil
		}
		return fn(&rec)
	})
}

// extract reads the fields the loader acts on from a compacted object,
// without decoding the rest.
func extract(raw []byte, rec *Record) (err error) {
	str := func(name string, v []byte) string {
		s, ok := jsonl.String(v)
		if !ok && err == nil {
			err = fmt.Errorf("%s: not a string", name)
		}
		return s
	}
	jsonl.EachMember(raw, 0, func(key []byte, v int) int {
		end := jsonl.SkipValue(raw, v)
		switch string(key) {
		case "organisasjonsnummer":
			rec.Orgnr = str("organisasjonsnummer", raw[v:end])
		case "navn":
			rec.Navn = str("navn", raw[v:end])
		case "overordnetEnhet":
			rec.Parent = str("overordnetEnhet", raw[v:end])
		case "slettedato":
			rec.Slettedato = str("slettedato", raw[v:end])
		case "organisasjonsform":
			if raw[v] == '{' {
				jsonl.EachMember(raw, v, func(k []byte, w int) int {
					e := jsonl.SkipValue(raw, w)
					if string(k) == "kode" {
						rec.Form = str("organisasjonsform.kode", raw[w:e])
					}
					return e
				})
			} else if string(raw[v:end]) != "null" && err == nil {
				err = errors.New("organisasjonsform: not an object")
			}
		}
		return end
	})
	rec.Deleted = rec.Slettedato != ""
	return err
}
