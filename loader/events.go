package loader

import (
	"bytes"
	"encoding/binary"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/registry"
)

// DefaultEventRetention is how many events per register a generation keeps;
// a client further behind gets 410 and resynchronises from a snapshot.
const DefaultEventRetention = 1_000_000

// writeEvents gives every change of this load a sequence number per
// register: it compares the new generation with the one it replaces (both
// sorted, so one merge pass per key family in bounded memory), carries the
// retained events over and appends the new ones. The first load of a data
// directory has nothing to compare with: it starts every feed empty, and
// clients bootstrap from the snapshot itself.
func (r *run) writeEvents(prevID string, retention uint64) error {
	if err := r.b.Flush(); err != nil {
		return err
	}
	var prev *index.Snapshot
	if prevID != "" {
		var err error
		if prev, err = r.b.OpenPrevious(prevID); err != nil {
			return err
		}
		defer prev.Close()
	}
	for _, er := range registry.EventRegisters {
		first, last := uint64(1), uint64(0)
		if prev != nil {
			if v, err := prev.Get(nil, registry.EventMetaKey(er.Code)); err == nil {
				if f, l, ok := registry.DecodeEventRange(v); ok {
					first, last = f, l
				}
			}
			// Carry over the events still within retention.
			keepFrom := first
			if last >= retention && last-retention+1 > keepFrom {
				keepFrom = last - retention + 1
			}
			err := prev.Scan([]byte{byte(registry.IdxEvents), er.Code}, func(k, v []byte) bool {
				if binary.BigEndian.Uint64(k[2:]) >= keepFrom {
					if err := r.b.Add(k, v); err != nil {
						return false
					}
				}
				return true
			})
			if err != nil {
				return err
			}
			first = keepFrom
			for _, fam := range er.Families {
				if err := r.diffFamily(prev, er, fam, &last); err != nil {
					return err
				}
			}
			if last >= retention && last-retention+1 > first {
				first = last - retention + 1
			}
		}
		if err := r.b.Add(registry.EventMetaKey(er.Code), registry.AppendEventRange(nil, first, last)); err != nil {
			return err
		}
	}
	return r.b.Flush()
}

// diffFamily merges the old and new keys of family and emits an event per
// created, changed or removed record.
func (r *run) diffFamily(prev *index.Snapshot, er registry.EventRegister, fam registry.Register, last *uint64) error {
	prefix := []byte{byte(fam)}
	oi, err := prev.Iter(prefix)
	if err != nil {
		return err
	}
	defer oi.Close()
	ni, err := r.b.Iter(prefix)
	if err != nil {
		return err
	}
	defer ni.Close()
	emit := func(typ byte, key []byte) error {
		*last++
		return r.b.Add(registry.EventKey(er.Code, *last), registry.AppendEventValue(nil, typ, key))
	}
	// A changed HPR record or RESH unit carries what changed, in the terms
	// of its history (registry.EventChangesOf): an authorisation ended is
	// one event saying so.
	emitChanged := func(key, oldVal, newVal []byte) error {
		*last++
		return r.b.Add(registry.EventKey(er.Code, *last),
			registry.AppendEventValueChanges(nil, registry.EventUpsert, key, registry.EventChangesOf(fam, oldVal, newVal)))
	}
	counts := func(k, v []byte) bool { return fam != registry.RegPerson || registry.IsCurrentPerson(k, v) }
	ok1, ok2 := oi.First(), ni.First()
	for ok1 || ok2 {
		switch c := compareIter(ok1, ok2, oi, ni); {
		case c < 0: // only in the old generation: removed
			if counts(oi.Key(), oi.Value()) {
				if err := emit(registry.EventDelete, oi.Key()); err != nil {
					return err
				}
			}
			ok1 = oi.Next()
		case c > 0: // only in the new one: created
			if counts(ni.Key(), ni.Value()) {
				if err := emit(registry.EventUpsert, ni.Key()); err != nil {
					return err
				}
			}
			ok2 = ni.Next()
		default:
			if !bytes.Equal(oi.Value(), ni.Value()) && counts(ni.Key(), ni.Value()) {
				if err := emitChanged(ni.Key(), oi.Value(), ni.Value()); err != nil {
					return err
				}
			}
			ok1, ok2 = oi.Next(), ni.Next()
		}
	}
	return nil
}

func compareIter(ok1, ok2 bool, a, b *index.Iter) int {
	switch {
	case !ok1:
		return 1
	case !ok2:
		return -1
	}
	return bytes.Compare(a.Key(), b.Key())
}
