package query

import (
	"encoding/binary"
	"encoding/json"

	"github.com/grunndata/grunndata/registry"
)

// reshFull returns the stored full view of RESH unit id.
func (e *Engine) reshFull(v registry.View, id uint64) ([]byte, error) {
	k := registry.SerialKey(registry.RegResh, id)
	val, err := e.cache.Get(v, &k)
	if err != nil {
		return nil, err
	}
	_, full, _, err := registry.DecodeValue(val)
	return full, err
}

// ReshUnitAt answers RESH unit id as of the instant at (registry.ReshAt):
// ErrNotFound when the unit did not exist then, as when it never did. A bad
// instant is ErrBadAtTime, checked before the unit is read.
func (e *Engine) ReshUnitAt(v registry.View, id uint64, at At) ([]byte, error) {
	if at.Bad {
		return nil, ErrBadAtTime
	}
	full, err := e.reshFull(v, id)
	if err != nil {
		return nil, err
	}
	if !at.Given {
		return full, nil
	}
	out, ok, err := registry.ReshAt(nil, full, at.T)
	switch {
	case err != nil:
		e.log.Error("BUG: stored RESH unit does not decode", "err", err)
		return nil, registry.ErrBadValue
	case !ok:
		return nil, registry.ErrNotFound
	}
	return out, nil
}

// ReshTree answers a RESH unit with its path to the root (root first) and
// its direct children. RESH-ids are permanent, so closed units are served
// too (marked by their own fields). Asked about an instant (at.Given), the
// tree is the one of that instant: the unit is ErrNotFound unless it
// existed then, and ancestors and children that did not exist then are
// left out (registry.ReshAt rewrites those that did).
func (e *Engine) ReshTree(v registry.View, id uint64, children, ancestors bool, at At) ([]byte, error) {
	if at.Bad {
		return nil, ErrBadAtTime
	}
	// view returns the unit as answered at the instant (nil: it did not
	// exist then); buf is scratch for the rewritten units.
	var buf []byte
	view := func(full []byte) ([]byte, error) {
		if !at.Given {
			return full, nil
		}
		start := len(buf)
		var ok bool
		var err error
		buf, ok, err = registry.ReshAt(buf, full, at.T)
		if err != nil {
			e.log.Error("BUG: stored RESH unit does not decode", "err", err)
			return nil, registry.ErrBadValue
		}
		if !ok {
			return nil, nil
		}
		return buf[start:len(buf):len(buf)], nil
	}
	unit, err := e.reshFull(v, id)
	if err != nil {
		return nil, err
	}
	uv, err := view(unit)
	if err != nil {
		return nil, err
	}
	if uv == nil {
		return nil, registry.ErrNotFound
	}
	out := append(make([]byte, 0, 4096), `{"unit":`...)
	out = append(out, uv...)
	if ancestors {
		var path [][]byte
		cur := unit
		for depth := 0; depth < 64; depth++ {
			var p struct {
				Parent *uint64 `json:"parentReshId"`
			}
			if json.Unmarshal(cur, &p) != nil || p.Parent == nil || *p.Parent == 0 {
				break
			}
			pu, err := e.reshFull(v, *p.Parent)
			if err != nil {
				break
			}
			cur = pu
			pv, err := view(pu)
			if err != nil {
				return nil, err
			}
			if pv != nil {
				path = append(path, pv)
			}
		}
		out = append(out, `,"ancestors":[`...)
		for i := len(path) - 1; i >= 0; i-- {
			out = append(out, path[i]...)
			if i > 0 {
				out = append(out, ',')
			}
		}
		out = append(out, ']')
	}
	if children {
		p := registry.U32(uint32(id))
		prefix := append([]byte{byte(registry.IdxReshChildren)}, p[:]...)
		out = append(out, `,"children":[`...)
		n := 0
		var verr error
		err := v.Scan(prefix, nil, func(k, _ []byte) bool {
			cu, err := e.reshFull(v, uint64(binary.BigEndian.Uint32(k[len(prefix):])))
			if err != nil {
				return true
			}
			cv, err := view(cu)
			if err != nil {
				verr = err
				return false
			}
			if cv != nil {
				if n > 0 {
					out = append(out, ',')
				}
				out = append(out, cv...)
				n++
			}
			return n < 10000
		})
		if err == nil {
			err = verr
		}
		if err != nil {
			return nil, err
		}
		out = append(out, ']')
	}
	return append(out, '}'), nil
}
