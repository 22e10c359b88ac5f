package server

import (
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/grunndata/grunndata/registry"
	"github.com/grunndata/grunndata/registry/auth"
	"github.com/grunndata/grunndata/registry/query"
)

// eventScopes is the scopes each feed needs (all of them). A feed of person
// data pages through the population, so it needs grunndata:person.feed on
// top of what a lookup needs; every page of persons, gp and personnel (HPR
// records carry fødselsnumre) is audited with every subject on it.
var eventScopes = map[string]auth.Scope{
	"persons":               auth.ScopePersonFeed,
	"organisations":         auth.ScopeOrganisationRead,
	"communication-parties": auth.ScopeOrganisationRead,
	"personnel":             auth.ScopePersonnelRead,
	"gp":                    auth.ScopeGPRead | auth.ScopePersonFeed,
	"resh":                  auth.ScopeOrganisationRead,
}

// eventForbidden are the 403 bodies of the feeds.
var eventForbidden = map[string][]byte{}

func init() {
	for name, need := range eventScopes {
		eventForbidden[name] = problemBody(403, "forbidden", "Missing scope",
			"the "+name+" feed needs the scope "+strings.ReplaceAll(need.String(), " ", " and "), "", need.String())
	}
}

// events answers GET /v1/events/{register}?after=SEQ&limit=N
// (query.Engine.Events). An after older than the retained events answers
// 410 with the oldest available SEQ. Pages naming persons are audited
// under events-<feed>.
func (s *Server) events(ctx *fasthttp.RequestCtx, c call) int {
	er, ok := registry.LookupEventRegister(string(c.id))
	if !ok {
		writeProblem(ctx, 404, problemBody(404, CodeNotFound, "No such feed",
			"feeds: persons, organisations, communication-parties, personnel, gp, resh", "", "register"))
		return 404
	}
	if need := eventScopes[er.Name]; c.p.Scopes&need != need {
		writeProblem(ctx, 403, eventForbidden[er.Name])
		return 403
	}
	limit, _, st := page(ctx)
	if st != 0 {
		return st
	}
	var after uint64
	if b := ctx.QueryArgs().Peek("after"); len(b) > 0 {
		v, err := strconv.ParseUint(string(b), 10, 64)
		if err != nil {
			writeProblem(ctx, 400, problemBody(400, "invalid_parameter", "Invalid after", "after is a sequence number (0 for the start)", "", "after"))
			return 400
		}
		after = v
	}
	return s.withView(ctx, func(v registry.View) int {
		out, subjects, err := s.q.Events(v, er, after, limit, c.p.Scopes&auth.ScopePersonReadProtected != 0)
		if ex, ok := err.(*query.EventsExpired); ok {
			b := problemBody(410, CodeGone, "Events no longer retained",
				"resynchronise from a snapshot, then follow from oldestAvailable-1", "", "after")
			b = append(b[:len(b)-1], `,"oldestAvailable":`...)
			b = strconv.AppendUint(b, ex.Oldest, 10)
			writeProblem(ctx, 410, append(b, '}'))
			return 410
		}
		return s.auditPage(ctx, c, v, "-"+er.Name, out, err, subjects, nil)
	})
}
