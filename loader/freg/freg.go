// Package freg parses Folkeregisteret person documents as Skatteetaten
// delivers them: files of `bulkoppslag` responses (`{"oppslag":[…]}`, an item
// may carry `feilmelding` instead of a person; ReadBulk), JSON lines of bare
// person documents (ReadLines), pages of the event feed `hendelser/feed`
// (ReadFeed) and the person documents a feed refers to (ReadDocuments). It
// is pure: io.Reader in, persons out.
//
// Every entity in a Freg person is an array of versions (except doedsfall and
// falskIdentitet); the current one has erGjeldende true, the others are
// history. Enumerations are matched case-insensitively (the official examples
// mix UGRADERT and ugradert) and written in Freg's canonical case. Unknown
// keys are ignored, and reported through Item.Unknown so the loader can count
// them.
package freg

import (
	"bufio"
	"bytes"
	"fmt"
	json "github.com/goccy/go-json"
	"io"
	"strings"

	"github.com/grunndata/grunndata/loader/jsonl"
)

// Item is one element of a bulkoppslag response.
type Item struct {
	// Index is the 0-based position in the oppslag array.
	Index int
	// NIN is foedselsEllerDNummer as given.
	NIN         string
	Person      *Person
	Feilmelding json.RawMessage
	// Unknown lists the keys of the person document the schema does not
	// know ("entity" or "entity.key"); usually nil.
	Unknown []string
	// Err is set when the item is valid JSON of the wrong shape.
	Err error
}

// ParsePerson decodes one person document (a Folkeregisterperson object)
// and lists the keys of it the schema does not know.
func ParsePerson(raw []byte) (p *Person, unknown []string, err error) {
	p = new(Person)
	if err := json.Unmarshal(raw, p); err != nil {
		return nil, nil, err
	}
	scanUnknown(raw, func(path string) { unknown = append(unknown, path) })
	return p, unknown, nil
}

// ReadLines streams JSON lines of bare person documents (what
// `personer/{id}` returns, one per line), calling fn per line with
// Item.Index set to the 1-based line number and NIN to the person's current
// number. A line that is not JSON is ErrStructure.
func ReadLines(r io.Reader, fn func(it *Item) error) error {
	return jsonl.Lines(r, func(line int, b []byte) error {
		it := Item{Index: line}
		p, unknown, err := ParsePerson(b)
		if err != nil {
			if !json.Valid(b) {
				return fmt.Errorf("%w: line %d: %w", jsonl.ErrStructure, line, err)
			}
			it.Err = err
		} else {
			it.Person, it.Unknown = p, unknown
			it.NIN = p.summaryNIN()
		}
		return fn(&it)
	})
}

// ReadBulk streams a bulkoppslag response, calling fn per oppslag item.
func ReadBulk(r io.Reader, fn func(it *Item) error) error {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 1<<20))
	if err := expectDelim(dec, '{'); err != nil {
		return err
	}
	seen := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("%w: %w", jsonl.ErrStructure, err)
		}
		key, _ := tok.(string)
		if key != "oppslag" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return fmt.Errorf("%w: %w", jsonl.ErrStructure, err)
			}
			continue
		}
		seen = true
		if err := expectDelim(dec, '['); err != nil {
			return err
		}
		for i := 0; dec.More(); i++ {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return fmt.Errorf("%w: oppslag[%d]: %w", jsonl.ErrStructure, i, err)
			}
			it := Item{Index: i}
			var w struct {
				NIN         string          `json:"foedselsEllerDNummer"`
				Person      json.RawMessage `json:"folkeregisterperson"`
				Feilmelding json.RawMessage `json:"feilmelding"`
			}
			if err := json.Unmarshal(raw, &w); err != nil {
				it.Err = err
			} else {
				it.NIN, it.Feilmelding = w.NIN, w.Feilmelding
				if len(w.Person) > 0 && string(w.Person) != "null" {
					it.Person, it.Unknown, it.Err = ParsePerson(w.Person)
				}
			}
			if err := fn(&it); err != nil {
				return err
			}
		}
		if err := expectDelim(dec, ']'); err != nil {
			return err
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return err
	}
	if !seen {
		return fmt.Errorf("%w: no \"oppslag\" array", jsonl.ErrStructure)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: data after the response object", jsonl.ErrStructure)
	}
	return nil
}

func expectDelim(dec *json.Decoder, d json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("%w: %w", jsonl.ErrStructure, err)
	}
	if got, ok := tok.(json.Delim); !ok || got != d {
		return fmt.Errorf("%w: expected %q, found %v", jsonl.ErrStructure, d, tok)
	}
	return nil
}

// meta is the registry metadata every versioned element carries.
type meta struct {
	ErGjeldende bool   `json:"erGjeldende"`
	Gyldig      string `json:"gyldighetstidspunkt"`
	Opphoer     string `json:"opphoerstidspunkt"`
}

func (m meta) current() bool { return m.ErGjeldende }

// Person is the subset of a Freg person document the service serves.
type Person struct {
	Identifikasjonsnummer []struct {
		meta
		FoedselsEllerDNummer string `json:"foedselsEllerDNummer"`
		Identifikatortype    string `json:"identifikatortype"`
		Status               string `json:"status"`
	} `json:"identifikasjonsnummer"`
	Status []struct {
		meta
		Status string `json:"status"`
	} `json:"status"`
	Navn []struct {
		meta
		Fornavn    string `json:"fornavn"`
		Mellomnavn string `json:"mellomnavn"`
		Etternavn  string `json:"etternavn"`
	} `json:"navn"`
	Foedsel []struct {
		meta
		Foedselsdato string `json:"foedselsdato"`
		Foedselsaar  string `json:"foedselsaar"`
		Foedeland    string `json:"foedeland"`
	} `json:"foedsel"`
	Kjoenn []struct {
		meta
		Kjoenn string `json:"kjoenn"`
	} `json:"kjoenn"`
	Doedsfall *struct {
		Doedsdato string `json:"doedsdato"`
	} `json:"doedsfall"`
	Sivilstand []struct {
		meta
		Sivilstand string `json:"sivilstand"`
	} `json:"sivilstand"`
	Statsborgerskap []struct {
		meta
		Statsborgerskap string `json:"statsborgerskap"`
	} `json:"statsborgerskap"`
	Adressebeskyttelse []struct {
		meta
		Graderingsnivaa string `json:"graderingsnivaa"`
	} `json:"adressebeskyttelse"`
	Bostedsadresse       []Address `json:"bostedsadresse"`
	Oppholdsadresse      []Address `json:"oppholdsadresse"`
	DeltBosted           []Address `json:"deltBosted"`
	Postadresse          []Address `json:"postadresse"`
	PostadresseIUtlandet []Address `json:"postadresseIUtlandet"`
	Familierelasjon      []struct {
		meta
		RelatertPerson       string `json:"relatertPerson"`
		RelatertPersonsRolle string `json:"relatertPersonsRolle"`
	} `json:"familierelasjon"`
}

// Address is one version of an address entity, kept as Freg wrote it.
type Address struct {
	Current bool
	// Gyldig and Opphoer are gyldighetstidspunkt and opphoerstidspunkt.
	Gyldig, Opphoer string
	Grading         Grading
	// Postnummer and Kommunenummer are pulled out for search and filters.
	Postnummer, Kommunenummer string
	Raw                       json.RawMessage
}

// UnmarshalJSON keeps the raw element and reads the fields we act on.
func (a *Address) UnmarshalJSON(b []byte) error {
	var f struct {
		ErGjeldende      bool   `json:"erGjeldende"`
		Gyldig           string `json:"gyldighetstidspunkt"`
		Opphoer          string `json:"opphoerstidspunkt"`
		Adressegradering string `json:"adressegradering"`
		Vegadresse       *struct {
			Kommunenummer string `json:"kommunenummer"`
			Poststed      *struct {
				Postnummer string `json:"postnummer"`
			} `json:"poststed"`
		} `json:"vegadresse"`
		Matrikkeladresse *struct {
			Matrikkelnummer *struct {
				Kommunenummer string `json:"kommunenummer"`
			} `json:"matrikkelnummer"`
			Poststed *struct {
				Postnummer string `json:"postnummer"`
			} `json:"poststed"`
		} `json:"matrikkeladresse"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	g, ok := ParseGrading(f.Adressegradering)
	if !ok && f.Adressegradering != "" {
		return fmt.Errorf("adressegradering %q: not a grading", f.Adressegradering)
	}
	a.Current, a.Grading, a.Gyldig, a.Opphoer = f.ErGjeldende, g, f.Gyldig, f.Opphoer
	if v := f.Vegadresse; v != nil {
		a.Kommunenummer = v.Kommunenummer
		if v.Poststed != nil {
			a.Postnummer = v.Poststed.Postnummer
		}
	}
	if m := f.Matrikkeladresse; m != nil {
		if m.Matrikkelnummer != nil {
			a.Kommunenummer = m.Matrikkelnummer.Kommunenummer
		}
		if m.Poststed != nil {
			a.Postnummer = m.Poststed.Postnummer
		}
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return err
	}
	a.Raw = buf.Bytes()
	if f.Adressegradering != "" && f.Adressegradering != g.String() {
		// Served in Freg's canonical case ("UGRADERT" in the 2019 example).
		a.Raw = bytes.Replace(a.Raw, []byte(`"adressegradering":"`+f.Adressegradering+`"`),
			[]byte(`"adressegradering":"`+g.String()+`"`), 1)
	}
	return nil
}

// Grading is Freg's address protection level, ordered by severity.
type Grading uint8

// Gradings (Freg has no strengtFortroligUtland; that is a NAV PDL value).
const (
	Ugradert Grading = iota
	Klientadresse
	Fortrolig
	StrengtFortrolig
)

var gradingNames = [...]string{"ugradert", "klientadresse", "fortrolig", "strengtFortrolig"}

func (g Grading) String() string { return gradingNames[g] }

// ParseGrading matches s case-insensitively; "" is ugradert.
func ParseGrading(s string) (Grading, bool) {
	if s == "" {
		return Ugradert, true
	}
	for i, n := range gradingNames {
		if strings.EqualFold(s, n) {
			return Grading(i), true
		}
	}
	return Ugradert, false
}

// canonical returns the canonical spelling of an enumeration value among
// names, matched case-insensitively; unknown values are returned as given.
func canonical(s string, names ...string) string {
	for _, n := range names {
		if strings.EqualFold(s, n) {
			return n
		}
	}
	return s
}

var statusNames = []string{"bosatt", "utflyttet", "forsvunnet", "doed", "opphoert", "foedselsregistrert",
	"midlertidig", "inaktiv", "ikkeBosatt", "aktiv"}
var sivilstandNames = []string{"uoppgitt", "ugift", "gift", "enkeEllerEnkemann", "skilt", "separert",
	"registrertPartner", "separertPartner", "skiltPartner", "gjenlevendePartner"}
var idTypeNames = []string{"foedselsnummer", "dNummer"}
var idStatusNames = []string{"iBruk", "opphoert"}
var kjoennNames = []string{"kvinne", "mann"}
