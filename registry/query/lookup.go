package query

import (
	"encoding/binary"
	"time"

	"github.com/grunndata/grunndata/registry"
)

// Lookup is the scratch of a lookup by person number. The caller pools it;
// nothing in it outlives the request, and answers may alias Buf.
type Lookup struct {
	// Asked is the number the caller sent; NIN is the person answered (their
	// current number; Asked when the generation does not know them).
	Asked, NIN registry.NIN
	key, key2  registry.Key
	buf        []byte
}

// At is the instant a personnel answer is about (HPR HentPerson's
// påTidspunkt, ?atTime). Without it the stored record is served as stored.
type At struct {
	T     time.Time
	Given bool // an instant was asked for
	Bad   bool // it was neither an RFC 3339 instant nor a date
}

// ParseAt reads an ?atTime value (empty: not given).
func ParseAt(b []byte) At {
	if len(b) == 0 {
		return At{}
	}
	if t, err := time.Parse(time.RFC3339, string(b)); err == nil {
		return At{T: t, Given: true}
	}
	if t, err := time.Parse(time.DateOnly, string(b)); err == nil {
		return At{T: t, Given: true}
	}
	return At{Given: true, Bad: true}
}

// ByNIN answers a lookup of l.Asked in reg: RegPerson (the person),
// RegGPPatient (their GP) or IdxPersonnelByNIN (their HPR record). Any of a
// person's numbers finds them: a GP or HPR record held under another of the
// person's numbers is found through the person's stored view. The answer
// aliases the cache or l. It leaves in l.NIN the person answered; resolve
// asks for it also when the register answered at once (the audit log needs
// it), which costs a read of the person.
func (e *Engine) ByNIN(v registry.View, reg registry.Register, kind registry.NINKind, l *Lookup, seeProtected, resolve bool, at At) ([]byte, error) {
	n := l.Asked
	l.NIN = n
	switch reg {
	case registry.RegPerson:
		l.key = registry.PersonKey(n)
		body, err := e.Record(v, &l.key, seeProtected)
		if err == registry.ErrNotFound && kind == registry.NINAin {
			body, err = e.ainRecord(&l.key) // allocated by this service, not in Freg
		}
		if err == nil {
			// Both views start with the current number.
			if cur, ok := registry.CurrentNIN(body); ok {
				l.NIN = cur
			}
		}
		return body, err
	case registry.RegGPPatient:
		l.key = registry.GPPatientKey(n)
		body, err := e.gp(v, l, seeProtected)
		if err != registry.ErrNotFound && !resolve {
			return body, err
		}
		if full, ok := e.resolvePerson(v, l); err == registry.ErrNotFound && ok {
			return e.otherNumbers(full, n, func(o registry.NIN) ([]byte, error) {
				l.key = registry.GPPatientKey(o)
				return e.gp(v, l, seeProtected)
			})
		}
		return body, err
	case registry.IdxPersonnelByNIN:
		l.key = registry.PersonnelByNINKey(n)
		body, err := e.personnelByNIN(v, l, at)
		if err != registry.ErrNotFound && !resolve {
			return body, err
		}
		if full, ok := e.resolvePerson(v, l); err == registry.ErrNotFound && ok {
			return e.otherNumbers(full, n, func(o registry.NIN) ([]byte, error) {
				l.key = registry.PersonnelByNINKey(o)
				return e.personnelByNIN(v, l, at)
			})
		}
		return body, err
	}
	return nil, registry.ErrNotFound
}

// ainRecord serves an AIN from the AIN store (numbers the generation does
// not hold).
func (e *Engine) ainRecord(key *registry.Key) ([]byte, error) {
	if e.ain == nil {
		return nil, registry.ErrNotFound
	}
	val, err := e.ain.Get(nil, key)
	if err != nil {
		return nil, err
	}
	_, full, _, err := registry.DecodeValue(val)
	return full, err
}

// gp answers the GP of the patient under l.key as the caller may see it.
func (e *Engine) gp(v registry.View, l *Lookup, seeProtected bool) ([]byte, error) {
	flags, full, restricted, err := e.decoded(v, &l.key)
	if err != nil {
		return nil, err
	}
	if flags&registry.FlagGone != 0 {
		return nil, registry.ErrGone
	}
	return e.gpView(v, l.key.Bytes()[1:], flags, full, restricted, seeProtected, &l.key2, &l.buf), nil
}

// gpView chooses the GP answer of patient (11 digits) a caller may see:
// the full one with grunndata:person.read-protected, else the withheld one
// for a protected patient. The loader stores the withheld view of patients
// protected at load time; a patient protected since (a Freg delta changes
// the address protection, not the GP answers) is recognised by the person's
// current flags, and answered the same withheld view. zk and buf are scratch.
func (e *Engine) gpView(v registry.View, patient []byte, flags byte, full, restricted []byte, seeProtected bool, zk *registry.Key, buf *[]byte) []byte {
	switch {
	case seeProtected:
		return full
	case flags&registry.FlagRestricted != 0:
		return restricted
	case len(patient) != len(registry.NIN{}):
		return full
	}
	var n registry.NIN
	copy(n[:], patient)
	*zk = registry.PersonExistsKey(n)
	if pv, err := e.cache.Get(v, zk); err == nil && len(pv) > 0 && pv[0]&registry.FlagRestricted != 0 {
		*buf = registry.AppendWithheldGP((*buf)[:0], patient)
		return *buf
	}
	return full
}

// resolvePerson reads the person l.Asked names and sets l.NIN to their
// current number; it returns the stored full view (aliasing the cache) and
// whether the person is in v.
func (e *Engine) resolvePerson(v registry.View, l *Lookup) ([]byte, bool) {
	l.key = registry.PersonKey(l.Asked)
	val, err := e.cache.Get(v, &l.key)
	if err != nil {
		return nil, false
	}
	_, full, _, err := registry.DecodeValue(val)
	if err != nil {
		return nil, false
	}
	if cur, ok := registry.CurrentNIN(full); ok {
		l.NIN = cur
	}
	return full, true
}

// otherNumbers tries the person's other numbers (from their stored view)
// after the number asked found nothing: registers other than Freg may hold
// the person under an earlier or a later number. It returns the first
// answer that is not ErrNotFound.
func (e *Engine) otherNumbers(view []byte, asked registry.NIN, try func(registry.NIN) ([]byte, error)) ([]byte, error) {
	var body []byte
	err := registry.ErrNotFound
	registry.EachPersonNumber(view, func(o registry.NIN) bool {
		if o == asked {
			return true
		}
		body, err = try(o)
		return err == registry.ErrNotFound
	})
	return body, err
}

func (e *Engine) personnelByNIN(v registry.View, l *Lookup, at At) ([]byte, error) {
	hv, err := e.cache.Get(v, &l.key)
	if err != nil {
		return nil, err
	}
	if len(hv) != 4 {
		e.log.Error("BUG: malformed personnel index value")
		return nil, registry.ErrBadValue
	}
	l.key = registry.SerialKey(registry.RegPersonnel, uint64(binary.BigEndian.Uint32(hv)))
	body, _, _, err := e.Personnel(v, &l.key, at)
	return body, err
}

// Personnel answers the HPR record under key: as stored (a cache hit
// copies nothing), or, asked about an instant, rewritten by
// registry.PersonnelAt to the approvals valid then, each with "valid" (a
// decode and an encode: the price of time travel). It also returns the
// person's fødselsnummer (ok false when the record has none). A bad instant
// is ErrBadAtTime, checked before the record is read.
func (e *Engine) Personnel(v registry.View, key *registry.Key, at At) (body []byte, nin registry.NIN, ok bool, err error) {
	if at.Bad {
		return nil, nin, false, ErrBadAtTime
	}
	val, err := e.cache.Get(v, key)
	if err != nil {
		return nil, nin, false, err
	}
	_, full, _, err := registry.DecodeValue(val)
	if err != nil {
		return nil, nin, false, err
	}
	nin, ok = registry.HPRNIN(full)
	if !at.Given {
		return full, nin, ok, nil
	}
	body, err = registry.PersonnelAt(nil, full, at.T)
	if err != nil {
		e.log.Error("BUG: stored HPR record does not decode", "err", err)
		return nil, nin, false, registry.ErrBadValue
	}
	return body, nin, ok, nil
}
