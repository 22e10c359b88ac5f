package registry

import "bytes"

// A stored person view (full or restricted, Freg or AIN) starts with
// {"nin":"<current number>" and lists every number the person has had in
// "identifiers":[{"nin":"…",…},…]. A person is stored under each of those
// numbers, so any of them finds the view, and the view names them all: the
// way from an old D-number to the current fødselsnummer and back.

var (
	viewNINPrefix   = []byte(`{"nin":"`)
	viewIdentifiers = []byte(`"identifiers":[`)
	identNINPrefix  = []byte(`{"nin":"`)
)

// CurrentNIN returns the number a stored person view is served under (the
// person's current number).
func CurrentNIN(view []byte) (NIN, bool) {
	var n NIN
	if len(view) < len(viewNINPrefix)+len(n)+1 || !bytes.HasPrefix(view, viewNINPrefix) ||
		view[len(viewNINPrefix)+len(n)] != '"' {
		return n, false
	}
	copy(n[:], view[len(viewNINPrefix):])
	for _, c := range n {
		if c < '0' || c > '9' {
			return n, false
		}
	}
	return n, true
}

// EachPersonNumber calls fn with the current number of a stored person view
// and then with every other number in its identifiers, until fn returns
// false. Malformed entries are skipped.
func EachPersonNumber(view []byte, fn func(n NIN) bool) {
	cur, ok := CurrentNIN(view)
	if ok && !fn(cur) {
		return
	}
	i := bytes.Index(view, viewIdentifiers)
	if i < 0 {
		return
	}
	rest := view[i+len(viewIdentifiers):]
	if end := bytes.IndexByte(rest, ']'); end >= 0 {
		rest = rest[:end]
	}
	for {
		j := bytes.Index(rest, identNINPrefix)
		if j < 0 {
			return
		}
		rest = rest[j+len(identNINPrefix):]
		var n NIN
		if len(rest) <= len(n) || rest[len(n)] != '"' {
			continue
		}
		copy(n[:], rest)
		digits := true
		for _, c := range n {
			digits = digits && c >= '0' && c <= '9'
		}
		if digits && (!ok || n != cur) && !fn(n) {
			return
		}
	}
}
