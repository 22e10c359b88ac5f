package query

import (
	"encoding/base64"
	"strconv"

	"github.com/grunndata/grunndata/registry"
)

// Paging. Lists over an index page by key cursors (an opaque base64url of
// the last key's suffix); ranked results (searches) by offset cursors
// ("o" + the offset, base64url).

// ParseLimit reads a limit parameter: an integer from 1 to MaxLimit; empty
// is DefaultLimit.
func ParseLimit(b []byte) (int, bool) {
	if len(b) == 0 {
		return DefaultLimit, true
	}
	n, err := strconv.Atoi(string(b))
	if err != nil || n < 1 || n > MaxLimit {
		return 0, false
	}
	return n, true
}

// ParseKeyCursor decodes a key cursor (empty: the first page, nil).
func ParseKeyCursor(b []byte) ([]byte, bool) {
	if len(b) == 0 {
		return nil, true
	}
	c, err := base64.RawURLEncoding.DecodeString(string(b))
	if err != nil || len(c) == 0 || len(c) > registry.MaxKeyLen {
		return nil, false
	}
	return c, true
}

// OffsetOfKeyCursor reads an offset cursor from a decoded key cursor (a
// route with ranked results takes its cursor through the same parameter).
func OffsetOfKeyCursor(after []byte) (int, bool) {
	if after == nil {
		return 0, true
	}
	if len(after) < 2 || after[0] != 'o' {
		return 0, false
	}
	return parseOffset(after[1:])
}

// BodyPage reads limit and cursor given in a POST body: 0 is DefaultLimit,
// "" the first page.
func BodyPage(limit int, cursor string) (lim, offset int, ok bool) {
	if limit == 0 {
		limit = DefaultLimit
	}
	if cursor == "" {
		return limit, 0, true
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || len(b) < 2 || b[0] != 'o' {
		return 0, 0, false
	}
	offset, ok = parseOffset(b[1:])
	return limit, offset, ok
}

// maxOffset bounds an offset cursor: far beyond any result list (searches
// examine at most MaxCandidates entries), far below an int overflow when the
// page size is added.
const maxOffset = 1_000_000_000

// parseOffset parses the digits of an offset cursor: ASCII digits only (no
// sign), at most maxOffset.
func parseOffset(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 10 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, n <= maxOffset
}

// appendOffsetCursor appends `,"nextCursor":…` of a ranked page.
func appendOffsetCursor(out []byte, next int, more bool) []byte {
	out = append(out, `,"nextCursor":`...)
	if !more {
		return append(out, "null"...)
	}
	out = append(out, '"')
	out = base64.RawURLEncoding.AppendEncode(out, []byte("o"+strconv.Itoa(next)))
	return append(out, '"')
}

// appendKeyCursor appends `,"nextCursor":…` of a key-ordered page (next
// nil: the last page).
func appendKeyCursor(out, next []byte) []byte {
	out = append(out, `,"nextCursor":`...)
	if next == nil {
		return append(out, "null"...)
	}
	out = append(out, '"')
	out = base64.RawURLEncoding.AppendEncode(out, next)
	return append(out, '"')
}

// restrictedView and fullView pick a stored value's view for appendPage.
func restrictedView(_ int, _, restricted []byte) []byte { return restricted }
func fullView(_ int, full, _ []byte) []byte             { return full }

// appendPage appends the records offset… of a ranked result of total, at most
// limit, as `…[items],"nextCursor":…}` (out holds the opening up to and
// including `"items":[`). key names the i-th record; view picks its bytes
// (nil skips it). Records that vanished from the generation are skipped,
// never failing the page.
func (e *Engine) appendPage(out []byte, v registry.View, total, offset, limit int, key func(i int) registry.Key,
	view func(i int, full, restricted []byte) []byte) []byte {
	n := 0
	for i := offset; i < total && n < limit; i++ {
		k := key(i)
		val, err := e.cache.Get(v, &k)
		if err != nil {
			continue
		}
		_, full, restricted, err := registry.DecodeValue(val)
		if err != nil {
			continue
		}
		body := view(i, full, restricted)
		if body == nil {
			continue
		}
		if n > 0 {
			out = append(out, ',')
		}
		out = append(out, body...)
		n++
	}
	out = append(out, ']')
	out = appendOffsetCursor(out, offset+limit, offset+limit < total)
	return append(out, '}')
}
