package loader

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/grunndata/grunndata/loader/brreg"
	"github.com/grunndata/grunndata/loader/freg"
)

// page builds a feed page of query from (0: fetched by dato) numbered n
// with items of the given oppdateringsid.
func page(name string, from, n int64, ids ...int64) pageFile {
	q := "https://data.brreg.no/enhetsregisteret/api/oppdateringer/underenheter?size=2"
	if from > 0 {
		q += fmt.Sprintf("&oppdateringsid=%d", from)
	}
	p := &brreg.Page{Feed: brreg.Underenheter, Known: true, From: from, Query: q, Number: n, HasPage: true}
	for _, id := range ids {
		p.Updates = append(p.Updates, brreg.Update{ID: id, Orgnr: fmt.Sprintf("9%08d", id), Type: brreg.Endring})
	}
	return pageFile{name: name, page: p}
}

func TestOrderBrreg(t *testing.T) {
	noPage := page("x.json", 11, 0, 11)
	noPage.page.HasPage = false
	otherDup := page("b.json", 12, 0, 12, 13) // an overlapping query that disagrees on 12
	otherDup.page.Updates[0].Orgnr = "999999999"
	for _, tc := range []struct {
		name    string
		pages   []pageFile
		pos     int64
		has     bool
		want    string // the oppdateringsid applied, in order
		wantErr error  // a sentinel, or nil with errText
		errText string
	}{
		{name: "one page continues", pages: []pageFile{page("a.json", 11, 0, 11, 14)}, pos: 10, has: true, want: "11 14"},
		{name: "pages in any file order", pages: []pageFile{page("z.json", 11, 1, 15, 20), page("a.json", 11, 0, 11, 14)}, pos: 10, has: true, want: "11 14 15 20"},
		{name: "a second query after the first", pages: []pageFile{page("a.json", 11, 0, 11, 14), page("b.json", 15, 0, 15, 16)}, pos: 10, has: true, want: "11 14 15 16"},
		{name: "overlapping queries: the same items once", pages: []pageFile{page("a.json", 11, 0, 11, 14), page("b.json", 14, 0, 14, 16)}, pos: 10, has: true, want: "11 14 16"},
		{name: "the same page twice", pages: []pageFile{page("a.json", 11, 0, 11, 14), page("a2.json", 11, 0, 11, 14)}, pos: 10, has: true, want: "11 14"},
		{name: "no position: any start", pages: []pageFile{page("a.json", 500, 0, 500)}, want: "500"},
		{name: "fetched by dato, starting right after", pages: []pageFile{page("a.json", 0, 0, 11, 12)}, pos: 10, has: true, want: "11 12"},
		{name: "empty page", pages: []pageFile{page("a.json", 11, 0)}, pos: 10, has: true, want: ""},

		{name: "replay", pages: []pageFile{page("a.json", 10, 0, 10, 11)}, pos: 10, has: true, wantErr: ErrFeedReplay},
		{name: "gap before the first query", pages: []pageFile{page("a.json", 12, 0, 12)}, pos: 10, has: true, wantErr: ErrFeedGap},
		{name: "gap between queries", pages: []pageFile{page("a.json", 11, 0, 11, 14), page("b.json", 16, 0, 16)}, pos: 10, has: true, wantErr: ErrFeedGap},
		{name: "missing page", pages: []pageFile{page("a.json", 11, 0, 11), page("c.json", 11, 2, 30)}, pos: 10, has: true, wantErr: ErrFeedGap},
		{name: "fetched by dato, starting later", pages: []pageFile{page("a.json", 0, 0, 12)}, pos: 10, has: true, wantErr: ErrFeedGap},
		{name: "no page object", pages: []pageFile{noPage}, pos: 10, has: true, errText: `no "page" object`},
		{name: "page twice with different items", pages: []pageFile{page("a.json", 11, 0, 11, 14), page("a2.json", 11, 0, 11, 15)}, pos: 10, has: true, errText: "occurs twice with different items"},
		{name: "decreasing within a page", pages: []pageFile{page("a.json", 11, 0, 14, 11)}, pos: 10, has: true, errText: "must be in increasing order"},
		{name: "page not after the previous one", pages: []pageFile{page("a.json", 11, 0, 11, 14), page("b.json", 11, 1, 13)}, pos: 10, has: true, errText: "out-of-order page"},
		{name: "one oppdateringsid, two contents", pages: []pageFile{page("a.json", 11, 0, 11, 12), otherDup}, pos: 10, has: true, errText: "occurs twice with different content"},
		{name: "two queries by dato", pages: []pageFile{page("a.json", 0, 0, 11), func() pageFile { p := page("b.json", 0, 0, 12); p.page.Query += "&dato=x"; return p }()}, pos: 10, has: true, errText: "more than one query without oppdateringsid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := orderBrreg(FeedUnderenheter, brreg.Underenheter, tc.pages, tc.pos, tc.has)
			switch {
			case tc.wantErr != nil || tc.errText != "":
				if err == nil || (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) || !strings.Contains(err.Error(), tc.errText) {
					t.Fatalf("err = %v, want %v %q", err, tc.wantErr, tc.errText)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			var got []string
			for i, u := range o.updates {
				got = append(got, fmt.Sprint(u.ID))
				if o.files[i] == "" {
					t.Errorf("item %d has no page file", u.ID)
				}
			}
			if strings.Join(got, " ") != tc.want {
				t.Errorf("applied %q, want %q", strings.Join(got, " "), tc.want)
			}
			wantTo := tc.pos
			if n := len(o.updates); n > 0 {
				wantTo = o.updates[n-1].ID
			}
			if o.from != tc.pos || o.to != wantTo || o.pages != len(tc.pages) || o.items() != len(o.updates) {
				t.Errorf("from %d to %d pages %d items %d", o.from, o.to, o.pages, o.items())
			}
		})
	}
}

func TestOrderFreg(t *testing.T) {
	ev := func(file string, seq int64) eventAt {
		return eventAt{file: file, ev: freg.Event{Seq: seq, NIN: "01818012345", Type: "EndringIPersonopplysninger", PersonDoc: fmt.Sprint("doc", seq)}}
	}
	changed := ev("b.json", 2)
	changed.ev.PersonDoc = "other"
	for _, tc := range []struct {
		name    string
		events  []eventAt
		pos     int64
		has     bool
		want    string
		pages   int
		wantErr error
		errText string
	}{
		{name: "continues", events: []eventAt{ev("a.json", 1), ev("a.json", 2)}, pos: 0, has: true, want: "1 2", pages: 1},
		{name: "files out of order", events: []eventAt{ev("b.json", 3), ev("a.json", 1), ev("a.json", 2)}, has: true, want: "1 2 3", pages: 2},
		{name: "duplicate event once", events: []eventAt{ev("a.json", 1), ev("b.json", 1), ev("b.json", 2)}, has: true, want: "1 2", pages: 2},
		{name: "no position: any start", events: []eventAt{ev("a.json", 40), ev("a.json", 41)}, want: "40 41", pages: 1},
		{name: "no events", want: "", pages: 0},
		{name: "replay", events: []eventAt{ev("a.json", 5)}, pos: 5, has: true, wantErr: ErrFeedReplay},
		{name: "gap at the start", events: []eventAt{ev("a.json", 7)}, pos: 5, has: true, wantErr: ErrFeedGap},
		{name: "gap inside", events: []eventAt{ev("a.json", 1), ev("a.json", 3)}, has: true, wantErr: ErrFeedGap, errText: "2–2 are missing"},
		{name: "one sekvensnummer, two events", events: []eventAt{ev("a.json", 1), ev("a.json", 2), changed}, has: true, errText: "occurs twice with different events"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := orderFreg(tc.events, tc.pos, tc.has)
			switch {
			case tc.wantErr != nil || tc.errText != "":
				if err == nil || (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) || !strings.Contains(err.Error(), tc.errText) {
					t.Fatalf("err = %v, want %v %q", err, tc.wantErr, tc.errText)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			var got []string
			for _, e := range o.events {
				got = append(got, fmt.Sprint(e.ev.Seq))
			}
			if strings.Join(got, " ") != tc.want || o.pages != tc.pages {
				t.Errorf("applied %q in %d pages, want %q in %d", strings.Join(got, " "), o.pages, tc.want, tc.pages)
			}
		})
	}
}
