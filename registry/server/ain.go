package server

import (
	"bytes"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/grunndata/grunndata/registry/audit"
	"github.com/grunndata/grunndata/registry/query"
)

var bodyNoAIN = problemBody(503, CodeUnavailable, "AIN allocation unavailable", "this server has no AIN store", "", "")

// allocateAIN answers POST /v1/ain: it allocates a new felles hjelpenummer,
// durably (query.Engine.AllocateAIN), and answers 201 with the person as
// lookups will serve it.
func (s *Server) allocateAIN(ctx *fasthttp.RequestCtx, c call) int {
	if st := checkJSONPost(ctx); st != 0 {
		return st
	}
	var req query.AINRequest
	if len(bytes.TrimSpace(ctx.PostBody())) > 0 &&
		!decodeBody(ctx, &req, "body must be a JSON object with givenName, familyName, birthDate, birthYear, gender, notes (all optional)") {
		return 400
	}
	now := time.Now().UTC()
	if msg := req.Validate(now); msg != "" {
		return writeInvalidBody(ctx, msg)
	}
	if !s.q.HasAIN() {
		writeProblem(ctx, 503, bodyNoAIN)
		return 503
	}
	n, full, err := s.q.AllocateAIN(s.store, &req, now, c.p.ClientID)
	if err != nil {
		s.log.Error("AIN allocation failed", "err", err)
		return writeError(ctx, err)
	}
	ctx.SetStatusCode(201)
	ctx.Response.Header.SetContentTypeBytes(ctJSON)
	ctx.SetBody(full)
	return s.audit(ctx, &audit.Entry{Caller: caller(c.p), Route: c.r.name, Subject: n[:], Status: 201, Duration: time.Since(c.start)}, 201)
}
