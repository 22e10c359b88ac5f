package registry

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"encoding/json"
	"sort"
	"strconv"
)

// codesCSV holds the Volven code lists shipped with the binary (oid, code,
// text), compiled from ../shared/testdata/external/kodeverk: complete lists
// for 9060, 7704, 9044, 8624, 8628, 8116 and 3401; the codes observed in real
// AR records for 7701, 7702, 8658, 8666 and 9040; and, marked incomplete, the
// few codes known for 7426, 7750 and 7751 and the two of 3101 (see Complete).
//
//go:embed codes.csv
var codesCSV []byte

// Code is one coded value as every response carries it.
type Code struct {
	OID  int    `json:"oid"`
	Code string `json:"code"`
	Text string `json:"text"`
}

// CodeList is one Volven code list.
type CodeList struct {
	OID int `json:"oid"`
	// Complete is false where only part of the list could be found; the
	// codes present are real, the missing ones are a known gap.
	Complete bool   `json:"complete"`
	Codes    []Code `json:"codes"`
}

var incomplete = map[int]bool{3101: true, 7426: true, 7701: true, 7702: true, 7750: true, 7751: true, 8658: true, 8666: true, 9040: true}

var codeLists = func() map[int]*CodeList {
	recs, err := csv.NewReader(bytes.NewReader(codesCSV)).ReadAll()
	if err != nil {
		panic("BUG: embedded codes.csv: " + err.Error())
	}
	m := map[int]*CodeList{}
	for _, r := range recs[1:] {
		oid, err := strconv.Atoi(r[0])
		if err != nil {
			panic("BUG: embedded codes.csv: oid " + r[0])
		}
		l := m[oid]
		if l == nil {
			l = &CodeList{OID: oid, Complete: !incomplete[oid]}
			m[oid] = l
		}
		l.Codes = append(l.Codes, Code{OID: oid, Code: r[1], Text: r[2]})
	}
	return m
}()

// CodeLists returns the OIDs of every shipped list, ascending.
func CodeLists() []int {
	out := make([]int, 0, len(codeLists))
	for oid := range codeLists {
		out = append(out, oid)
	}
	sort.Ints(out)
	return out
}

// LookupCodeList returns the list with the given OID.
func LookupCodeList(oid int) (*CodeList, bool) {
	l, ok := codeLists[oid]
	return l, ok
}

// LookupCode returns the text of code in list oid.
func LookupCode(oid int, code string) (Code, bool) {
	if l, ok := codeLists[oid]; ok {
		for _, c := range l.Codes {
			if c.Code == code {
				return c, true
			}
		}
	}
	return Code{}, false
}

// CodeListJSON returns the list encoded for GET /v1/codes/{oid}.
func CodeListJSON(oid int) ([]byte, bool) {
	l, ok := codeLists[oid]
	if !ok {
		return nil, false
	}
	b, _ := json.Marshal(l)
	return b, true
}
