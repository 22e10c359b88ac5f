package brreg

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	json "github.com/goccy/go-json"
	"github.com/grunndata/grunndata/registry"
	"io"
	"strconv"
	"strings"

	"github.com/grunndata/grunndata/loader/jsonl"
)

// MaxCSVRecord bounds one CSV record. A quote that is never closed would
// otherwise make encoding/csv read the rest of the file into one field.
const MaxCSVRecord = 4 << 20

var utf8BOM = []byte{0xef, 0xbb, 0xbf}

// recordLimit counts the bytes csv.Reader pulls for the current record and
// fails once they exceed MaxCSVRecord.
type recordLimit struct {
	r    io.Reader
	n    int
	over bool
}

func (l *recordLimit) Read(p []byte) (int, error) {
	if l.n > MaxCSVRecord {
		l.over = true
		return 0, fmt.Errorf("%w: a CSV record longer than %d bytes (a quote never closed?)", jsonl.ErrStructure, MaxCSVRecord)
	}
	n, err := l.r.Read(p)
	l.n += n
	return n, err
}

// node is one key of the JSON object rebuilt from a CSV row: a column, or a
// group of columns sharing a dotted prefix (an address, kapital, …).
type node struct {
	key      string
	quoted   []byte // "key":
	col      int    // -1 for a group
	typ      fieldType
	children []*node
}

// plan maps a header to the JSON shape, in header order: a nested object
// sits where its first column is.
type plan struct {
	root                             []*node
	cols                             []string // header as given, for error messages
	orgnr, navn, form, parent, slett int
}

func newPlan(header []string) (*plan, error) {
	p := &plan{cols: header, orgnr: -1, navn: -1, form: -1, parent: -1, slett: -1}
	seen := map[string]int{}
	for i, col := range header {
		name := strings.TrimSpace(col)
		if i == 0 {
			name = strings.TrimPrefix(name, "\ufeff")
		}
		if name == "" {
			return nil, fmt.Errorf("%w: CSV header column %d is empty", jsonl.ErrStructure, i+1)
		}
		lower := strings.ToLower(name)
		path, typ := name, tString
		if f, ok := knownByLower[lower]; ok {
			path, typ = f.path, f.typ
		}
		if j, dup := seen[strings.ToLower(path)]; dup {
			return nil, fmt.Errorf("%w: CSV columns %d (%s) and %d (%s) are the same field", jsonl.ErrStructure, j+1, header[j], i+1, col)
		}
		seen[strings.ToLower(path)] = i
		switch path {
		case "organisasjonsnummer":
			p.orgnr = i
		case "navn":
			p.navn = i
		case "organisasjonsform.kode":
			p.form = i
		case "overordnetEnhet":
			p.parent = i
		case "slettedato":
			p.slett = i
		}
		parts := strings.Split(path, ".")
		level := &p.root
		for d, part := range parts {
			var n *node
			for _, c := range *level {
				if c.key == part {
					n = c
				}
			}
			last := d == len(parts)-1
			if n != nil && (last || n.col >= 0) {
				return nil, fmt.Errorf("%w: CSV column %s clashes with another column's name", jsonl.ErrStructure, col)
			}
			if n == nil {
				n = &node{key: part, col: -1, quoted: append(appendString(nil, part), ':')}
				if last {
					n.col, n.typ = i, typ
				}
				*level = append(*level, n)
			}
			level = &n.children
		}
	}
	if p.orgnr < 0 {
		return nil, fmt.Errorf("%w: no organisasjonsnummer column: not an Enhetsregisteret CSV", jsonl.ErrStructure)
	}
	return p, nil
}

// ReadCSV streams a Brreg CSV totalbestand (`…/lastned/csv`, decompressed):
// comma-separated, a header row, every value quoted, nested fields
// flattened with dots, real line breaks inside address and text cells. Each
// data row is rebuilt as the JSON object the API serves, with the v2 JSON
// field names (columns are matched case-insensitively), typed values
// (booleans, integers, exact decimals, arrays of lines) and empty cells left
// out, so a missing antallAnsatte stays missing. Columns not known to us are
// kept as string fields under their own (dotted) names.
//
// fn is called once per data row with Record.Line set to the row's first
// line. A row with the wrong number of fields or broken quoting is passed
// with Err set (reject it) and reading goes on; an unreadable header,
// truncated input or a runaway quoted field is ErrStructure.
func ReadCSV(r io.Reader, fn func(rec *Record) error) error {
	br := bufio.NewReaderSize(r, 1<<20)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, utf8BOM) {
		br.Discard(3)
	}
	lim := &recordLimit{r: br}
	cr := csv.NewReader(lim)
	cr.ReuseRecord = true
	cr.LazyQuotes = false
	cr.FieldsPerRecord = 0 // the header's count
	header, err := cr.Read()
	if err != nil {
		if err == io.EOF {
			return fmt.Errorf("%w: empty CSV file", jsonl.ErrStructure)
		}
		return fmt.Errorf("%w: CSV header: %w", jsonl.ErrStructure, err)
	}
	p, err := newPlan(append([]string(nil), header...))
	if err != nil {
		return err
	}
	var (
		rec Record
		buf []byte
	)
	for i := 0; ; i++ {
		lim.n = 0
		row, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		rec = Record{Index: i}
		if err != nil {
			var pe *csv.ParseError
			if lim.over || !errors.As(err, &pe) {
				return fmt.Errorf("%w: CSV: %w", jsonl.ErrStructure, err)
			}
			rec.Line = pe.StartLine
			if errors.Is(pe.Err, csv.ErrFieldCount) && len(row) > p.orgnr {
				rec.Orgnr = row[p.orgnr]
			}
			rec.Err = pe.Err
			if errors.Is(pe.Err, csv.ErrFieldCount) {
				rec.Err = fmt.Errorf("%d fields, the header has %d", len(row), len(p.cols))
			}
			if err := fn(&rec); err != nil {
				return err
			}
			continue
		}
		rec.Line, _ = cr.FieldPos(0)
		rec.Orgnr = row[p.orgnr]
		if p.navn >= 0 {
			rec.Navn = row[p.navn]
		}
		if p.form >= 0 {
			rec.Form = row[p.form]
		}
		if p.parent >= 0 {
			rec.Parent = row[p.parent]
		}
		if p.slett >= 0 {
			rec.Slettedato = row[p.slett]
			rec.Deleted = rec.Slettedato != ""
		}
		buf = append(buf[:0], '{')
		if buf, _, err = p.appendNodes(buf, p.root, row); err != nil {
			rec.Err = err
		} else {
			buf = append(buf, '}')
			rec.JSON = buf
		}
		if err := fn(&rec); err != nil {
			return err
		}
	}
}

// appendNodes appends the members of one object level and returns how many
// it wrote; empty cells and empty groups are left out.
func (p *plan) appendNodes(dst []byte, nodes []*node, row []string) ([]byte, int, error) {
	n := 0
	for _, nd := range nodes {
		mark := len(dst)
		if n > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, nd.quoted...)
		if nd.col < 0 {
			dst = append(dst, '{')
			var k int
			var err error
			dst, k, err = p.appendNodes(dst, nd.children, row)
			if err != nil {
				return dst, n, err
			}
			if k == 0 {
				dst = dst[:mark]
				continue
			}
			dst = append(dst, '}')
			n++
			continue
		}
		v := row[nd.col]
		if v == "" {
			dst = dst[:mark]
			continue
		}
		var err error
		var ok bool
		dst, ok, err = appendCell(dst, nd.typ, v)
		if err != nil {
			return dst, n, fmt.Errorf("column %s: %w", p.cols[nd.col], err)
		}
		if !ok {
			dst = dst[:mark]
			continue
		}
		n++
	}
	return dst, n, nil
}

// appendCell appends the JSON value of a non-empty cell; ok false means the
// field is left out.
func appendCell(dst []byte, t fieldType, v string) ([]byte, bool, error) {
	switch t {
	case tBool:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true", "ja":
			return append(dst, "true"...), true, nil
		case "false", "nei":
			return append(dst, "false"...), true, nil
		}
		return dst, false, fmt.Errorf("%q is not a boolean", v)
	case tInt:
		s := strings.TrimSpace(v)
		if _, err := strconv.ParseInt(s, 10, 64); err != nil {
			return dst, false, fmt.Errorf("%q is not an integer", v)
		}
		return append(dst, s...), true, nil
	case tDecimal:
		s := strings.TrimSpace(v)
		if !isDecimal(s) {
			return dst, false, fmt.Errorf("%q is not a decimal number", v)
		}
		// Written as given (a decimal comma becomes a point): exact, no
		// float rounding.
		return append(dst, strings.Replace(s, ",", ".", 1)...), true, nil
	case tLines:
		dst = append(dst, '[')
		for i, l := range splitLines(v) {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, l)
		}
		return append(dst, ']'), true, nil
	case tPaategninger:
		// The CSV says only JA or NEI; the texts are in the JSON file. NEI is
		// an empty list; JA leaves the field out rather than invent texts.
		switch strings.ToUpper(strings.TrimSpace(v)) {
		case "NEI":
			return append(dst, "[]"...), true, nil
		case "JA":
			return dst, false, nil
		}
		return dst, false, fmt.Errorf("%q is not JA or NEI", v)
	}
	return appendString(dst, v), true, nil
}

// splitLines splits a multi-line cell. Since 2024-07-04 Brreg writes real
// line breaks; older files wrote a literal backslash-n.
func splitLines(v string) []string {
	if strings.IndexByte(v, '\r') >= 0 {
		v = strings.ReplaceAll(v, "\r\n", "\n")
	}
	if strings.Contains(v, `\n`) {
		v = strings.ReplaceAll(v, `\n`, "\n")
	}
	if strings.IndexByte(v, '\n') < 0 {
		return []string{v}
	}
	return strings.Split(v, "\n")
}

func isDecimal(s string) bool {
	if strings.HasPrefix(s, "-") {
		s = s[1:]
	}
	digits, sep := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case (c == '.' || c == ',') && !sep && digits > 0 && i < len(s)-1:
			sep = true
		default:
			return false
		}
	}
	return digits > 0
}

// appendString appends s as a JSON string (registry.AppendJSONString: unlike
// encoding/json it leaves <, > and & alone, as Brreg's JSON files do).
func appendString(dst []byte, s string) []byte { return registry.AppendJSONString(dst, s) }

// AppendCSVHeader appends Brreg's CSV header line for kind.
func AppendCSVHeader(dst []byte, k Kind) []byte {
	for i, c := range CSVHeader(k) {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendQuoted(dst, c)
	}
	return append(dst, '\n')
}

// AppendCSV appends the CSV row of one JSON record (an element of
// enheter_alle.json) the way Brreg writes it: every value quoted, nested
// fields flattened, arrays as lines, paategninger as JA/NEI. Fields with no
// CSV column (_links, historiskeNavn, …) are dropped, as in Brreg's CSV.
func AppendCSV(dst []byte, k Kind, record []byte) ([]byte, error) {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(record))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return dst, err
	}
	for i, f := range fieldsOf(k) {
		if i > 0 {
			dst = append(dst, ',')
		}
		var v any = m
		for _, part := range strings.Split(f.path, ".") {
			o, _ := v.(map[string]any)
			v = o[part]
		}
		var s string
		switch x := v.(type) {
		case nil:
		case string:
			s = x
		case bool:
			s = strconv.FormatBool(x)
		case json.Number:
			s = x.String()
		case []any:
			if f.typ == tPaategninger {
				s = "NEI"
				if len(x) > 0 {
					s = "JA"
				}
				break
			}
			lines := make([]string, len(x))
			for j, e := range x {
				lines[j], _ = e.(string)
			}
			s = strings.Join(lines, "\n")
		default:
			return dst, fmt.Errorf("field %s: unexpected %T", f.path, v)
		}
		dst = appendQuoted(dst, s)
	}
	return append(dst, '\n'), nil
}

func appendQuoted(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			dst = append(dst, '"')
		}
		dst = append(dst, s[i])
	}
	return append(dst, '"')
}
