package server

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/grunndata/grunndata/registry"
	"github.com/grunndata/grunndata/registry/auth"
	"github.com/grunndata/grunndata/registry/query"
)

// Stable problem codes (RFC 9457 bodies carry them in "code").
const (
	CodeInvalidIdentifier = "invalid_identifier"
	CodeNotFound          = "not_found"
	CodeGone              = "gone"
	CodeMethodNotAllowed  = "method_not_allowed"
	CodeInvalidBody       = "invalid_body"
	CodeBodyTooLarge      = "body_too_large"
	CodeUnsupportedMedia  = "unsupported_media_type"
	CodeNoRoute           = "no_route"
	CodeUnavailable       = "unavailable"
	CodeInternal          = "internal"
	CodeInvalidName       = "invalid_name"
)

// problem is an application/problem+json body.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	Code   string `json:"code"`
	Rule   string `json:"rule,omitempty"`
	Field  string `json:"field,omitempty"`
}

const problemBase = "https://grunndata.no/problems/"

func problemBody(status int, code, title, detail, rule, field string) []byte {
	b, _ := json.Marshal(problem{Type: problemBase + code, Title: title, Status: status, Detail: detail, Code: code, Rule: rule, Field: field})
	return b
}

var (
	ctProblem = []byte("application/problem+json")
	ctJSON    = []byte("application/json")
)

// Precomputed bodies for the common errors, so that invalid and unknown ids
// (a real share of EPJ traffic) cost no encoding.
var (
	bodyNotFound         = problemBody(404, CodeNotFound, "Not found", "no record has this identifier", "", "")
	bodyGone             = problemBody(410, CodeGone, "Gone", "the record was removed from the register for legal reasons; copies must not keep it", "", "")
	bodyMethodNotAllowed = problemBody(405, CodeMethodNotAllowed, "Method not allowed", "", "", "")
	bodyNoRoute          = problemBody(404, CodeNoRoute, "No such route", "see docs/api.md for the routes", "", "")
	bodyTooLarge         = problemBody(413, CodeBodyTooLarge, "Request body too large", "", "", "")
	bodyUnavailable      = problemBody(503, CodeUnavailable, "No active generation", "no snapshot generation is active yet", "", "")
	bodyInternal         = problemBody(500, CodeInternal, "Internal error", "", "", "")
	bodyMediaType        = problemBody(415, CodeUnsupportedMedia, "Unsupported media type", "send Content-Type: application/json", "", "")
	idErrBodies          = map[*registry.IDError][]byte{}
	bodyAuditDown        = problemBody(503, "audit_unavailable", "Audit log unavailable", "person lookups are refused while the audit log cannot be written", "", "")
	authBodies           = map[*auth.Error][]byte{}
	authHeaders          = map[*auth.Error]string{}
)

func init() {
	for _, e := range auth.TokenErrors() {
		authBodies[e] = problemBody(401, "unauthorized", "Unauthorized", e.Error(), "", "")
		authHeaders[e] = e.WWWAuthenticate()
	}
}

func writeAuthError(ctx *fasthttp.RequestCtx, e *auth.Error) int {
	ctx.Response.Header.Set("WWW-Authenticate", authHeaders[e])
	writeProblem(ctx, 401, authBodies[e])
	return 401
}

// orScopes names the scopes of need as alternatives.
func orScopes(need auth.Scope) string { return strings.ReplaceAll(need.String(), " ", " or ") }

var bodyRateLimited = problemBody(429, "too_many_requests", "Too many requests", "the client's rate limit is exhausted; retry after the number of seconds in Retry-After", "", "")

func writeRateLimited(ctx *fasthttp.RequestCtx, retry time.Duration) int {
	secs := int(retry/time.Second) + 1
	ctx.Response.Header.Set("Retry-After", strconv.Itoa(secs))
	writeProblem(ctx, 429, bodyRateLimited)
	return 429
}

func init() {
	for t := registry.IDNIN; t <= registry.IDGPContract; t++ {
		for _, r := range []registry.Rule{registry.RuleEmpty, registry.RuleLength, registry.RuleNonDigit, registry.RuleLeadingZero,
			registry.RuleRange, registry.RuleDate, registry.RuleCheckDigit1, registry.RuleCheckDigit2, registry.RuleCheckDigit} {
			e := registry.IDErr(t, r)
			idErrBodies[e] = problemBody(400, CodeInvalidIdentifier, "Invalid identifier", e.Error(), string(r), t.String())
		}
	}
}

func writeProblem(ctx *fasthttp.RequestCtx, status int, body []byte) {
	ctx.SetStatusCode(status)
	ctx.Response.Header.SetContentTypeBytes(ctProblem)
	ctx.SetBody(body)
}

// writeError is the one place errors become statuses and problem bodies.
func writeError(ctx *fasthttp.RequestCtx, err error) int {
	// A type switch, not errors.As: As makes its target escape (one
	// allocation per invalid id, a real share of EPJ traffic).
	ie, isID := err.(*registry.IDError)
	switch {
	case isID:
		b := idErrBodies[ie]
		if b == nil {
			b = problemBody(400, CodeInvalidIdentifier, "Invalid identifier", ie.Error(), string(ie.Rule), ie.Type.String())
		}
		writeProblem(ctx, 400, b)
		return 400
	case err == registry.ErrNotFound:
		writeProblem(ctx, 404, bodyNotFound)
		return 404
	case err == registry.ErrGone:
		writeProblem(ctx, 410, bodyGone)
		return 410
	case err == query.ErrBadAtTime:
		writeProblem(ctx, 400, bodyBadAtTime)
		return 400
	case err == registry.ErrUnavailable:
		writeProblem(ctx, 503, bodyUnavailable)
		return 503
	default:
		writeProblem(ctx, 500, bodyInternal)
		return 500
	}
}

// writeAnswer writes a JSON answer, or err (writeError).
func writeAnswer(ctx *fasthttp.RequestCtx, body []byte, err error) int {
	if err != nil {
		return writeError(ctx, err)
	}
	return writeJSON(ctx, body)
}

func writeJSON(ctx *fasthttp.RequestCtx, body []byte) int {
	ctx.SetStatusCode(200)
	ctx.Response.Header.SetContentTypeBytes(ctJSON)
	ctx.SetBody(body)
	return 200
}

func writeInvalidBody(ctx *fasthttp.RequestCtx, detail string) int {
	writeProblem(ctx, 400, problemBody(400, CodeInvalidBody, "Invalid request body", detail, "", ""))
	return 400
}

func writeMethodNotAllowed(ctx *fasthttp.RequestCtx, allow string) int {
	ctx.Response.Header.Set("Allow", allow)
	writeProblem(ctx, 405, bodyMethodNotAllowed)
	return 405
}

func itoa(i int) string { return strconv.Itoa(i) }
