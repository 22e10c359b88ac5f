package server

import (
	"encoding/json"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/grunndata/grunndata/registry"
	"github.com/grunndata/grunndata/registry/audit"
)

// HPR answers depend on the instant asked about (HentPerson's påTidspunkt):
// approvals are filtered to those whose period contains it and each gets a
// "valid" flag. That is evaluated per request from the stored record; it
// costs a decode and an encode (~10 µs), the price of time travel.

// validAuthorizations are the 7704 codes that make an approval a valid
// authorisation (docs §3: autorisasjon, autorisasjon med vilkår, lisens,
// turnuslisens, midlertidig tjenesteyting, LIS1-lisens).
var validAuthorizations = map[string]bool{"1": true, "17": true, "4": true, "2": true, "14": true, "18": true}

type period struct {
	From string  `json:"from"`
	To   *string `json:"to"`
}

// contains reports whether day (yyyy-MM-dd) lies in p; dates compare as
// strings, and a timestamp's date part is used.
func (p period) contains(day string) bool {
	from := p.From
	if len(from) > 10 {
		from = from[:10]
	}
	if from != "" && day < from {
		return false
	}
	if p.To == nil || *p.To == "" {
		return true
	}
	to := *p.To
	if len(to) > 10 {
		to = to[:10]
	}
	return day <= to
}

func suspended(raw json.RawMessage, day string) bool {
	var ps []period
	json.Unmarshal(raw, &ps)
	for _, p := range ps {
		if p.contains(day) {
			return true
		}
	}
	return false
}

// personnelAt rewrites an HPR record for instant at.
func personnelAt(rec []byte, at time.Time) ([]byte, error) {
	var person map[string]json.RawMessage
	if err := json.Unmarshal(rec, &person); err != nil {
		return nil, err
	}
	var approvals []map[string]json.RawMessage
	if raw := person["approvals"]; len(raw) > 0 {
		if err := json.Unmarshal(raw, &approvals); err != nil {
			return nil, err
		}
	}
	day := at.UTC().Format("2006-01-02")
	kept := make([]map[string]json.RawMessage, 0, len(approvals))
	for _, a := range approvals {
		var f struct {
			Valid         period `json:"valid"`
			Ended         bool   `json:"ended"`
			Authorization struct {
				Code string `json:"code"`
			} `json:"authorization"`
		}
		if raw, err := json.Marshal(a); err == nil {
			json.Unmarshal(raw, &f)
		}
		if !f.Valid.contains(day) {
			continue
		}
		valid := validAuthorizations[f.Authorization.Code] && !f.Ended && !suspended(a["suspensions"], day)
		a["valid"] = json.RawMessage(map[bool]string{true: "true", false: "false"}[valid])
		// Specialities and requisition rights valid at the instant only.
		for _, k := range []string{"specialities", "requisitionRights", "additionalCompetences"} {
			var items []map[string]json.RawMessage
			if json.Unmarshal(a[k], &items) != nil {
				continue
			}
			keep := items[:0]
			for _, it := range items {
				var iv struct {
					Valid period `json:"valid"`
				}
				json.Unmarshal(it["valid"], &iv)
				if iv.Valid.contains(day) {
					it["suspended"] = json.RawMessage(map[bool]string{true: "true", false: "false"}[suspended(it["suspensions"], day)])
					keep = append(keep, it)
				}
			}
			a[k], _ = json.Marshal(keep)
		}
		kept = append(kept, a)
	}
	person["approvals"], _ = json.Marshal(kept)
	person["atTime"], _ = json.Marshal(at.UTC().Format(time.RFC3339))
	return json.Marshal(person)
}

var bodyBadAtTime = problemBody(400, "invalid_parameter", "Invalid atTime", "atTime must be an RFC 3339 instant (2026-01-05T12:00:00Z) or a date (2026-01-05)", "", "atTime")

func parseAtTime(ctx *fasthttp.RequestCtx) (time.Time, bool) {
	b := ctx.QueryArgs().Peek("atTime")
	if len(b) == 0 {
		return time.Now(), true
	}
	if t, err := time.Parse(time.RFC3339, string(b)); err == nil {
		return t, true
	}
	if t, err := time.Parse("2006-01-02", string(b)); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// writePersonnel writes the HPR person under key as of ?atTime (now when
// absent); it returns the status and the person's fødselsnummer (ok false
// when the record has none or was not answered).
func (s *Server) writePersonnel(ctx *fasthttp.RequestCtx, v registry.View, key *registry.Key) (int, registry.NIN, bool) {
	var nin registry.NIN
	at, ok := parseAtTime(ctx)
	if !ok {
		writeProblem(ctx, 400, bodyBadAtTime)
		return 400, nin, false
	}
	val, err := s.cache.Get(v, key)
	if err != nil {
		return writeError(ctx, err), nin, false
	}
	_, full, _, err := registry.DecodeValue(val)
	if err != nil {
		return writeError(ctx, err), nin, false
	}
	body, err := personnelAt(full, at)
	if err != nil {
		s.log.Error("BUG: stored HPR record does not decode", "err", err)
		return writeError(ctx, registry.ErrBadValue), nin, false
	}
	nin, ok = hprNIN(full)
	return writeJSON(ctx, body), nin, ok
}

// hprNIN returns the fødselsnummer (or D-number) of an HPR record.
func hprNIN(rec []byte) (registry.NIN, bool) {
	var r struct {
		NIN string `json:"nin"`
	}
	var n registry.NIN
	if json.Unmarshal(rec, &r) != nil || len(r.NIN) != len(n) {
		return n, false
	}
	copy(n[:], r.NIN)
	return n, true
}

// getPersonnel answers GET /v1/personnel/{hpr}. An HPR record carries the
// person's fødselsnummer, so the answer is audited.
func (s *Server) getPersonnel(ctx *fasthttp.RequestCtx, c call) int {
	idb, p, start := c.id, c.p, c.start
	id, err := registry.ParseSerial(registry.IDHPR, idb)
	if err != nil {
		return writeError(ctx, err)
	}
	v, err := s.store.Acquire()
	if err != nil {
		return writeError(ctx, err)
	}
	defer v.Release()
	k := registry.SerialKey(registry.RegPersonnel, id)
	status, nin, ok := s.writePersonnel(ctx, v, &k)
	if !ok {
		return status
	}
	return s.audit(ctx, &audit.Entry{Caller: caller(p), Route: c.r.name, Subject: nin[:], Status: status,
		Duration: time.Since(start), Generation: v.ID()}, status)
}
