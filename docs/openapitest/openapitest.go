// Package openapitest checks HTTP responses against docs/openapi.yaml with
// kin-openapi's openapi3filter (JSON Schema 2020-12 for OpenAPI 3.1): tests
// route their clients through Transport, so a response that drifts from the
// contract fails them. Only tests import it; the binary does not link
// kin-openapi.
package openapitest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/grunndata/grunndata/docs"
)

// Validator checks responses against the spec.
type Validator struct {
	doc   *openapi3.T
	paths []specPath
}

type specPath struct {
	template string
	segs     []string
	isVar    []bool
	vars     []string
	item     *openapi3.PathItem
}

func init() {
	// Bodies that are not JSON are checked as strings (their media type and
	// status are what the spec holds them to).
	for _, ct := range []string{"text/xml", "application/soap+xml", "text/html", "application/gzip",
		"application/octet-stream", "application/openmetrics-text", "text/css", "text/javascript"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.PlainBodyDecoder)
	}
}

var (
	defaultOnce sync.Once
	defaultV    *Validator
	defaultErr  error
)

// Default returns the validator of the embedded docs/openapi.yaml.
func Default() (*Validator, error) {
	defaultOnce.Do(func() { defaultV, defaultErr = New(docs.OpenAPIJSON()) })
	return defaultV, defaultErr
}

// New loads and validates an OpenAPI document (JSON or YAML).
func New(spec []byte) (*Validator, error) {
	doc, err := openapi3.NewLoader().LoadFromData(spec)
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, err
	}
	v := &Validator{doc: doc}
	for tmpl, item := range doc.Paths.Map() {
		sp := specPath{template: tmpl, item: item}
		for _, s := range strings.Split(tmpl, "/")[1:] {
			v := strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}")
			sp.segs, sp.isVar = append(sp.segs, s), append(sp.isVar, v)
			if v {
				sp.vars = append(sp.vars, s[1:len(s)-1])
			}
		}
		v.paths = append(v.paths, sp)
	}
	// Literal segments win over {x} (as the server's route table has it).
	sort.Slice(v.paths, func(i, j int) bool {
		if len(v.paths[i].vars) != len(v.paths[j].vars) {
			return len(v.paths[i].vars) < len(v.paths[j].vars)
		}
		return v.paths[i].template < v.paths[j].template
	})
	return v, nil
}

// find returns the spec path matching path and its parameters.
func (v *Validator) find(path string) (*specPath, map[string]string) {
	segs := strings.Split(path, "/")[1:]
outer:
	for i := range v.paths {
		sp := &v.paths[i]
		if len(sp.segs) != len(segs) {
			continue
		}
		params := map[string]string{}
		n := 0
		for j, s := range sp.segs {
			switch {
			case sp.isVar[j]:
				params[sp.vars[n]] = segs[j]
				n++
			case s != segs[j]:
				continue outer
			}
		}
		return sp, params
	}
	return nil, nil
}

// Check validates one response to req: its status must be one the
// operation documents, with the documented headers, media type and body
// schema. A path the spec does not have must answer 404 (a problem body is
// then the NoRoute response); a method its path lacks, 405 as documented
// for the path's other operations.
func (v *Validator) Check(req *http.Request, status int, header http.Header, body []byte) error {
	sp, params := v.find(req.URL.Path)
	method := req.Method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	var op *openapi3.Operation
	var path string
	switch {
	case sp == nil:
		if status != 404 {
			return fmt.Errorf("%s %s: the path is in no route of docs/openapi.yaml, yet the status is %d", req.Method, req.URL.Path, status)
		}
		if !isProblem(header) {
			return nil // the admin mux's plain 404 outside its routes
		}
		op = v.syntheticOp(404, "NoRoute")
		path = req.URL.Path
	case sp.item.GetOperation(method) == nil:
		if status != 405 {
			return fmt.Errorf("%s %s: docs/openapi.yaml has no %s operation on %s, yet the status is %d", req.Method, req.URL.Path, method, sp.template, status)
		}
		// The 405 the path's operations document.
		for _, o := range sp.item.Operations() {
			if o.Responses.Status(405) != nil {
				op = o
				break
			}
		}
		if op == nil {
			return fmt.Errorf("%s %s: 405, which no operation of %s documents", req.Method, req.URL.Path, sp.template)
		}
		path = sp.template
	default:
		op = sp.item.GetOperation(method)
		path = sp.template
	}
	if op.Responses.Status(status) == nil {
		return fmt.Errorf("%s %s: status %d is not documented for %s %s in docs/openapi.yaml", req.Method, req.URL.Path, status, method, path)
	}
	r2 := req.Clone(context.Background())
	r2.Method = method
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request:    r2,
			PathParams: params,
			Route:      &routers.Route{Spec: v.doc, Path: path, PathItem: sp.itemOrNil(), Method: method, Operation: op},
		},
		Status:  status,
		Header:  header,
		Body:    io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, ExcludeResponseBody: req.Method == http.MethodHead},
	}
	if req.Method == http.MethodHead {
		// openapi3filter skips HEAD; its headers are GET's.
		in.RequestValidationInput.Request.Method = http.MethodGet
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return fmt.Errorf("%s %s → %d: %v", req.Method, req.URL.Path, status, err)
	}
	return nil
}

func (sp *specPath) itemOrNil() *openapi3.PathItem {
	if sp == nil {
		return nil
	}
	return sp.item
}

// syntheticOp is an operation answering only components.responses[name]
// with status.
func (v *Validator) syntheticOp(status int, name string) *openapi3.Operation {
	resp := v.doc.Components.Responses[name]
	op := &openapi3.Operation{Responses: openapi3.NewResponses()}
	op.Responses.Set(fmt.Sprint(status), resp)
	return op
}

func isProblem(h http.Header) bool {
	return strings.HasPrefix(h.Get("Content-Type"), "application/problem+json")
}

// ViolationHeader is set on responses Transport found to drift from the
// spec, for helpers that hold a *testing.T to report at the request.
const ViolationHeader = "X-Openapi-Violation"

// Transport wraps base (nil: http.DefaultTransport): every response it
// returns is read whole and checked; a violation is passed to report and
// set in ViolationHeader of the response. A response whose body cannot be
// read is returned unchecked with the read error in its body (as the
// caller would have seen it).
func Transport(base http.RoundTripper, v *Validator, report func(error)) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{base: base, v: v, report: report}
}

type transport struct {
	base   http.RoundTripper
	v      *Validator
	report func(error)
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := t.base.RoundTrip(req)
	if err != nil {
		return res, err
	}
	body, rerr := io.ReadAll(res.Body)
	res.Body.Close()
	if rerr != nil {
		res.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), errReader{rerr}))
		return res, nil
	}
	res.Body = io.NopCloser(bytes.NewReader(body))
	if cerr := t.v.Check(req, res.StatusCode, res.Header, body); cerr != nil {
		res.Header.Set(ViolationHeader, Short(cerr))
		t.report(cerr)
	}
	return res, nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// Recorder collects violations from every Transport using it.
type Recorder struct {
	mu   sync.Mutex
	errs []error
}

// Report records err.
func (r *Recorder) Report(err error) {
	r.mu.Lock()
	r.errs = append(r.errs, err)
	r.mu.Unlock()
}

// Errors returns the violations recorded so far.
func (r *Recorder) Errors() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]error(nil), r.errs...)
}

// Install replaces http.DefaultTransport (used by http.DefaultClient and
// every client without a Transport of its own) with a validating one and
// returns the recorder of its violations: a TestMain calls it before
// m.Run and fails the run when Errors is not empty.
func Install() (*Recorder, error) {
	v, err := Default()
	if err != nil {
		return nil, err
	}
	rec := &Recorder{}
	base := http.DefaultTransport
	if t, ok := base.(*http.Transport); ok {
		// A request sent with "Expect: 100-continue" (a body the server
		// refuses by its length) waits for the server's answer before
		// writing the body. The default wait is 1 s: on a loaded machine
		// the client then writes anyway, the server has answered 413 and
		// closed, and the test sees a broken pipe instead of the answer.
		t = t.Clone()
		t.ExpectContinueTimeout = time.Minute
		base = t
	}
	http.DefaultTransport = Transport(base, v, rec.Report)
	return rec, nil
}

// Exit is for TestMain: given m.Run's code, it writes the violations to out
// (alike ones once, with their count) and returns 1 when there are any
// (else code).
func (r *Recorder) Exit(code int, out io.Writer) int {
	errs := r.Errors()
	if len(errs) == 0 {
		return code
	}
	counts := map[string]int{}
	var order []string
	for _, e := range errs {
		k := alike.ReplaceAllString(Short(e), "N")
		if counts[k] == 0 {
			order = append(order, k)
		}
		counts[k]++
	}
	fmt.Fprintf(out, "FAIL: %d responses drift from docs/openapi.yaml (%d kinds; numbers shown as N):\n", len(errs), len(order))
	for _, k := range order {
		fmt.Fprintf(out, "  %d× %s\n", counts[k], k)
	}
	return 1
}

var alike = regexp.MustCompile(`[0-9]{3,}`)

// Short is err on one line, at most 600 bytes.
func Short(err error) string {
	s := strings.Join(strings.Fields(err.Error()), " ")
	if len(s) > 600 {
		s = s[:600] + "…"
	}
	return s
}
