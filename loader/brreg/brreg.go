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
	"bytes"
	"encoding/json"
	"errors"
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

type fields struct {
	Organisasjonsnummer string `json:"organisasjonsnummer"`
	Navn                string `json:"navn"`
	Organisasjonsform   *struct {
		Kode string `json:"kode"`
	} `json:"organisasjonsform"`
	OverordnetEnhet string `json:"overordnetEnhet"`
	Slettedato      string `json:"slettedato"`
}

var errNotObject = errors.New("array element is not a JSON object")

// Read streams the JSON array in r, calling fn once per element.
func Read(r io.Reader, fn func(rec *Record) error) error {
	var (
		rec Record
		buf bytes.Buffer
	)
	return jsonl.Array(r, func(i int, raw []byte) error {
		rec = Record{Index: i}
		if len(raw) == 0 || raw[0] != '{' {
			rec.Err = errNotObject
			return fn(&rec)
		}
		var f fields
		if err := json.Unmarshal(raw, &f); err != nil {
			rec.Err = err
			return fn(&rec)
		}
		rec.Orgnr, rec.Navn, rec.Parent = f.Organisasjonsnummer, f.Navn, f.OverordnetEnhet
		if f.Organisasjonsform != nil {
			rec.Form = f.Organisasjonsform.Kode
		}
		rec.Slettedato = f.Slettedato
		rec.Deleted = f.Slettedato != ""
		buf.Reset()
		if err := json.Compact(&buf, raw); err != nil {
			rec.Err = err
			return fn(&rec)
		}
		rec.JSON = buf.Bytes()
		return fn(&rec)
	})
}
