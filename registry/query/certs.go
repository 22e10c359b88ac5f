package query

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"strconv"
	"time"

	"github.com/grunndata/grunndata/registry"
)

// Certificate answers (Adresseregisteret EDI certificates). The status of
// every certificate is evaluated at the request's instant from the instants
// stored with it, so a cache hit is a comparison per certificate and a copy:
// zero allocations.

// PartyCerts appends {"herId","evaluatedAt","certificates":[…]} to dst: the
// party's own certificates of family fam (RegCertificates: current;
// IdxCertHistory: current and replaced) with usage u (0: both), then the
// slots it inherits from its parent organisation (inherited: true). her 0
// names the party by its AR organisation's number orgnr. A known party
// without certificates answers an empty list; an unknown one ErrNotFound.
// k is scratch.
func (e *Engine) PartyCerts(dst []byte, k *registry.Key, v registry.View, her uint32, orgnr registry.Orgnr,
	fam registry.Register, u registry.CertUsage) ([]byte, error) {
	if her == 0 {
		*k = registry.CertOrgnrKey(orgnr)
		hv, err := e.cache.Get(v, k)
		if err != nil {
			return dst, err
		}
		if len(hv) != 4 {
			e.log.Error("BUG: malformed orgnr index value")
			return dst, registry.ErrBadValue
		}
		her = binary.BigEndian.Uint32(hv)
	}
	*k = registry.SerialKey(fam, uint64(her))
	val, err := e.cache.Get(v, k)
	switch {
	case err == registry.ErrNotFound:
		*k = registry.SerialKey(registry.RegParty, uint64(her))
		if _, err := e.cache.Get(v, k); err != nil {
			return dst, err
		}
		val = nil
	case err != nil:
		return dst, err
	}
	now := e.clock()
	out := appendCertsHead(dst, her, now, `","certificates":[`)
	if val != nil {
		first := true
		var owner uint32
		var mask byte
		out, owner, mask, err = registry.AppendCertEntries(out, val, u, 0xff, now.Unix(), false, &first)
		if err == nil && owner != 0 && (u == 0 || mask&registry.CertMask(u) != 0) {
			*k = registry.SerialKey(fam, uint64(owner))
			ov, gerr := e.cache.Get(v, k)
			switch {
			case gerr == nil:
				out, _, _, err = registry.AppendCertEntries(out, ov, u, mask, now.Unix(), true, &first)
			case gerr != registry.ErrNotFound: // a parent without certificates: nothing inherited
				return out, gerr
			}
		}
		if err != nil {
			e.log.Error("BUG: undecodable certificate value", "herId", her)
			return out, err
		}
	}
	return append(out, "]}"...), nil
}

// appendCertsHead appends {"herId":…,"evaluatedAt":"…` and then tail.
func appendCertsHead(out []byte, her uint32, now time.Time, tail string) []byte {
	out = append(out, `{"herId":`...)
	out = strconv.AppendUint(out, uint64(her), 10)
	out = append(out, `,"evaluatedAt":"`...)
	out = now.UTC().AppendFormat(out, time.RFC3339)
	return append(out, tail...)
}

// CertSearch answers the current certificates whose subject field (a
// registry.CertField*) starts with q (case-insensitive), like AR's
// SearchCertificatesFor*(sn, cn, ou), as {"items":[…],"nextCursor"}, paged
// by the key cursor after.
func (e *Engine) CertSearch(v registry.View, field byte, q []byte, u registry.CertUsage, after []byte, limit int) ([]byte, error) {
	norm := registry.NormaliseCertField(nil, string(q))
	out := append(make([]byte, 0, 4096), `{"items":[`...)
	first := true
	out, next, err := appendCertHits(out, v, registry.CertSearchPrefix(nil, field, norm), norm, u, after, limit, "", e.clock().Unix(), &first)
	if err != nil {
		return nil, err
	}
	out = append(out, ']')
	return append(appendKeyCursor(out, next), '}'), nil
}

// appendCertHits appends up to limit hits, each preceded by a comma unless
// *first; it returns the cursor of the next page (nil: none).
func appendCertHits(out []byte, v registry.View, prefix, norm []byte, u registry.CertUsage, after []byte, limit int,
	source string, now int64, first *bool) ([]byte, []byte, error) {
	var from []byte
	if after != nil {
		from = append(append([]byte(nil), after...), 0)
	}
	n := 0
	var next, last []byte
	var bad error
	err := v.Scan(prefix, from, func(k, val []byte) bool {
		full, e, err := registry.DecodeCertSearchValue(val)
		if err != nil {
			bad = err
			return false
		}
		if !bytes.HasPrefix(full, norm) || (u != 0 && e.Usage != u) {
			return true
		}
		if n == limit {
			next = last
			return false
		}
		if !*first {
			out = append(out, ',')
		}
		*first = false
		out = append(out, `{"usage":"`...)
		out = append(out, e.Usage.String()...)
		out = append(out, `","status":"`...)
		out = append(out, e.Times.StatusAt(now).String()...)
		out = append(out, `","usageMatches":`...)
		out = strconv.AppendBool(out, !e.UsageMismatch)
		if source != "" {
			out = append(out, `,"fallbackSource":"`...)
			out = append(out, source...)
			out = append(out, '"')
		}
		out = append(out, ',')
		out = append(out, e.Body[1:]...)
		last = append(last[:0], k[len(prefix):]...)
		n++
		return true
	})
	if err == nil {
		err = bad
	}
	return out, next, err
}

// CertFallback answers AR's GetFallbackCertificates for party her: when a
// party's certificate cannot be used, the candidates a client may fall back
// to — current certificates whose subject carries the party's organisation
// number (OrgNo) or whose common name is the party's name (ComPartName).
func (e *Engine) CertFallback(v registry.View, her uint32) ([]byte, error) {
	k := registry.SerialKey(registry.RegParty, uint64(her))
	val, err := e.cache.Get(v, &k)
	if err != nil {
		return nil, err
	}
	_, full, _, err := registry.DecodeValue(val)
	if err != nil {
		return nil, err
	}
	var p struct {
		Name   string `json:"name"`
		Orgnr  string `json:"organizationNumber"`
		Parent *struct {
			Orgnr string `json:"organizationNumber"`
		} `json:"parent"`
	}
	if err := json.Unmarshal(full, &p); err != nil {
		e.log.Error("BUG: undecodable party", "herId", her)
		return nil, registry.ErrBadValue
	}
	if p.Orgnr == "" && p.Parent != nil {
		p.Orgnr = p.Parent.Orgnr
	}
	now := e.clock()
	out := appendCertsHead(make([]byte, 0, 4096), her, now, `","candidates":[`)
	first := true
	for _, c := range []struct {
		field  byte
		value  string
		source string
	}{{registry.CertFieldSerial, p.Orgnr, "OrgNo"}, {registry.CertFieldCN, p.Name, "ComPartName"}} {
		if c.value == "" {
			continue
		}
		norm := registry.NormaliseCertField(nil, c.value)
		prefix := registry.CertSearchPrefix(nil, c.field, norm)
		out, _, err = appendCertHits(out, v, prefix, norm, 0, nil, MaxLimit, c.source, now.Unix(), &first)
		if err != nil {
			return nil, err
		}
	}
	return append(out, "]}"...), nil
}

// appendCertEvent appends the entity of a certificate change in the
// communication-parties feed: the party's certificates as the lookup
// answers them now (own and inherited). Parties that inherit the changed
// certificates get no event of their own: their answers follow the owner's.
func (e *Engine) appendCertEvent(out []byte, v registry.View, pk, val []byte) []byte {
	her := binary.BigEndian.Uint32(pk[1:])
	now := e.clock()
	start := len(out)
	out = append(out, `,"type":"upsert","entity":`...)
	out = appendCertsHead(out, her, now, `","certificates":[`)
	first := true
	out, owner, mask, err := registry.AppendCertEntries(out, val, 0, 0xff, now.Unix(), false, &first)
	if err == nil && owner != 0 && mask != 0 {
		k := registry.SerialKey(registry.RegCertificates, uint64(owner))
		if ov, gerr := e.cache.Get(v, &k); gerr == nil {
			out, _, _, err = registry.AppendCertEntries(out, ov, 0, mask, now.Unix(), true, &first)
		}
	}
	if err != nil {
		return append(out[:start], `,"type":"delete"}`...)
	}
	return append(out, "]}}"...)
}
