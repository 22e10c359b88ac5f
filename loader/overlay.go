package loader

import (
	"bytes"
	"sort"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/registry"
)

// overlay holds the delta's writes until the one atomic batch, and answers
// reads from them first, then from the copied generation.
type overlay struct {
	b   *index.Builder
	set map[string][]byte // nil value: deleted
}

func newOverlay(b *index.Builder) *overlay { return &overlay{b: b, set: map[string][]byte{}} }

func (o *overlay) get(k registry.Key) ([]byte, bool, error) {
	if v, ok := o.set[string(k.Bytes())]; ok {
		return v, v != nil, nil
	}
	v, err := o.b.Get(nil, &k)
	if err == registry.ErrNotFound {
		return nil, false, nil
	}
	return v, err == nil, err
}

func (o *overlay) put(k registry.Key, v []byte) {
	if v == nil {
		v = []byte{}
	}
	o.set[string(k.Bytes())] = append([]byte(nil), v...)
}

func (o *overlay) del(k registry.Key) { o.set[string(k.Bytes())] = nil }

// putRaw and delRaw handle keys longer than a registry.Key (search entries).
func (o *overlay) putRaw(k, v []byte) { o.set[string(k)] = append([]byte{}, v...) }
func (o *overlay) delRaw(k []byte)    { o.set[string(k)] = nil }

// apply writes every change in one atomic batch, in key order.
func (o *overlay) apply() error {
	keys := make([]string, 0, len(o.set))
	for k := range o.set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	events, err := o.events(keys)
	if err != nil {
		return err
	}
	return o.b.Apply(func(set func(k, v []byte) error, del func(k []byte) error) error {
		for _, e := range events {
			if err := set(e[0], e[1]); err != nil {
				return err
			}
		}
		for _, k := range keys {
			v := o.set[k]
			var err error
			if v == nil {
				err = del([]byte(k))
			} else {
				err = set([]byte(k), v)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// events numbers the delta's changes of records (not of indexes) in each
// register's change feed, after the parent generation's last event, and
// returns the event and feed-range entries to write in the same batch.
func (o *overlay) events(keys []string) ([][2][]byte, error) {
	type pending struct {
		typ byte
		key []byte
	}
	per := map[byte][]pending{}
	for _, k := range keys {
		kb := []byte(k)
		er, ok := registry.EventRegisterOf(registry.Register(kb[0]))
		if !ok || len(kb) > registry.MaxKeyLen {
			continue
		}
		v := o.set[k]
		old, err := o.b.GetRaw(nil, kb)
		existed := err == nil
		if err != nil && err != registry.ErrNotFound {
			return nil, err
		}
		switch {
		case v == nil && existed:
			if registry.Register(kb[0]) != registry.RegPerson || registry.IsCurrentPerson(kb, old) {
				per[er.Code] = append(per[er.Code], pending{registry.EventDelete, kb})
			}
		case v != nil && (!existed || !bytes.Equal(old, v)):
			if registry.Register(kb[0]) != registry.RegPerson || registry.IsCurrentPerson(kb, v) {
				per[er.Code] = append(per[er.Code], pending{registry.EventUpsert, kb})
			}
		}
	}
	var out [][2][]byte
	for _, er := range registry.EventRegisters {
		list := per[er.Code]
		if len(list) == 0 {
			continue
		}
		first, last := uint64(1), uint64(0)
		if v, err := o.b.GetRaw(nil, registry.EventMetaKey(er.Code)); err == nil {
			if f, l, ok := registry.DecodeEventRange(v); ok {
				first, last = f, l
			}
		}
		for _, p := range list {
			last++
			out = append(out, [2][]byte{registry.EventKey(er.Code, last), registry.AppendEventValue(nil, p.typ, p.key)})
		}
		out = append(out, [2][]byte{registry.EventMetaKey(er.Code), registry.AppendEventRange(nil, first, last)})
	}
	return out, nil
}
