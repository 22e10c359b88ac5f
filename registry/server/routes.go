package server

import (
	"bytes"
	"net/http"
	"sort"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/grunndata/grunndata/registry"
	"github.com/grunndata/grunndata/registry/auth"
)

// The route table: every route of the API is one entry, and dispatch,
// metric labels, scope checks, audit route names and the documentation test
// (routes_test.go) all read it. Nothing else lists routes.

// routeID indexes routes; routeNone (0) is a path that names no route.
type routeID uint8

const routeNone routeID = 0

// Methods a route answers (anything else is 405 with this as Allow).
const (
	mGet  = "GET"       // and HEAD
	mPost = "POST"      // the handler also checks the media type
	mSOAP = "POST, GET" // POST an envelope; GET only with ?wsdl (the handler checks)
)

// route is one entry of the table.
type route struct {
	name    string // metric label and audit route name
	method  string
	pattern string                                                // as docs/api.md (or docs/soap.md) writes it; {x} is one path segment
	alias   string                                                // a second pattern served by the same route (SOAP 1.1 /Basic, the code list index)
	scope   auth.Scope                                            // any one of these scopes
	audited bool                                                  // answers person data: every answer naming a person is audited
	public  bool                                                  // needs no token (public metadata: no scope, no rate limit)
	handle  func(s *Server, ctx *fasthttp.RequestCtx, c call) int // an API route's handler
	admin   func(a *admin) http.Handler                           // an admin route's handler (nil: not served with this config)
	session bool                                                  // an admin route whose scope the console's session cookie carries (registry/console)

	forbidden []byte // the 403 body (built from scope)
}

// call is what a handler gets besides the request: its route, the path
// segment in the pattern's {x} (aliasing the request), the caller and the
// instant dispatch started.
type call struct {
	r     *route
	id    []byte
	p     *auth.Principal
	start time.Time
}

// auth.AnyScope is the scope of routes any authenticated caller may use.

func getSerial(t registry.IDType, reg registry.Register) func(*Server, *fasthttp.RequestCtx, call) int {
	return func(s *Server, ctx *fasthttp.RequestCtx, c call) int { return s.getSerial(ctx, c.id, t, reg) }
}

func byNIN(reg registry.Register) func(*Server, *fasthttp.RequestCtx, call) int {
	return func(s *Server, ctx *fasthttp.RequestCtx, c call) int { return s.lookupByNIN(ctx, c, reg) }
}

func certRoute(fn func(s *Server, ctx *fasthttp.RequestCtx, id []byte) int) func(*Server, *fasthttp.RequestCtx, call) int {
	return func(s *Server, ctx *fasthttp.RequestCtx, c call) int { return fn(s, ctx, c.id) }
}

// routes is the table; the order fixes the route ids (metrics index them).
var routes = []route{
	{name: "none"}, // routeNone: 404 no_route
	{name: "communication-party", method: mGet, pattern: "/v1/communication-parties/{herId}", scope: auth.ScopeOrganisationRead,
		handle: getSerial(registry.IDHerID, registry.RegParty)},
	{name: "organisation", method: mGet, pattern: "/v1/organisations/{orgnr}", scope: auth.ScopeOrganisationRead,
		handle: func(s *Server, ctx *fasthttp.RequestCtx, c call) int { return s.getOrg(ctx, c.id) }},
	{name: "resh", method: mGet, pattern: "/v1/resh/{reshId}", scope: auth.ScopeOrganisationRead,
		handle: getSerial(registry.IDReshID, registry.RegResh)},
	{name: "personnel", method: mGet, pattern: "/v1/personnel/{hpr}", scope: auth.ScopePersonnelRead, audited: true,
		handle: (*Server).getPersonnel},
	{name: "gp-contract", method: mGet, pattern: "/v1/gp-contracts/{id}", scope: auth.ScopeGPRead,
		handle: getSerial(registry.IDGPContract, registry.RegGPContract)},
	{name: "person-lookup", method: mPost, pattern: "/v1/persons/lookup", scope: auth.ScopePersonRead | auth.ScopePersonReadProtected,
		audited: true, handle: byNIN(registry.RegPerson)},
	{name: "personnel-lookup", method: mPost, pattern: "/v1/personnel/lookup", scope: auth.ScopePersonnelRead, audited: true,
		handle: byNIN(registry.IdxPersonnelByNIN)},
	{name: "gp-lookup", method: mPost, pattern: "/v1/gp/lookup", scope: auth.ScopeGPRead, audited: true,
		handle: byNIN(registry.RegGPPatient)},
	{name: "communication-party-children", method: mGet, pattern: "/v1/communication-parties/{herId}/children",
		scope: auth.ScopeOrganisationRead, handle: func(s *Server, ctx *fasthttp.RequestCtx, c call) int { return s.partyChildren(ctx, c.id) }},
	{name: "communication-party-search", method: mGet, pattern: "/v1/communication-parties", scope: auth.ScopeOrganisationRead,
		handle: func(s *Server, ctx *fasthttp.RequestCtx, _ call) int { return s.searchParties(ctx) }},
	{name: "organisation-subunits", method: mGet, pattern: "/v1/organisations/{orgnr}/subunits", scope: auth.ScopeOrganisationRead,
		handle: func(s *Server, ctx *fasthttp.RequestCtx, c call) int { return s.subunits(ctx, c.id) }},
	{name: "person-bulk", method: mPost, pattern: "/v1/persons/bulk", scope: auth.ScopePersonRead | auth.ScopePersonReadProtected,
		audited: true, handle: func(s *Server, ctx *fasthttp.RequestCtx, c call) int { return s.bulk(ctx, c, false) }},
	{name: "gp-bulk", method: mPost, pattern: "/v1/gp/bulk", scope: auth.ScopeGPRead, audited: true,
		handle: func(s *Server, ctx *fasthttp.RequestCtx, c call) int { return s.bulk(ctx, c, true) }},
	{name: "codes", method: mGet, pattern: "/v1/codes/{oid}", alias: "/v1/codes", scope: auth.AnyScope,
		handle: func(s *Server, ctx *fasthttp.RequestCtx, c call) int { return s.codes(ctx, c.id) }},
	{name: "ain", method: mPost, pattern: "/v1/ain", scope: auth.ScopeAINWrite, audited: true, handle: (*Server).allocateAIN},
	{name: "gp-contract-list", method: mGet, pattern: "/v1/gp-contracts", scope: auth.ScopeGPRead,
		handle: func(s *Server, ctx *fasthttp.RequestCtx, _ call) int { return s.listContracts(ctx) }},
	{name: "person-search", method: mPost, pattern: "/v1/persons/search", scope: auth.ScopePersonRead | auth.ScopePersonReadProtected,
		audited: true, handle: (*Server).searchPersons},
	{name: "personnel-search", method: mPost, pattern: "/v1/personnel/search", scope: auth.ScopePersonnelRead, audited: true,
		handle: (*Server).searchPersonnel},
	// The feeds check their own scopes (eventScopes); person feeds are audited per page.
	{name: "events", method: mGet, pattern: "/v1/events/{register}", scope: auth.AnyScope, audited: true, handle: (*Server).events},
	{name: "soap-ar", method: mSOAP, pattern: "/v1/AR", alias: "/v1/AR/Basic", scope: auth.ScopeOrganisationRead,
		handle: func(s *Server, ctx *fasthttp.RequestCtx, c call) int { return s.serveSOAP(ctx, c, soapServices.ar) }},
	{name: "soap-hpr", method: mSOAP, pattern: "/v2/HPR", alias: "/v2/HPR/Basic", scope: auth.ScopePersonnelRead, audited: true,
		handle: func(s *Server, ctx *fasthttp.RequestCtx, c call) int { return s.serveSOAP(ctx, c, soapServices.hpr) }},
	{name: "soap-flr", method: mSOAP, pattern: "/v2/flr", alias: "/v2/flr/Basic", scope: auth.ScopeGPRead, audited: true,
		handle: func(s *Server, ctx *fasthttp.RequestCtx, c call) int { return s.serveSOAP(ctx, c, soapServices.flr) }},
	{name: "communication-party-certificates", method: mGet, pattern: "/v1/communication-parties/{herId}/certificates",
		scope: auth.ScopeOrganisationRead, handle: certRoute(func(s *Server, ctx *fasthttp.RequestCtx, id []byte) int {
			return s.herCerts(ctx, id, registry.RegCertificates)
		})},
	{name: "communication-party-certificate-history", method: mGet, pattern: "/v1/communication-parties/{herId}/certificates/history",
		scope: auth.ScopeOrganisationRead, handle: certRoute(func(s *Server, ctx *fasthttp.RequestCtx, id []byte) int {
			return s.herCerts(ctx, id, registry.IdxCertHistory)
		})},
	{name: "communication-party-certificate-fallback", method: mGet, pattern: "/v1/communication-parties/{herId}/certificates/fallback",
		scope: auth.ScopeOrganisationRead, handle: certRoute((*Server).herCertFallback)},
	{name: "organisation-certificates", method: mGet, pattern: "/v1/organisations/{orgnr}/certificates", scope: auth.ScopeOrganisationRead,
		handle: certRoute((*Server).orgCerts)},
	{name: "certificate-search", method: mGet, pattern: "/v1/certificates", scope: auth.ScopeOrganisationRead,
		handle: func(s *Server, ctx *fasthttp.RequestCtx, _ call) int { return s.certSearch(ctx) }},
	// NHN's CommunicationParty REST API shape (docs/soap.md).
	{name: "cp-communication-party", method: mGet, pattern: "/cp/communicationparty/{herId}", scope: auth.ScopeOrganisationRead,
		handle: (*Server).cpParty},
	{name: "cp-event", method: mGet, pattern: "/cp/event", scope: auth.ScopeOrganisationRead, handle: (*Server).cpEvents},
	// docs/openapi.yaml as JSON: the contract of every route, for anyone.
	{name: "openapi", method: mGet, pattern: "/openapi.json", public: true, handle: (*Server).openAPI},
	// HPR history and bulk (issue 15).
	{name: "personnel-history", method: mGet, pattern: "/v1/personnel/{hpr}/history", scope: auth.ScopePersonnelRead, audited: true,
		handle: (*Server).personnelHistory},
	{name: "personnel-bulk", method: mPost, pattern: "/v1/personnel/bulk", scope: auth.ScopePersonnelRead, audited: true,
		handle: (*Server).personnelBulk},
}

// numRoutes counts the table, routeNone included.
var numRoutes = len(routes)

// segment is one '/'-separated part of a pattern: a literal, or {x}.
type segment struct {
	lit []byte
	v   bool
}

type compiled struct {
	rt   routeID
	segs []segment
}

// byHead groups the compiled patterns by their first two segments
// ("/v1/organisations"): a lookup is one map probe (no allocation: the key
// is converted in place) and a few segment compares.
var byHead = map[string][]compiled{}

func init() {
	if len(routes) > 255 {
		panic("server: more routes than a routeID holds")
	}
	seen := map[string]bool{}
	for i := 1; i < len(routes); i++ {
		r := &routes[i]
		if seen[r.name] {
			panic("server: route name " + r.name + " twice")
		}
		seen[r.name] = true
		r.forbidden = problemBody(403, "forbidden", "Missing scope",
			"this route needs the scope "+orScopes(r.scope), "", r.scope.String())
		for _, p := range []string{r.pattern, r.alias} {
			if p == "" {
				continue
			}
			c := compiled{rt: routeID(i)}
			for _, s := range bytes.Split([]byte(p)[1:], []byte("/")) {
				if len(s) > 1 && s[0] == '{' && s[len(s)-1] == '}' {
					c.segs = append(c.segs, segment{v: true})
				} else {
					c.segs = append(c.segs, segment{lit: s})
				}
			}
			if c.segs[0].v || len(c.segs) > 1 && c.segs[1].v {
				panic("server: pattern " + p + " must start with two literal segments (or be one)")
			}
			h := "/" + string(c.segs[0].lit)
			if len(c.segs) > 1 {
				h += "/" + string(c.segs[1].lit)
			}
			byHead[h] = append(byHead[h], c)
		}
	}
	// A literal segment wins over {x}: /v1/personnel/search is not an HPR-number.
	for _, cs := range byHead {
		sort.SliceStable(cs, func(i, j int) bool { return cs[i].vars() < cs[j].vars() })
	}
}

func (c *compiled) vars() int {
	n := 0
	for _, s := range c.segs {
		if s.v {
			n++
		}
	}
	return n
}

// head returns the first two segments of path ("/v1/organisations").
func head(path []byte) []byte {
	n := 0
	for i, c := range path {
		if c == '/' {
			if n++; n == 3 {
				return path[:i]
			}
		}
	}
	return path
}

// match returns the route of path and the bytes of its {x} segment.
func match(path []byte) (routeID, []byte) {
	cs := byHead[string(head(path))]
	for i := range cs {
		if id, ok := cs[i].match(path); ok {
			c := &cs[i]
			return c.rt, id
		}
	}
	return routeNone, nil
}

func (c *compiled) match(path []byte) ([]byte, bool) {
	var id []byte
	rest := path
	for _, s := range c.segs {
		if len(rest) == 0 || rest[0] != '/' {
			return nil, false
		}
		rest = rest[1:]
		j := bytes.IndexByte(rest, '/')
		if j < 0 {
			j = len(rest)
		}
		if s.v {
			id = rest[:j]
		} else if !bytes.Equal(rest[:j], s.lit) {
			return nil, false
		}
		rest = rest[j:]
	}
	return id, len(rest) == 0
}

// allowed reports whether the method of ctx is one r answers; the handler
// of a SOAP route decides itself.
func (r *route) allowed(ctx *fasthttp.RequestCtx) bool {
	switch r.method {
	case mGet:
		return ctx.IsGet() || ctx.IsHead()
	case mPost:
		return ctx.IsPost()
	}
	return true
}

// RouteInfo describes a route of the API (for tests and tooling).
type RouteInfo struct {
	Name, Method, Pattern, Alias string
	Scope                        auth.Scope
	// Audited routes answer person data; every answer naming a person is
	// recorded in the audit log under Name (SOAP routes under Name/operation,
	// the events route under events-<feed>).
	Audited bool
	// Public routes need no token (Scope is 0).
	Public bool
	// Session routes (the operator console's) check Scope by the console's
	// session cookie, which only a token with that scope obtains, instead of
	// a bearer token.
	Session bool
}

// Routes lists the API's routes as Handle dispatches them.
func Routes() []RouteInfo {
	out := make([]RouteInfo, 0, len(routes)-1)
	for _, r := range routes[1:] {
		out = append(out, RouteInfo{Name: r.name, Method: r.method, Pattern: r.pattern, Alias: r.alias, Scope: r.scope, Audited: r.audited, Public: r.public})
	}
	return out
}

// RouteNames lists the route names (metric labels, audit route names).
func RouteNames() []string {
	out := make([]string, 0, len(routes)-1)
	for _, r := range routes[1:] {
		out = append(out, r.name)
	}
	return out
}
