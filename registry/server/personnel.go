package server

import (
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
