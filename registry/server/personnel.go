package server

import (
	"encoding/json"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/grunndata/grunndata/registry"
	"github.com/grunndata/grunndata/registry/audit"
	"github.com/grunndata/grunndata/registry/query"
)

var bodyBadAtTime = problemBody(400, "invalid_parameter", "Invalid atTime", query.ErrBadAtTime.Error(), "", "atTime")

// getPersonnel answers GET /v1/personnel/{hpr}[?atTime=] (query.Engine.Personnel).
// An HPR record carries the person's fødselsnummer, so the answer is audited.
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
	body, nin, ok, err := s.q.Personnel(v, &sc.key, query.ParseAt(ctx.QueryArgs().Peek("atTime")))
	status := writeAnswer(ctx, body, err)
	if !ok || s.cfg.Audit == nil {
		return status
	}
	sc.l.NIN = nin
	sc.entry = audit.Entry{Caller: caller(c.p), Route: c.r.name, Subject: sc.l.NIN[:], Status: status,
		Duration: time.Since(c.start), Generation: v.ID()}
	return s.audit(ctx, &sc.entry, status)
}

// personnelHistory answers GET /v1/personnel/{hpr}/history[?atTime=]
// (query.Engine.PersonnelHistory): every authorisation, licence,
// speciality and suspension with its period and its status at the instant
// (now without atTime). Audited under the record's fødselsnummer, as
// GET /v1/personnel/{hpr} is.
func (s *Server) personnelHistory(ctx *fasthttp.RequestCtx, c call) int {
	id, err := registry.ParseSerial(registry.IDHPR, c.id)
	if err != nil {
		return writeError(ctx, err)
	}
	v, err := s.store.Acquire()
	if err != nil {
		return writeError(ctx, err)
	}
	defer v.Release()
	key := registry.SerialKey(registry.RegPersonnel, id)
	body, nin, ok, err := s.q.PersonnelHistory(v, &key, query.ParseAt(ctx.QueryArgs().Peek("atTime")))
	status := writeAnswer(ctx, body, err)
	if !ok || s.cfg.Audit == nil {
		return status
	}
	return s.audit(ctx, &audit.Entry{Caller: caller(c.p), Route: c.r.name, Subject: nin[:], Status: status,
		Duration: time.Since(c.start), Generation: v.ID()}, status)
}

// personnelBulk answers POST /v1/personnel/bulk {"hprNumbers":[…]}
// [?atTime=] (query.Engine.PersonnelBulk): one item per number, in order;
// every person answered is audited.
func (s *Server) personnelBulk(ctx *fasthttp.RequestCtx, c call) int {
	if st := checkJSONPost(ctx); st != 0 {
		return st
	}
	at := query.ParseAt(ctx.QueryArgs().Peek("atTime"))
	if at.Bad {
		return writeError(ctx, query.ErrBadAtTime)
	}
	var req struct {
		Numbers []json.RawMessage `json:"hprNumbers"`
	}
	if !decodeBody(ctx, &req, `body must be {"hprNumbers":[<HPR-number>, …]}`) {
		return 400
	}
	if req.Numbers == nil {
		return writeInvalidBody(ctx, `missing field "hprNumbers"`)
	}
	if len(req.Numbers) > query.MaxBulk {
		writeProblem(ctx, 400, bodyTooMany)
		return 400
	}
	return s.withView(ctx, func(v registry.View) int {
		out, subjects, err := s.q.PersonnelBulk(v, req.Numbers, at)
		return s.auditPage(ctx, c, v, "", out, err, subjects, nil)
	})
}
