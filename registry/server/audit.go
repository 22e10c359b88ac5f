package server

import (
	"github.com/valyala/fasthttp"

	"github.com/grunndata/grunndata/registry/audit"
	"github.com/grunndata/grunndata/registry/auth"
)

// caller is what the audit log records of the principal p.
func caller(p *auth.Principal) audit.Caller {
	return audit.Caller{ClientID: p.ClientID, OrgnrParent: p.OrgnrParent, OrgnrChild: p.OrgnrChild, OrgnrSupplier: p.OrgnrSupplier}
}

// audit records e when the log is on and returns status; when the record
// cannot be made durable the response is replaced by 503 audit_unavailable.
func (s *Server) audit(ctx *fasthttp.RequestCtx, e *audit.Entry, status int) int {
	if s.cfg.Audit == nil {
		return status
	}
	if err := s.cfg.Audit.Record(e); err != nil {
		s.log.Error("audit log unavailable: refusing person data", "err", err)
		ctx.Response.Reset()
		writeProblem(ctx, 503, bodyAuditDown)
		return 503
	}
	return status
}
