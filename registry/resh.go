package registry

import (
	"encoding/json"
	"time"
)

// RESH units are stored as the register delivered them, each with its
// validity period ("valid": from, to; to null while the unit exists).
// Asked about an instant (?atTime), a unit is answered only when the
// instant is in its period, rewritten by ReshAt: a pure function of the
// record and the instant, tested without a server or a clock.

// reshValidity is what the rule reads of a unit.
type reshValidity struct {
	Valid *Period `json:"valid"`
}

// ReshValidAt reports whether the RESH unit rec exists on day (yyyy-mm-dd):
// its "valid" period contains the day, both ends inclusive. A unit without
// a period (or with a null one) is valid at every instant: the register
// gives nothing to refuse it on.
func ReshValidAt(rec []byte, day string) (bool, error) {
	var r reshValidity
	if err := json.Unmarshal(rec, &r); err != nil {
		return false, err
	}
	return r.Valid == nil || r.Valid.Contains(day), nil
}

// ReshAt appends the RESH unit rec as of instant at and reports whether it
// existed then (ReshValidAt; nothing is appended when it did not). The
// unit is copied as stored, but "active" is true (it existed at the
// instant, whatever it is now) and "atTime" is added.
func ReshAt(dst, rec []byte, at time.Time) ([]byte, bool, error) {
	ok, err := ReshValidAt(rec, Day(at))
	if err != nil || !ok {
		return dst, false, err
	}
	start := len(dst)
	dst = append(dst, '{')
	n, sawActive := 0, false
	err = eachField(rec, func(key, val []byte) error {
		if string(key) == "atTime" {
			return nil
		}
		if n > 0 {
			dst = append(dst, ',')
		}
		n++
		dst = appendKey(dst, key)
		dst = append(dst, ':')
		if string(key) == "active" {
			sawActive = true
			val = []byte("true")
		}
		dst = append(dst, val...)
		return nil
	})
	if err != nil {
		return dst[:start], false, err
	}
	if n > 0 {
		dst = append(dst, ',')
	}
	if !sawActive {
		dst = append(dst, `"active":true,`...)
	}
	dst = append(dst, `"atTime":"`...)
	dst = at.UTC().AppendFormat(dst, time.RFC3339)
	return append(dst, `"}`...), true, nil
}
