package brreg

import (
	"bytes"
	"fmt"
	json "github.com/goccy/go-json"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/grunndata/grunndata/loader/jsonl"
)

// Change types of the update feed (endringstype).
const (
	Ukjent   = "Ukjent"   // from before change types existed: reported, not applied
	Ny       = "Ny"       // upsert
	Endring  = "Endring"  // upsert
	Sletting = "Sletting" // deleted: kept and served as deleted
	Fjernet  = "Fjernet"  // removed for legal reasons: copies must purge it
)

var changeTypes = []string{Ukjent, Ny, Endring, Sletting, Fjernet}

// Update is one item of an update-feed page.
type Update struct {
	// ID is oppdateringsid: increasing within one feed, not contiguous.
	ID   int64
	Dato string
	// Orgnr is organisasjonsnummer as given (not yet validated).
	Orgnr string
	// Type is endringstype in its canonical spelling.
	Type string
	// Err is set for an item that cannot be applied (an unknown
	// endringstype); the loader rejects it.
	Err error
}

// Page is one response of /api/oppdateringer/enheter or /underenheter.
type Page struct {
	// Feed is Enheter or Underenheter, from the _embedded key or, for an
	// empty page, the self link; Known reports whether either said.
	Feed  Kind
	Known bool
	// From is the query's oppdateringsid ("fra og med"), 0 when the page
	// was fetched by dato or has no self link.
	From int64
	// Query is the self link without its page parameter: pages of one
	// query share it.
	Query string
	// Number and TotalPages are from "page"; HasPage says it was present.
	Number, TotalPages int64
	HasPage            bool
	Updates            []Update
}

// MaxPage bounds one feed page (10 000 items of ~300 bytes is 3 MB).
const MaxPage = 64 << 20

// ReadPage parses one HAL page of the update feed. An empty page has no
// `_embedded`. Structural problems (not JSON, an item without oppdateringsid
// or organisasjonsnummer, an unknown _embedded key) are ErrStructure.
func ReadPage(r io.Reader) (*Page, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxPage+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", jsonl.ErrStructure, err)
	}
	if len(b) > MaxPage {
		return nil, fmt.Errorf("%w: page larger than %d bytes", jsonl.ErrStructure, MaxPage)
	}
	var doc struct {
		Embedded map[string]json.RawMessage `json:"_embedded"`
		Links    struct {
			Self struct {
				Href string `json:"href"`
			} `json:"self"`
		} `json:"_links"`
		Page *struct {
			TotalPages int64 `json:"totalPages"`
			Number     int64 `json:"number"`
		} `json:"page"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: not a feed page: %w", jsonl.ErrStructure, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the page object", jsonl.ErrStructure)
	}
	p := &Page{}
	if doc.Page != nil {
		p.HasPage, p.Number, p.TotalPages = true, doc.Page.Number, doc.Page.TotalPages
	}
	if href := doc.Links.Self.Href; href != "" {
		u, err := url.Parse(href)
		if err != nil {
			return nil, fmt.Errorf("%w: self link %q: %w", jsonl.ErrStructure, href, err)
		}
		switch {
		case strings.HasSuffix(u.Path, "/oppdateringer/enheter"):
			p.Feed, p.Known = Enheter, true
		case strings.HasSuffix(u.Path, "/oppdateringer/underenheter"):
			p.Feed, p.Known = Underenheter, true
		}
		q := u.Query()
		if s := q.Get("oppdateringsid"); s != "" {
			if p.From, err = strconv.ParseInt(s, 10, 64); err != nil || p.From < 1 {
				return nil, fmt.Errorf("%w: self link oppdateringsid %q", jsonl.ErrStructure, s)
			}
		}
		q.Del("page")
		u.RawQuery = q.Encode()
		p.Query = u.String()
	}
	for key, raw := range doc.Embedded {
		var feed Kind
		switch key {
		case "oppdaterteEnheter":
			feed = Enheter
		case "oppdaterteUnderenheter":
			feed = Underenheter
		default:
			return nil, fmt.Errorf("%w: unknown _embedded key %q", jsonl.ErrStructure, key)
		}
		if p.Known && p.Feed != feed {
			return nil, fmt.Errorf("%w: _embedded.%s on a page of the %s feed", jsonl.ErrStructure, key, p.Feed)
		}
		p.Feed, p.Known = feed, true
		var items []struct {
			ID           *int64 `json:"oppdateringsid"`
			Dato         string `json:"dato"`
			Orgnr        string `json:"organisasjonsnummer"`
			Endringstype string `json:"endringstype"`
		}
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, fmt.Errorf("%w: _embedded.%s: %w", jsonl.ErrStructure, key, err)
		}
		for i, it := range items {
			if it.ID == nil || *it.ID < 1 {
				return nil, fmt.Errorf("%w: _embedded.%s[%d]: no oppdateringsid", jsonl.ErrStructure, key, i)
			}
			if it.Orgnr == "" {
				return nil, fmt.Errorf("%w: _embedded.%s[%d]: no organisasjonsnummer", jsonl.ErrStructure, key, i)
			}
			u := Update{ID: *it.ID, Dato: it.Dato, Orgnr: it.Orgnr, Type: it.Endringstype}
			u.Type = ""
			for _, t := range changeTypes {
				if strings.EqualFold(t, it.Endringstype) {
					u.Type = t
				}
			}
			if u.Type == "" {
				u.Type = it.Endringstype
				u.Err = fmt.Errorf("endringstype %q: not one of %s", it.Endringstype, strings.Join(changeTypes, ", "))
			}
			p.Updates = append(p.Updates, u)
		}
	}
	return p, nil
}
