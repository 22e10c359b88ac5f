package query

import (
	"encoding/binary"
	"strconv"

	"github.com/grunndata/grunndata/registry"
)

// EventsExpired is the answer to a feed read from before the retained
// events: the client resynchronises from a snapshot, then follows from
// Oldest-1.
type EventsExpired struct{ Oldest uint64 }

func (e *EventsExpired) Error() string { return "events no longer retained" }

// Events answers a page of the change feed er after sequence number after:
// the changes in order, each with the full entity as v holds it (not a slim
// event that forces another lookup); a delete has no entity, a record
// removed for legal reasons is "gone". An after older than the retained
// events is *EventsExpired. It returns the persons the page names (persons,
// GP patients, the fødselsnumre of HPR records), for the audit log.
func (e *Engine) Events(v registry.View, er registry.EventRegister, after uint64, limit int, seeProtected bool) ([]byte, [][]byte, error) {
	first, last := uint64(1), uint64(0)
	mk := registry.RawKey(registry.EventMetaKey(er.Code))
	if mv, err := v.Get(nil, &mk); err == nil {
		if f, l, ok := registry.DecodeEventRange(mv); ok {
			first, last = f, l
		}
	}
	if after+1 < first {
		return nil, nil, &EventsExpired{Oldest: first}
	}
	out := append(make([]byte, 0, 8192), `{"register":"`...)
	out = append(out, er.Name...)
	out = append(out, `","items":[`...)
	var from [8]byte
	binary.BigEndian.PutUint64(from[:], after+1)
	n := 0
	next := after
	var subjects [][]byte
	var gpBuf []byte
	err := v.Scan([]byte{byte(registry.IdxEvents), er.Code}, from[:], func(k, ev []byte) bool {
		if n == limit {
			return false
		}
		seq := binary.BigEndian.Uint64(k[2:])
		typ, pk, ok := registry.DecodeEventValue(ev)
		if !ok || len(pk) == 0 || len(pk) > registry.MaxKeyLen {
			return true
		}
		if n > 0 {
			out = append(out, ',')
		}
		out = append(out, `{"seq":`...)
		out = strconv.AppendUint(out, seq, 10)
		if er.Name == "gp" {
			if registry.Register(pk[0]) == registry.RegGPContract {
				out = append(out, `,"kind":"contract"`...)
			} else {
				out = append(out, `,"kind":"patient"`...)
			}
		}
		if registry.Register(pk[0]) == registry.RegCertificates {
			out = append(out, `,"kind":"certificates"`...)
		}
		out = append(out, `,"id":`...)
		out = AppendEventID(out, pk)
		key := registry.RawKey(pk)
		val, gerr := e.cache.Get(v, &key)
		var entity []byte
		switch {
		case typ == registry.EventDelete || gerr != nil:
			out = append(out, `,"type":"delete"}`...)
		case registry.Register(pk[0]) == registry.RegCertificates:
			out = e.appendCertEvent(out, v, pk, val)
		default:
			flags, full, restricted, derr := registry.DecodeValue(val)
			switch {
			case derr != nil:
				out = append(out, `,"type":"delete"}`...)
			case flags&registry.FlagGone != 0:
				out = append(out, `,"type":"gone"}`...)
			default:
				body := restricted
				if seeProtected {
					body = full
				}
				if registry.Register(pk[0]) == registry.RegGPPatient {
					var zk registry.Key
					body = e.gpView(v, pk[1:], flags, full, restricted, seeProtected, &zk, &gpBuf)
				}
				entity = full
				out = append(out, `,"type":"upsert","entity":`...)
				out = append(out, body...)
				if ch := registry.EventValueChanges(ev); ch != nil {
					out = append(out, `,"changes":`...)
					out = append(out, ch...)
				}
				out = append(out, '}')
			}
		}
		if sn, ok := EventSubject(pk, entity); ok {
			subjects = append(subjects, append([]byte(nil), sn[:]...))
		}
		n++
		next = seq
		return true
	})
	if err != nil {
		return nil, nil, err
	}
	out = append(out, `],"lastSeq":`...)
	out = strconv.AppendUint(out, last, 10)
	out = append(out, `,"nextAfter":`...)
	out = strconv.AppendUint(out, next, 10)
	out = append(out, `,"generation":"`...)
	out = append(out, v.ID()...)
	return append(out, `"}`...), subjects, nil
}

// EventSubject returns the person an event is about, if any: the person or
// GP patient of the primary key pk, or the fødselsnummer in an HPR record
// (entity: the record served, nil for a delete).
func EventSubject(pk, entity []byte) (registry.NIN, bool) {
	var n registry.NIN
	switch registry.Register(pk[0]) {
	case registry.RegPerson, registry.RegGPPatient:
		if len(pk) != 1+len(n) {
			return n, false
		}
		copy(n[:], pk[1:])
		return n, true
	case registry.RegPersonnel:
		if entity != nil {
			return registry.HPRNIN(entity)
		}
	}
	return n, false
}

// AppendEventID appends a primary key as the id clients know: a number for
// serial registers, a string of digits for the others.
func AppendEventID(out []byte, key []byte) []byte {
	switch registry.Register(key[0]) {
	case registry.RegParty, registry.RegPersonnel, registry.RegResh, registry.RegCertificates:
		return strconv.AppendUint(out, uint64(binary.BigEndian.Uint32(key[1:])), 10)
	case registry.RegGPContract:
		return strconv.AppendUint(out, binary.BigEndian.Uint64(key[1:]), 10)
	}
	out = append(out, '"')
	out = append(out, key[1:]...)
	return append(out, '"')
}
