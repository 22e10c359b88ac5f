package query

import (
	"encoding/json"
	"strconv"

	"github.com/grunndata/grunndata/registry"
)

// PersonnelHistory answers the history of the HPR record under key
// (registry.PersonnelHistory): every authorisation, licence, speciality,
// requisition right, additional competence and suspension with its
// period, each with its status at the instant at (the engine's clock when
// none is given). It also returns the person's fødselsnummer for the audit
// log (ok false when the record has none). A bad instant is ErrBadAtTime,
// checked before the record is read.
func (e *Engine) PersonnelHistory(v registry.View, key *registry.Key, at At) (body []byte, nin registry.NIN, ok bool, err error) {
	if at.Bad {
		return nil, nin, false, ErrBadAtTime
	}
	instant := at.T
	if !at.Given {
		instant = e.clock()
	}
	val, err := e.cache.Get(v, key)
	if err != nil {
		return nil, nin, false, err
	}
	flags, full, _, err := registry.DecodeValue(val)
	if err != nil {
		return nil, nin, false, err
	}
	if flags&registry.FlagGone != 0 {
		return nil, nin, false, registry.ErrGone
	}
	nin, ok = registry.HPRNIN(full)
	body, err = registry.PersonnelHistory(make([]byte, 0, 2*len(full)), full, instant)
	if err != nil {
		e.log.Error("BUG: stored HPR record does not decode", "err", err)
		return nil, nin, false, registry.ErrBadValue
	}
	return body, nin, ok, nil
}

// PersonnelBulk answers a bulk lookup of HPR persons by HPR-number: one
// item per number, in order, each the record as PersonnelAt answers it
// (as stored without an instant); a malformed or unknown number is an item
// with a code, never a failed batch. Numbers are JSON integers or strings
// of digits. It returns the fødselsnumre of the records answered, for the
// audit log. A bad instant is ErrBadAtTime before anything is read.
func (e *Engine) PersonnelBulk(v registry.View, numbers []json.RawMessage, at At) (out []byte, subjects [][]byte, err error) {
	if at.Bad {
		return nil, nil, ErrBadAtTime
	}
	out = append(make([]byte, 0, 1024*len(numbers)+32), `{"items":[`...)
	for i, raw := range numbers {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, `{"index":`...)
		out = strconv.AppendInt(out, int64(i), 10)
		digits := []byte(raw)
		if len(raw) > 0 && raw[0] == '"' {
			var s string
			if json.Unmarshal(raw, &s) != nil {
				out = append(out, `,"status":400,"code":"invalid_identifier","rule":"non-digit","detail":"not a number"}`...)
				continue
			}
			digits = []byte(s)
		}
		id, perr := registry.ParseSerial(registry.IDHPR, digits)
		if perr != nil {
			rule := registry.RuleNonDigit
			if ie, ok := perr.(*registry.IDError); ok {
				rule = ie.Rule
			}
			out = append(out, `,"status":400,"code":"invalid_identifier","rule":"`...)
			out = append(out, rule...)
			out = append(out, `"}`...)
			continue
		}
		out = append(out, `,"hprNumber":`...)
		out = strconv.AppendUint(out, id, 10)
		key := registry.SerialKey(registry.RegPersonnel, id)
		body, nin, ok, gerr := e.Personnel(v, &key, at)
		switch {
		case gerr == registry.ErrNotFound:
			out = append(out, `,"status":404,"code":"not_found"}`...)
			continue
		case gerr == registry.ErrGone:
			out = append(out, `,"status":410,"code":"gone"}`...)
			continue
		case gerr != nil:
			out = append(out, `,"status":500,"code":"internal"}`...)
			continue
		}
		if ok {
			subjects = append(subjects, append([]byte(nil), nin[:]...))
		}
		out = append(out, `,"status":200,"personnel":`...)
		out = append(out, body...)
		out = append(out, '}')
	}
	return append(out, "]}"...), subjects, nil
}
