package registry

import (
	"encoding/binary"
	"errors"
)

// ValueVersion is the format version byte of every stored record value.
const ValueVersion = 1

// Value flags.
const (
	// FlagRestricted marks a value that carries a second, restricted view:
	// the one served to callers without grunndata:person.read-protected.
	FlagRestricted = 1 << iota
	// FlagGone marks a record removed for legal reasons (Brreg "Fjernet"):
	// the server answers 410 with the view as the problem detail source.
	FlagGone
)

// ErrBadValue reports a stored value that does not decode: a bug or a
// damaged snapshot, never bad input.
var ErrBadValue = errors.New("registry: malformed stored value")

// AppendValue encodes a record value: version, flags, then one or two views,
// each the exact bytes the server writes. restricted may be nil.
func AppendValue(dst []byte, flags byte, full, restricted []byte) []byte {
	if restricted != nil {
		flags |= FlagRestricted
	} else {
		flags &^= FlagRestricted
	}
	dst = append(dst, ValueVersion, flags)
	dst = binary.AppendUvarint(dst, uint64(len(full)))
	dst = append(dst, full...)
	if restricted != nil {
		dst = append(dst, restricted...)
	}
	return dst
}

// DecodeValue splits a stored value into its views without copying. When the
// value has no restricted view, restricted == full. The slices alias v.
func DecodeValue(v []byte) (flags byte, full, restricted []byte, err error) {
	if len(v) < 3 || v[0] != ValueVersion {
		return 0, nil, nil, ErrBadValue
	}
	flags = v[1]
	n, w := binary.Uvarint(v[2:])
	if w <= 0 || uint64(len(v)-2-w) < n {
		return 0, nil, nil, ErrBadValue
	}
	start := 2 + w
	full = v[start : start+int(n)]
	if flags&FlagRestricted != 0 {
		restricted = v[start+int(n):]
	} else {
		restricted = full
	}
	return flags, full, restricted, nil
}
