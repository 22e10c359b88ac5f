package server

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/grunndata/grunndata/registry"
	"github.com/grunndata/grunndata/registry/audit"
	"github.com/grunndata/grunndata/registry/auth"
	"github.com/grunndata/grunndata/registry/query"
)

// decodeBody decodes a JSON POST body into v, rejecting unknown fields and
// trailing data; it answers 400 with hint and returns false when it does
// not decode.
func decodeBody(ctx *fasthttp.RequestCtx, v any, hint string) bool {
	dec := json.NewDecoder(bytes.NewReader(ctx.PostBody()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil || dec.More() {
		writeInvalidBody(ctx, hint)
		return false
	}
	return true
}

// searchPersons answers POST /v1/persons/search (query.Engine.SearchPersons);
// the persons on the page are audited.
func (s *Server) searchPersons(ctx *fasthttp.RequestCtx, c call) int {
	if st := checkJSONPost(ctx); st != 0 {
		return st
	}
	var q query.PersonSearch
	if !decodeBody(ctx, &q, "body must be a JSON object with givenName, familyName, birthDate, gender, postalCode, municipality, limit, cursor") {
		return 400
	}
	if msg := q.Validate(); msg != "" {
		return writeInvalidBody(ctx, msg)
	}
	if f := query.CheckNames("familyName", q.FamilyName, "givenName", q.GivenName); f != "" {
		return writeInvalidName(ctx, f)
	}
	limit, offset, ok := query.BodyPage(q.Limit, q.Cursor)
	if !ok {
		writeProblem(ctx, 400, bodyBadCursor)
		return 400
	}
	return s.withView(ctx, func(v registry.View) int {
		out, subjects, err := s.q.SearchPersons(v, &q, offset, limit, c.p.Scopes&auth.ScopePersonReadProtected != 0)
		return s.auditPage(ctx, c, v, "", out, err, subjects, nil)
	})
}

// searchPersonnel answers POST /v1/personnel/search (query.Engine.SearchPersonnel);
// HPR records carry fødselsnumre: the page is audited.
func (s *Server) searchPersonnel(ctx *fasthttp.RequestCtx, c call) int {
	if st := checkJSONPost(ctx); st != 0 {
		return st
	}
	var q query.PersonnelSearch
	if !decodeBody(ctx, &q, "body must be a JSON object with name, givenName, familyName, category, speciality, limit, cursor") {
		return 400
	}
	if f := query.CheckNames("name", q.Name, "givenName", q.GivenName, "familyName", q.FamilyName); f != "" {
		return writeInvalidName(ctx, f)
	}
	if msg := q.Validate(); msg != "" {
		return writeInvalidBody(ctx, msg)
	}
	limit, offset, ok := query.BodyPage(q.Limit, q.Cursor)
	if !ok {
		writeProblem(ctx, 400, bodyBadCursor)
		return 400
	}
	return s.withView(ctx, func(v registry.View) int {
		out, subjects, err := s.q.SearchPersonnel(v, &q, offset, limit, query.ParseAt(ctx.QueryArgs().Peek("atTime")))
		return s.auditPage(ctx, c, v, "", out, err, subjects, nil)
	})
}

// auditPage writes an answer naming persons (subjects, and asked: numbers
// asked that are not current) and audits it under the route's name (plus
// suffix) when it names anyone.
func (s *Server) auditPage(ctx *fasthttp.RequestCtx, c call, v registry.View, suffix string, out []byte, err error, subjects, asked [][]byte) int {
	if err != nil {
		return writeError(ctx, err)
	}
	writeJSON(ctx, out)
	if len(subjects) == 0 {
		return 200
	}
	return s.audit(ctx, &audit.Entry{Caller: caller(c.p), Route: c.r.name + suffix, Subjects: subjects, AskedAll: asked, Status: 200,
		Duration: time.Since(c.start), Generation: v.ID()}, 200)
}

func writeInvalidName(ctx *fasthttp.RequestCtx, field string) int {
	writeProblem(ctx, 400, problemBody(400, CodeInvalidName, "Invalid name", "every word of "+field+" needs at least "+
		strconv.Itoa(query.MinNameLetters)+" letters (a name without letters would match everyone)", "", field))
	return 400
}
