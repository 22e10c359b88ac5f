package registry

import (
	"encoding/json"
	"errors"
	"time"
)

// HPR records are stored as the register delivered them (compacted JSON,
// docs/formats.md) and served as stored. Asked about an instant (?atTime,
// HentPerson's påTidspunkt), a record is rewritten by PersonnelAt: the rule
// is a pure function of the record and the instant, so it is tested
// without a server or a clock.

// Period is a validity period: dates or timestamps; To nil or "" is open.
type Period struct {
	From string  `json:"from"`
	To   *string `json:"to"`
}

// Day returns the yyyy-mm-dd of t in UTC, the granularity periods compare at.
func Day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// Contains reports whether day (yyyy-mm-dd) lies in p, both ends inclusive;
// a timestamp's date part is used.
func (p Period) Contains(day string) bool {
	if from := p.From[:min(len(p.From), 10)]; from != "" && day < from {
		return false
	}
	if p.To == nil || *p.To == "" {
		return true
	}
	return day <= (*p.To)[:min(len(*p.To), 10)]
}

// Suspended reports whether one of the suspension periods contains day.
func Suspended(suspensions []Period, day string) bool {
	for _, p := range suspensions {
		if p.Contains(day) {
			return true
		}
	}
	return false
}

// validAuthorizations are the 7704 codes that make an approval a valid
// authorisation: autorisasjon (1), autorisasjon med vilkår (17), lisens (4),
// turnuslisens (2), midlertidig tjenesteyting (14), LIS1-lisens (18).
var validAuthorizations = map[string]bool{"1": true, "17": true, "4": true, "2": true, "14": true, "18": true}

// HPRItem is a speciality, requisition right or additional competence.
type HPRItem struct {
	Valid       Period   `json:"valid"`
	Suspensions []Period `json:"suspensions"`
}

// HPRApproval is what the validity rule reads of an approval.
type HPRApproval struct {
	Valid         Period `json:"valid"`
	Ended         bool   `json:"ended"`
	Authorization struct {
		Code string `json:"code"`
	} `json:"authorization"`
	Suspensions           []Period  `json:"suspensions"`
	Specialities          []HPRItem `json:"specialities"`
	RequisitionRights     []HPRItem `json:"requisitionRights"`
	AdditionalCompetences []HPRItem `json:"additionalCompetences"`
}

// ValidAt reports whether a is a valid authorisation on day: a valid
// authorisation type, day inside its period, not ended, not suspended.
func (a *HPRApproval) ValidAt(day string) bool {
	return validAuthorizations[a.Authorization.Code] && a.Valid.Contains(day) && !a.Ended && !Suspended(a.Suspensions, day)
}

// hprRecord is the typed view of a record the rule decodes once.
type hprRecord struct {
	Approvals []HPRApproval `json:"approvals"`
}

var errHPRShape = errors.New("registry: HPR record is not an object with an approvals array")

// PersonnelAt appends to dst the HPR record rec as of instant at: only the
// approvals whose period contains the instant, each with "valid" (true when
// ValidAt), and in each only the specialities, requisition rights and
// additional competences valid at the instant, each with "suspended"; then
// "atTime". Every other field is copied as stored.
func PersonnelAt(dst, rec []byte, at time.Time) ([]byte, error) {
	var r hprRecord
	if err := json.Unmarshal(rec, &r); err != nil {
		return dst, err
	}
	day := Day(at)
	start := len(dst)
	dst = append(dst, '{')
	n, sawApprovals := 0, false
	err := eachField(rec, func(key, val []byte) error {
		if n > 0 {
			dst = append(dst, ',')
		}
		n++
		dst = appendKey(dst, key)
		dst = append(dst, ':')
		if string(key) != "approvals" {
			dst = append(dst, val...)
			return nil
		}
		sawApprovals = true
		var err error
		dst, err = appendApprovalsAt(dst, val, r.Approvals, day)
		return err
	})
	if err != nil {
		return dst[:start], err
	}
	if !sawApprovals {
		if n > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `"approvals":[]`...)
	}
	dst = append(dst, `,"atTime":"`...)
	dst = at.UTC().AppendFormat(dst, time.RFC3339)
	return append(dst, `"}`...), nil
}

// appendKey appends a key as it was written (quoted, escapes kept).
func appendKey(dst, key []byte) []byte {
	dst = append(dst, '"')
	dst = append(dst, key...)
	return append(dst, '"')
}

func appendBool(dst []byte, b bool) []byte {
	if b {
		return append(dst, "true"...)
	}
	return append(dst, "false"...)
}

// appendApprovalsAt appends the approvals (raw array arr, typed as) kept at day.
func appendApprovalsAt(dst, arr []byte, as []HPRApproval, day string) ([]byte, error) {
	dst = append(dst, '[')
	i, kept := 0, 0
	err := eachElem(arr, func(el []byte) error {
		if i >= len(as) {
			return errHPRShape
		}
		a := &as[i]
		i++
		if !a.Valid.Contains(day) {
			return nil
		}
		if kept > 0 {
			dst = append(dst, ',')
		}
		kept++
		dst = append(dst, '{')
		f, sawValid := 0, false
		err := eachField(el, func(key, val []byte) error {
			if f > 0 {
				dst = append(dst, ',')
			}
			f++
			dst = appendKey(dst, key)
			dst = append(dst, ':')
			var items []HPRItem
			switch string(key) {
			case "valid":
				sawValid = true
				dst = appendBool(dst, a.ValidAt(day))
				return nil
			case "specialities":
				items = a.Specialities
			case "requisitionRights":
				items = a.RequisitionRights
			case "additionalCompetences":
				items = a.AdditionalCompetences
			default:
				dst = append(dst, val...)
				return nil
			}
			if string(val) == "null" {
				dst = append(dst, val...)
				return nil
			}
			var err error
			dst, err = appendItemsAt(dst, val, items, day)
			return err
		})
		if err != nil {
			return err
		}
		if !sawValid {
			if f > 0 {
				dst = append(dst, ',')
			}
			dst = appendBool(append(dst, `"valid":`...), a.ValidAt(day))
		}
		dst = append(dst, '}')
		return nil
	})
	if string(arr) == "null" {
		err = nil
	}
	return append(dst, ']'), err
}

// appendItemsAt appends the items (raw array arr, typed as) valid at day,
// each with "suspended".
func appendItemsAt(dst, arr []byte, items []HPRItem, day string) ([]byte, error) {
	dst = append(dst, '[')
	i, kept := 0, 0
	err := eachElem(arr, func(el []byte) error {
		if i >= len(items) {
			return errHPRShape
		}
		it := &items[i]
		i++
		if !it.Valid.Contains(day) {
			return nil
		}
		if kept > 0 {
			dst = append(dst, ',')
		}
		kept++
		dst = append(dst, '{')
		f := 0
		err := eachField(el, func(key, val []byte) error {
			if string(key) == "suspended" {
				return nil
			}
			if f > 0 {
				dst = append(dst, ',')
			}
			f++
			dst = appendKey(dst, key)
			dst = append(append(dst, ':'), val...)
			return nil
		})
		if f > 0 {
			dst = append(dst, ',')
		}
		dst = appendBool(append(dst, `"suspended":`...), Suspended(it.Suspensions, day))
		dst = append(dst, '}')
		return err
	})
	return append(dst, ']'), err
}

// HPRNIN returns the fødselsnummer (or D-number) of an HPR record: its
// top-level "nin", read without decoding or allocating (a lookup answered
// from the stored bytes still names the person for the audit log).
func HPRNIN(rec []byte) (NIN, bool) {
	var n NIN
	found := false
	eachField(rec, func(key, val []byte) error {
		if string(key) != "nin" {
			return nil
		}
		if len(val) == len(n)+2 && val[0] == '"' && val[len(val)-1] == '"' {
			copy(n[:], val[1:len(val)-1])
			found = true
		}
		return errStop
	})
	return n, found
}

// A small scanner over JSON the loader compacted (whitespace is tolerated):
// the spans of an object's fields and an array's elements, so that a record
// is rewritten by copying the bytes it does not change.

var (
	errStop    = errors.New("stop")
	errBadJSON = errors.New("registry: malformed JSON")
)

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// valueEnd returns the index after the JSON value starting at b[i].
func valueEnd(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errBadJSON
	}
	switch b[i] {
	case '"':
		for j := i + 1; j < len(b); j++ {
			switch b[j] {
			case '\\':
				j++
			case '"':
				return j + 1, nil
			}
		}
		return 0, errBadJSON
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				e, err := valueEnd(b, j)
				if err != nil {
					return 0, err
				}
				j = e - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, errBadJSON
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\n' && b[j] != '\t' && b[j] != '\r' {
		j++
	}
	if j == i {
		return 0, errBadJSON
	}
	return j, nil
}

// eachField calls fn with the key (unquoted, escapes left as they are) and
// the raw value of every field of the object obj; errStop from fn ends the
// walk without an error.
func eachField(obj []byte, fn func(key, val []byte) error) error {
	i := skipWS(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return errHPRShape
	}
	i = skipWS(obj, i+1)
	if i < len(obj) && obj[i] == '}' {
		return nil
	}
	for {
		ke, err := valueEnd(obj, i)
		if err != nil || obj[i] != '"' {
			return errBadJSON
		}
		key := obj[i+1 : ke-1]
		i = skipWS(obj, ke)
		if i >= len(obj) || obj[i] != ':' {
			return errBadJSON
		}
		i = skipWS(obj, i+1)
		ve, err := valueEnd(obj, i)
		if err != nil {
			return err
		}
		if err := fn(key, obj[i:ve]); err != nil {
			if err == errStop {
				return nil
			}
			return err
		}
		i = skipWS(obj, ve)
		if i >= len(obj) {
			return errBadJSON
		}
		if obj[i] == '}' {
			return nil
		}
		if obj[i] != ',' {
			return errBadJSON
		}
		i = skipWS(obj, i+1)
	}
}

// eachElem calls fn with every element of the array arr (null: none).
func eachElem(arr []byte, fn func(el []byte) error) error {
	i := skipWS(arr, 0)
	if string(arr[i:]) == "null" {
		return nil
	}
	if i >= len(arr) || arr[i] != '[' {
		return errHPRShape
	}
	i = skipWS(arr, i+1)
	if i < len(arr) && arr[i] == ']' {
		return nil
	}
	for {
		ve, err := valueEnd(arr, i)
		if err != nil {
			return err
		}
		if err := fn(arr[i:ve]); err != nil {
			return err
		}
		i = skipWS(arr, ve)
		if i >= len(arr) {
			return errBadJSON
		}
		if arr[i] == ']' {
			return nil
		}
		if arr[i] != ',' {
			return errBadJSON
		}
		i = skipWS(arr, i+1)
	}
}
