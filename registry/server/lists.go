package server

import (
	"encoding/json"
	"strconv"

	"github.com/valyala/fasthttp"

	"github.com/grunndata/grunndata/registry"
	"github.com/grunndata/grunndata/registry/auth"
	"github.com/grunndata/grunndata/registry/query"
)

// Lists, trees, searches of the small registers, bulk lookups and code
// lists: the cold routes. They parse the request and write what the query
// engine answers.

var (
	bodyBadLimit  = problemBody(400, "invalid_parameter", "Invalid limit", "limit must be an integer from 1 to 1000", "", "limit")
	bodyBadCursor = problemBody(400, "invalid_parameter", "Invalid cursor", "cursor must be a value of nextCursor from an earlier page", "", "cursor")
	bodyTooMany   = problemBody(400, "too_many_items", "Too many items", "at most 1000 items per request", "", "")
)

// page reads limit and cursor (an opaque base64url of the last key's suffix).
func page(ctx *fasthttp.RequestCtx) (limit int, after []byte, status int) {
	limit, ok := query.ParseLimit(ctx.QueryArgs().Peek("limit"))
	if !ok {
		writeProblem(ctx, 400, bodyBadLimit)
		return 0, nil, 400
	}
	if after, ok = query.ParseKeyCursor(ctx.QueryArgs().Peek("cursor")); !ok {
		writeProblem(ctx, 400, bodyBadCursor)
		return 0, nil, 400
	}
	return limit, after, 0
}

// offsetPage reads limit and an offset cursor (ranked results).
func offsetPage(ctx *fasthttp.RequestCtx) (limit, offset, status int) {
	limit, after, st := page(ctx)
	if st != 0 {
		return 0, 0, st
	}
	offset, ok := query.OffsetOfKeyCursor(after)
	if !ok {
		writeProblem(ctx, 400, bodyBadCursor)
		return 0, 0, 400
	}
	return limit, offset, 0
}

// pagedView answers a paged list: limit and cursor read first, then answer
// from the active generation.
func (s *Server) pagedView(ctx *fasthttp.RequestCtx, answer func(v registry.View, after []byte, limit int) ([]byte, error)) int {
	limit, after, st := page(ctx)
	if st != 0 {
		return st
	}
	return s.withView(ctx, func(v registry.View) int {
		out, err := answer(v, after, limit)
		return writeAnswer(ctx, out, err)
	})
}

// partyChildren answers GET /v1/communication-parties/{herId}/children.
func (s *Server) partyChildren(ctx *fasthttp.RequestCtx, idb []byte) int {
	her, err := registry.ParseSerial(registry.IDHerID, idb)
	if err != nil {
		return writeError(ctx, err)
	}
	return s.pagedView(ctx, func(v registry.View, after []byte, limit int) ([]byte, error) {
		return s.q.PartyChildren(v, her, after, limit)
	})
}

// subunits answers GET /v1/organisations/{orgnr}/subunits.
func (s *Server) subunits(ctx *fasthttp.RequestCtx, idb []byte) int {
	o, err := registry.ParseOrgnr(idb)
	if err != nil {
		return writeError(ctx, err)
	}
	return s.pagedView(ctx, func(v registry.View, after []byte, limit int) ([]byte, error) {
		return s.q.Subunits(v, o, after, limit)
	})
}

// reshTree answers GET /v1/resh/{id}?children=true&ancestors=true[&atTime=].
func (s *Server) reshTree(ctx *fasthttp.RequestCtx, id uint64, children, ancestors bool, at query.At) int {
	return s.withView(ctx, func(v registry.View) int {
		out, err := s.q.ReshTree(v, id, children, ancestors, at)
		return writeAnswer(ctx, out, err)
	})
}

// reshAt answers GET /v1/resh/{id}?atTime= (query.Engine.ReshUnitAt): the
// unit as of the instant, 404 when it did not exist then.
func (s *Server) reshAt(ctx *fasthttp.RequestCtx, id uint64, at query.At) int {
	return s.withView(ctx, func(v registry.View) int {
		out, err := s.q.ReshUnitAt(v, id, at)
		return writeAnswer(ctx, out, err)
	})
}

// bulk answers POST /v1/persons/bulk and /v1/gp/bulk {"nins":[…]}
// (query.Engine.Bulk); every person answered is audited.
func (s *Server) bulk(ctx *fasthttp.RequestCtx, c call, gp bool) int {
	if st := checkJSONPost(ctx); st != 0 {
		return st
	}
	var req struct {
		NINs []json.RawMessage `json:"nins"`
	}
	if !decodeBody(ctx, &req, `body must be {"nins":["<11 digits>", …]}`) {
		return 400
	}
	if req.NINs == nil {
		return writeInvalidBody(ctx, `missing field "nins"`)
	}
	if len(req.NINs) > query.MaxBulk {
		writeProblem(ctx, 400, bodyTooMany)
		return 400
	}
	return s.withView(ctx, func(v registry.View) int {
		out, subjects, asked := s.q.Bulk(v, req.NINs, gp, c.p.Scopes&auth.ScopePersonReadProtected != 0)
		return s.auditPage(ctx, c, v, "", out, nil, subjects, asked)
	})
}

// codes answers GET /v1/codes and GET /v1/codes/{oid}.
func (s *Server) codes(ctx *fasthttp.RequestCtx, idb []byte) int {
	if len(idb) == 0 {
		b, err := json.Marshal(map[string]any{"oids": registry.CodeLists()})
		return writeAnswer(ctx, b, err)
	}
	oid, err := strconv.Atoi(string(idb))
	if err != nil || oid <= 0 {
		writeProblem(ctx, 400, problemBody(400, CodeInvalidIdentifier, "Invalid OID", "a code list OID is a positive integer, e.g. 9060", "non-digit", "oid"))
		return 400
	}
	b, ok := registry.CodeListJSON(oid)
	if !ok {
		return writeError(ctx, registry.ErrNotFound)
	}
	return writeJSON(ctx, b)
}

var partySearchHint = "parameters: orgnr, name, type, serviceCode, municipality, businessType, active, limit, cursor"

// searchParties answers GET /v1/communication-parties?orgnr=&name=&type=
// &serviceCode=&municipality=&businessType=&active= (query.Engine.SearchParties).
func (s *Server) searchParties(ctx *fasthttp.RequestCtx) int {
	args := ctx.QueryArgs()
	bad := ""
	args.VisitAll(func(k, _ []byte) {
		if !query.PartySearchParams[string(k)] {
			bad = string(k)
		}
	})
	if bad != "" {
		writeProblem(ctx, 400, problemBody(400, "invalid_parameter", "Unknown search parameter", partySearchHint, "", bad))
		return 400
	}
	q := registry.PartyQuery{Orgnr: string(args.Peek("orgnr")), Type: string(args.Peek("type")),
		ServiceCode: string(args.Peek("serviceCode")), Municipality: string(args.Peek("municipality")),
		BusinessType: string(args.Peek("businessType")), Active: string(args.Peek("active")), Name: registry.NameTokens(string(args.Peek("name")))}
	if q.Orgnr != "" {
		if _, err := registry.ParseOrgnr([]byte(q.Orgnr)); err != nil {
			return writeError(ctx, err)
		}
	}
	if q.Active != "" && q.Active != "true" && q.Active != "false" {
		writeProblem(ctx, 400, problemBody(400, "invalid_parameter", "Invalid active", "active must be true or false", "", "active"))
		return 400
	}
	if query.PartyFilterless(&q) {
		writeProblem(ctx, 400, problemBody(400, "invalid_parameter", "No search filter", "give at least one of orgnr, name, type, serviceCode, municipality, businessType", "", ""))
		return 400
	}
	limit, offset, st := offsetPage(ctx)
	if st != 0 {
		return st
	}
	return s.withView(ctx, func(v registry.View) int {
		out, err := s.q.SearchParties(v, &q, offset, limit)
		return writeAnswer(ctx, out, err)
	})
}

// listContracts answers GET /v1/gp-contracts?orgnr=&municipality=.
func (s *Server) listContracts(ctx *fasthttp.RequestCtx) int {
	args := ctx.QueryArgs()
	orgnr, municipality := string(args.Peek("orgnr")), string(args.Peek("municipality"))
	if orgnr != "" {
		if _, err := registry.ParseOrgnr([]byte(orgnr)); err != nil {
			return writeError(ctx, err)
		}
	}
	limit, offset, st := offsetPage(ctx)
	if st != 0 {
		return st
	}
	return s.withView(ctx, func(v registry.View) int {
		out, err := s.q.ListContracts(v, orgnr, municipality, offset, limit)
		return writeAnswer(ctx, out, err)
	})
}
