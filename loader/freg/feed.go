package freg

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"fmt"
	json "github.com/goccy/go-json"
	"io"
	"strconv"
	"strings"

	"github.com/grunndata/grunndata/loader/jsonl"
)

// Event is one item of a hendelser/feed page.
type Event struct {
	// Seq is sekvensnummer: contiguous over the whole feed.
	Seq int64
	// NIN is folkeregisteridentifikator as given.
	NIN string
	// Type is hendelsetype (the 2017 shape called it registeroppdatering).
	Type string
	// PersonDoc is persondokument: the id of the person document as it is
	// after the event.
	PersonDoc string
	// EventDoc is hendelsesdokument.
	EventDoc      string
	Ajourhold     string
	Skjemaversjon string
}

// MaxFeedPage bounds one feed page (Freg pages hold 1000 events).
const MaxFeedPage = 64 << 20

// ReadFeed parses one page of `hendelser/feed?seq=N`: the JSON array
// (`[{"sekvensnummer","hendelse":{…}}]`) or its Atom variant. Events come
// back in page order. A page that is not one of these, or an event without
// sekvensnummer, is ErrStructure.
func ReadFeed(r io.Reader) ([]Event, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxFeedPage+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", jsonl.ErrStructure, err)
	}
	if len(b) > MaxFeedPage {
		return nil, fmt.Errorf("%w: feed page larger than %d bytes", jsonl.ErrStructure, MaxFeedPage)
	}
	t := bytes.TrimLeft(b, " \t\r\n\ufeff")
	if len(t) > 0 && t[0] == '<' {
		return readAtom(t)
	}
	var items []struct {
		Seq           *int64 `json:"sekvensnummer"`
		Skjemaversjon string `json:"skjemaversjon"`
		Hendelse      *struct {
			NIN                 string `json:"folkeregisteridentifikator"`
			Hendelsetype        string `json:"hendelsetype"`
			Registeroppdatering string `json:"registeroppdatering"`
			Hendelsesdokument   string `json:"hendelsesdokument"`
			Persondokument      string `json:"persondokument"`
			Ajourhold           string `json:"ajourholdstidspunkt"`
		} `json:"hendelse"`
	}
	dec := json.NewDecoder(bytes.NewReader(t))
	if err := dec.Decode(&items); err != nil {
		return nil, fmt.Errorf("%w: not a feed page: %w", jsonl.ErrStructure, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the feed array", jsonl.ErrStructure)
	}
	out := make([]Event, 0, len(items))
	for i, it := range items {
		if it.Seq == nil || *it.Seq < 1 {
			return nil, fmt.Errorf("%w: feed item %d: no sekvensnummer", jsonl.ErrStructure, i)
		}
		if it.Hendelse == nil {
			return nil, fmt.Errorf("%w: feed item %d (sekvensnummer %d): no hendelse", jsonl.ErrStructure, i, *it.Seq)
		}
		h := it.Hendelse
		typ := h.Hendelsetype
		if typ == "" {
			typ = h.Registeroppdatering // the 2017 shape
		}
		out = append(out, Event{Seq: *it.Seq, NIN: h.NIN, Type: typ, PersonDoc: h.Persondokument,
			EventDoc: h.Hendelsesdokument, Ajourhold: h.Ajourhold, Skjemaversjon: it.Skjemaversjon})
	}
	return out, nil
}

// readAtom parses the Atom variant: <feed><entry><content><lagretHendelse>.
func readAtom(b []byte) ([]Event, error) {
	var feed struct {
		XMLName xml.Name `xml:"feed"`
		Entries []struct {
			Lagret struct {
				Seq      string `xml:"sekvensnummer"`
				Hendelse struct {
					NIN               string `xml:"folkeregisteridentifikator"`
					Hendelsetype      string `xml:"hendelsetype"`
					Hendelsesdokument string `xml:"hendelsesdokument"`
					Persondokument    string `xml:"persondokument"`
					Ajourhold         string `xml:"ajourholdstidspunkt"`
				} `xml:"hendelse"`
			} `xml:"content>lagretHendelse"`
		} `xml:"entry"`
	}
	dec := xml.NewDecoder(bufio.NewReader(bytes.NewReader(b)))
	if err := dec.Decode(&feed); err != nil {
		return nil, fmt.Errorf("%w: not an Atom feed page: %w", jsonl.ErrStructure, err)
	}
	out := make([]Event, 0, len(feed.Entries))
	for i, e := range feed.Entries {
		l := e.Lagret
		seq, err := strconv.ParseInt(strings.TrimSpace(l.Seq), 10, 64)
		if err != nil || seq < 1 {
			return nil, fmt.Errorf("%w: Atom entry %d: sekvensnummer %q", jsonl.ErrStructure, i, l.Seq)
		}
		h := l.Hendelse
		out = append(out, Event{Seq: seq, NIN: strings.TrimSpace(h.NIN), Type: strings.TrimSpace(h.Hendelsetype),
			PersonDoc: strings.TrimSpace(h.Persondokument), EventDoc: strings.TrimSpace(h.Hendelsesdokument),
			Ajourhold: strings.TrimSpace(h.Ajourhold)})
	}
	return out, nil
}

// Document is one line of a persondokumenter file: a person document with
// the id the feed's persondokument refers to.
type Document struct {
	Line int
	ID   string
	// Raw is the folkeregisterperson object; valid only during the callback.
	Raw []byte
	// Err is set for a line that is JSON of the wrong shape.
	Err error
}

// ReadDocuments streams a persondokumenter file: JSON lines of
// `{"dokumentidentifikator":…,"folkeregisterperson":{…}}`, what
// `personer/arkiv/{dokumentidentifikator}` returns, wrapped with its id.
func ReadDocuments(r io.Reader, fn func(d *Document) error) error {
	return jsonl.Lines(r, func(line int, b []byte) error {
		d := Document{Line: line}
		var w struct {
			ID     string          `json:"dokumentidentifikator"`
			Person json.RawMessage `json:"folkeregisterperson"`
		}
		if err := json.Unmarshal(b, &w); err != nil {
			if !json.Valid(b) {
				return fmt.Errorf("%w: line %d: %w", jsonl.ErrStructure, line, err)
			}
			d.Err = err
		} else if w.ID == "" {
			d.Err = fmt.Errorf("no dokumentidentifikator")
		} else if len(w.Person) == 0 || w.Person[0] != '{' {
			d.ID, d.Err = w.ID, fmt.Errorf("no folkeregisterperson object")
		} else {
			d.ID, d.Raw = w.ID, w.Person
		}
		return fn(&d)
	})
}
