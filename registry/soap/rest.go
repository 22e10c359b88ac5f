package soap

import (
	"encoding/binary"
	"errors"
	"strconv"

	"github.com/grunndata/grunndata/registry"
)

// NHN's CommunicationParty REST API v2 shape of the same model: a lookup
// {"herId","parentHerId","type","communicationParty":{…legacy model…}} and a
// slim, sequence-numbered event feed.

// AppendRESTParty appends the REST answer for HER-id her, or returns
// registry.ErrNotFound.
func AppendRESTParty(dst []byte, her uint64, b Backend) ([]byte, error) {
	p, err := arParty(b, her)
	if errors.Is(err, arNotFound) {
		return dst, registry.ErrNotFound
	}
	if err != nil {
		return dst, err
	}
	c := &call{b: b, w: xw{dst: dst, json: true}}
	w := &c.w
	w.raw("{")
	w.num("", "herId", p.herID)
	if isNull(p.parentHerID) {
		w.nilElem("", "parentHerId")
	} else {
		w.num("", "parentHerId", p.parentHerID)
	}
	w.text("", "type", p.typ)
	w.open("", "communicationParty")
	if err := c.appendParty("", p, false, levelTop); err != nil {
		return dst, err
	}
	w.raw("}}")
	return w.dst, nil
}

// Event types of the REST feed. A bulk or delta change of a party is
// CommunicationPartyUpdated; the feed does not tell creations apart.
const eventUpdated = "CommunicationPartyUpdated"

// AppendRESTEvents appends the slim events with sequence number from on
// (at most limit): [{"sequenceNumber","herId","eventType","eventTimestamp"}],
// eventTimestamp being the party's lastChanged. It returns the answer and
// the first sequence number still retained (0 when the feed is empty).
func AppendRESTEvents(dst []byte, from uint64, limit int, b Backend) ([]byte, error) {
	er, ok := registry.LookupEventRegister("communication-parties")
	if !ok {
		return dst, errors.New("BUG: no communication-parties feed")
	}
	w := &xw{dst: dst, json: true}
	w.raw("[")
	var start [8]byte
	binary.BigEndian.PutUint64(start[:], max(from, 1))
	n := 0
	var ferr error
	err := b.Scan([]byte{byte(registry.IdxEvents), er.Code}, start[:], func(k, ev []byte) bool {
		if n == limit {
			return false
		}
		_, pk, ok := registry.DecodeEventValue(ev)
		if !ok || len(pk) != 5 || registry.Register(pk[0]) != registry.RegParty || len(k) != 10 {
			return true
		}
		seq := binary.BigEndian.Uint64(k[2:])
		her := uint64(binary.BigEndian.Uint32(pk[1:]))
		w.sep()
		w.raw("{")
		w.key("sequenceNumber")
		w.dst = strconv.AppendUint(w.dst, seq, 10)
		w.key("herId")
		w.dst = strconv.AppendUint(w.dst, her, 10)
		w.str("", "eventType", eventUpdated)
		p, err := arParty(b, her)
		switch {
		case err == nil:
			w.dateTime("", "eventTimestamp", p.lastChanged, "")
		case errors.Is(err, arNotFound):
			w.nilElem("", "eventTimestamp")
		default:
			ferr = err
			return false
		}
		w.raw("}")
		n++
		return true
	})
	if err == nil {
		err = ferr
	}
	if err != nil {
		return dst, err
	}
	w.raw("]")
	return w.dst, nil
}
