package server

import (
	"time"

	"github.com/valyala/fasthttp"

	"github.com/grunndata/grunndata/registry"
	"github.com/grunndata/grunndata/registry/audit"
)

// HPR answers are the stored record, copied (a cache hit allocates
// nothing); asked about an instant (?atTime, HentPerson's påTidspunkt) the
// record is rewritten by registry.PersonnelAt: only the approvals valid then,
// each with "valid". That costs a decode and an encode, the price of time
// travel.

var bodyBadAtTime = problemBody(400, "invalid_parameter", "Invalid atTime", "atTime must be an RFC 3339 instant (2026-01-05T12:00:00Z) or a date (2026-01-05)", "", "atTime")

// parseAtTime reads ?atTime: given is false when it is absent (the stored
// record is served); ok is false when it is not an instant or a date.
func parseAtTime(ctx *fasthttp.RequestCtx) (at time.Time, given, ok bool) {
	b := ctx.QueryArgs().Peek("atTime")
	if len(b) == 0 {
		return time.Time{}, false, true
	}
	if t, err := time.Parse(time.RFC3339, string(b)); err == nil {
		return t, true, true
	}
	if t, err := time.Parse(time.DateOnly, string(b)); err == nil {
		return t, true, true
	}
	return time.Time{}, true, false
}

// writePersonnel writes the HPR person under key, as stored or as of
// ?atTime; it returns the status and the person's fødselsnummer (ok false
// when the record has none or was not answered).
func (s *Server) writePersonnel(ctx *fasthttp.RequestCtx, v registry.View, key *registry.Key) (int, registry.NIN, bool) {
	var nin registry.NIN
	at, given, ok := parseAtTime(ctx)
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
	nin, ok = registry.HPRNIN(full)
	if !given {
		return writeJSON(ctx, full), nin, ok
	}
	body, err := registry.PersonnelAt(nil, full, at)
	if err != nil {
		s.log.Error("BUG: stored HPR record does not decode", "err", err)
		return writeError(ctx, registry.ErrBadValue), nin, false
	}
	return writeJSON(ctx, body), nin, ok
}

// getPersonnel answers GET /v1/personnel/{hpr}. An HPR record carries the
// person's fødselsnummer, so the answer is audited.
func (s *Server) getPersonnel(ctx *fasthttp.RequestCtx, c call) int {
	id, err := registry.ParseSerial(registry.IDHPR, c.id)
	if err != nil {
		return writeError(ctx, err)
	}
	v, err := s.store.Acquire()
	if err != nil {
		return writeError(ctx, err)
	}
	defer v.Release()
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	sc.key = registry.SerialKey(registry.RegPersonnel, id)
	status, nin, ok := s.writePersonnel(ctx, v, &sc.key)
	if !ok || s.cfg.Audit == nil {
		return status
	}
	sc.nin = nin
	sc.entry = audit.Entry{Caller: caller(c.p), Route: c.r.name, Subject: sc.nin[:], Status: status,
		Duration: time.Since(c.start), Generation: v.ID()}
	return s.audit(ctx, &sc.entry, status)
}
