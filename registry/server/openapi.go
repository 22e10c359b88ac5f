package server

import (
	"net/http"

	"github.com/valyala/fasthttp"

	"github.com/grunndata/grunndata/docs"
)

// openAPI answers GET /openapi.json: docs/openapi.yaml as JSON (public
// metadata, no token).
func (s *Server) openAPI(ctx *fasthttp.RequestCtx, _ call) int {
	ctx.Response.Header.SetContentTypeBytes(ctJSON)
	ctx.SetBody(docs.OpenAPIJSON())
	return 200
}

// OpenAPIHandler serves docs/openapi.yaml as JSON on the admin listener.
func OpenAPIHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeHTTPProblem(w, 405, bodyMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(docs.OpenAPIJSON())
	})
}
