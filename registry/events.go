package registry

import "encoding/binary"

// Change feed: every change a load or delta applies gets a gap-free sequence
// number per register. An event is stored as
//
//	'e' + register code + seq (uint64 BE) → version, type ('u' upsert, 'd' delete), primary key
//
// and the register's retained range as 'M' "ev" + code → first seq, last seq.
// The entity itself is read from the generation when the event is served.

// IdxEvents is the event key family.
const IdxEvents Register = 'e'

// Event types.
const (
	EventUpsert byte = 'u'
	EventDelete byte = 'd'
)

// EventRegister is a register with a change feed.
type EventRegister struct {
	Name     string
	Code     byte
	Families []Register // primary key families whose changes are events
}

// EventRegisters are the feeds of GET /v1/events/{register}.
var EventRegisters = []EventRegister{
	{"persons", 'N', []Register{RegPerson}},
	{"organisations", 'O', []Register{RegOrganisation}},
	{"communication-parties", 'A', []Register{RegParty, RegCertificates}},
	{"personnel", 'H', []Register{RegPersonnel}},
	{"gp", 'G', []Register{RegGPContract, RegGPPatient}},
	{"resh", 'R', []Register{RegResh}},
}

// EventRegisterOf returns the feed a primary key family belongs to.
func EventRegisterOf(f Register) (EventRegister, bool) {
	for _, r := range EventRegisters {
		for _, x := range r.Families {
			if x == f {
				return r, true
			}
		}
	}
	return EventRegister{}, false
}

// LookupEventRegister finds a feed by its URL name.
func LookupEventRegister(name string) (EventRegister, bool) {
	for _, r := range EventRegisters {
		if r.Name == name {
			return r, true
		}
	}
	return EventRegister{}, false
}

// EventKey is the key of event seq of register code.
func EventKey(code byte, seq uint64) []byte {
	k := make([]byte, 10)
	k[0], k[1] = byte(IdxEvents), code
	binary.BigEndian.PutUint64(k[2:], seq)
	return k
}

// EventMetaKey is the key of a register's retained range.
func EventMetaKey(code byte) []byte { return []byte{byte(RegMeta), 'e', 'v', code} }

// AppendEventValue encodes an event.
func AppendEventValue(dst []byte, typ byte, primary []byte) []byte {
	dst = append(dst, ValueVersion, typ)
	return append(dst, primary...)
}

// An event of a register with history (HPR, RESH: serial keys of a fixed
// length) may carry its changes (EventChangesOf, a JSON array) after the
// primary key: version, type, primary key, changes.
const serialKeyLen = 5

func carriesChanges(primary []byte) bool {
	return len(primary) >= serialKeyLen && (Register(primary[0]) == RegPersonnel || Register(primary[0]) == RegResh)
}

// AppendEventValueChanges encodes an event with its changes (nil: none);
// only HPR and RESH events carry changes.
func AppendEventValueChanges(dst []byte, typ byte, primary, changes []byte) []byte {
	dst = AppendEventValue(dst, typ, primary)
	if len(changes) > 0 && len(primary) == serialKeyLen && carriesChanges(primary) {
		dst = append(dst, changes...)
	}
	return dst
}

// DecodeEventValue splits an event value.
func DecodeEventValue(v []byte) (typ byte, primary []byte, ok bool) {
	if len(v) < 3 || v[0] != ValueVersion {
		return 0, nil, false
	}
	p := v[2:]
	if carriesChanges(p) {
		p = p[:serialKeyLen]
	}
	return v[1], p, true
}

// EventValueChanges returns the changes an event value carries (nil: none).
func EventValueChanges(v []byte) []byte {
	if len(v) < 3 || v[0] != ValueVersion || !carriesChanges(v[2:]) || len(v) == 2+serialKeyLen {
		return nil
	}
	return v[2+serialKeyLen:]
}

// EventRange encodes and decodes a register's retained range: events
// first..last are stored; first > last means none yet (last is the newest
// sequence number ever issued).
func AppendEventRange(dst []byte, first, last uint64) []byte {
	dst = binary.BigEndian.AppendUint64(dst, first)
	return binary.BigEndian.AppendUint64(dst, last)
}

// DecodeEventRange decodes AppendEventRange.
func DecodeEventRange(v []byte) (first, last uint64, ok bool) {
	if len(v) != 16 {
		return 0, 0, false
	}
	return binary.BigEndian.Uint64(v), binary.BigEndian.Uint64(v[8:]), true
}

// IsCurrentPerson reports whether a person value stored under key (a
// person key) is the person's current identifier rather than an earlier
// one (persons are stored under every number they have had; one event per
// change, under the current number).
func IsCurrentPerson(key, value []byte) bool {
	_, full, _, err := DecodeValue(value)
	if err != nil || len(key) != 12 {
		return false
	}
	const p = `{"nin":"`
	return len(full) >= len(p)+11 && string(full[:len(p)]) == p && string(full[len(p):len(p)+11]) == string(key[1:])
}
