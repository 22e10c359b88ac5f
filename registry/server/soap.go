package server

import (
	"bytes"
	"strconv"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/grunndata/grunndata/registry"
	"github.com/grunndata/grunndata/registry/audit"
	"github.com/grunndata/grunndata/registry/auth"
	"github.com/grunndata/grunndata/registry/query"
	"github.com/grunndata/grunndata/registry/soap"
)

// SOAP façades at NHN's paths (docs/soap.md): SOAP 1.2 at the path, SOAP 1.1
// at path+"/Basic", the contract at ?wsdl. They use the same bearer tokens
// and scopes as the native routes, the same cache and record views, and the
// same audit log.

// soapServices are built once: their operation tables are read-only.
var soapServices = struct {
	ar, hpr, flr *soap.Service
}{soap.AR(), soap.HPR(), soap.FLR()}

var soapBufs = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

var (
	ctXML          = []byte("text/xml; charset=utf-8")
	hdrSOAPAction  = []byte("SOAPAction")
	bodySOAPMedia  = problemBody(415, CodeUnsupportedMedia, "Unsupported media type", "send a SOAP 1.1 (text/xml) or SOAP 1.2 (application/soap+xml) envelope", "", "")
	ctSOAP11Prefix = []byte("text/xml")
	ctSOAP12Prefix = []byte("application/soap+xml")
)

// serveSOAP answers a SOAP route: GET ?wsdl gives the contract, POST an
// envelope. Person-number operations are audited like the native routes:
// one record per request naming every valid number asked about, written
// (durably) before the answer is released.
func (s *Server) serveSOAP(ctx *fasthttp.RequestCtx, c call, svc *soap.Service) int {
	p, path := c.p, c.r.pattern
	if ctx.IsGet() || ctx.IsHead() {
		args := ctx.QueryArgs()
		if !args.Has("wsdl") && !args.Has("singleWsdl") {
			return writeMethodNotAllowed(ctx, "POST (GET only with ?wsdl)")
		}
		ctx.SetStatusCode(200)
		ctx.Response.Header.SetContentTypeBytes(ctXML)
		ctx.SetBody(svc.WSDL(soapBase(ctx), path))
		return 200
	}
	if !ctx.IsPost() {
		return writeMethodNotAllowed(ctx, "POST, GET")
	}
	ct := ctx.Request.Header.ContentType()
	var action []byte
	switch {
	case bytes.HasPrefix(ct, ctSOAP11Prefix):
		action = bytes.Trim(ctx.Request.Header.PeekBytes(hdrSOAPAction), `"`)
	case bytes.HasPrefix(ct, ctSOAP12Prefix):
		action = contentTypeAction(ct)
	default:
		writeProblem(ctx, 415, bodySOAPMedia)
		return 415
	}
	v, err := s.store.Acquire()
	if err != nil {
		return writeError(ctx, err)
	}
	defer v.Release()
	b := s.q.SOAP(v, p.Scopes&auth.ScopePersonReadProtected != 0, s.cfg.Audit != nil)
	bp := soapBufs.Get().(*[]byte)
	defer soapBufs.Put(bp)
	out, ans := svc.Serve((*bp)[:0], ctx.PostBody(), string(action), b)
	*bp = out[:0]
	if len(b.Subjects) > 0 && s.cfg.Audit != nil {
		status := ans.Status
		if ans.Status == 200 && len(b.Subjects) == 1 && !b.Found {
			status = 404 // a single lookup that found nobody (NHN answers a fault)
		}
		e := audit.Entry{Caller: caller(p), Route: c.r.name + "/" + ans.Op, Subject: nil, Subjects: b.Subjects,
			AskedAll: b.Asked, Status: status, Duration: time.Since(c.start), Generation: v.ID()}
		if len(b.Subjects) == 1 {
			e.Subject, e.Subjects = b.Subjects[0], nil
			if len(b.Asked) == 1 {
				e.Asked, e.AskedAll = b.Asked[0], nil
			}
		}
		if err := s.cfg.Audit.Record(&e); err != nil {
			s.log.Error("audit log unavailable: refusing person lookups", "err", err)
			writeProblem(ctx, 503, bodyAuditDown)
			return 503
		}
	}
	ctx.SetStatusCode(ans.Status)
	ctx.Response.Header.SetContentType(soap.ContentType(soap.VersionOf(out)))
	ctx.SetBody(out)
	return ans.Status
}

// contentTypeAction returns the action parameter of a SOAP 1.2 content type.
func contentTypeAction(ct []byte) []byte {
	i := bytes.Index(ct, []byte("action="))
	if i < 0 {
		return nil
	}
	a := ct[i+len("action="):]
	if j := bytes.IndexByte(a, ';'); j >= 0 {
		a = a[:j]
	}
	return bytes.Trim(bytes.TrimSpace(a), `"`)
}

// soapBase is scheme://host of the request, for the WSDL's addresses. A Host
// header with characters outside a host name falls back to the listener's
// address.
func soapBase(ctx *fasthttp.RequestCtx) string {
	scheme := "http://"
	if ctx.IsTLS() {
		scheme = "https://"
	}
	host := ctx.Host()
	for _, c := range host {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == ':' || c == '[' || c == ']') {
			host = nil
			break
		}
	}
	if len(host) == 0 {
		return scheme + ctx.LocalAddr().String()
	}
	return scheme + string(host)
}

// cpParty answers NHN's CommunicationParty REST API v2 shape of a party:
// GET /cp/communicationparty/{herId} (docs/soap.md).
func (s *Server) cpParty(ctx *fasthttp.RequestCtx, c call) int {
	her, err := registry.ParseSerial(registry.IDHerID, c.id)
	if err != nil {
		return writeError(ctx, err)
	}
	return s.cpAnswer(ctx, c, func(out []byte, b *query.SOAPBackend) ([]byte, error) { return soap.AppendRESTParty(out, her, b) })
}

// cpEvents answers GET /cp/event?fromSequenceNumber=N&limit=L: NHN's slim
// communication-party events.
func (s *Server) cpEvents(ctx *fasthttp.RequestCtx, c call) int {
	args := ctx.QueryArgs()
	from, limit := uint64(1), 100
	if f := args.Peek("fromSequenceNumber"); len(f) > 0 {
		n, err := strconv.ParseUint(string(f), 10, 64)
		if err != nil {
			writeProblem(ctx, 400, problemBody(400, "invalid_parameter", "Invalid fromSequenceNumber", "fromSequenceNumber is a sequence number", "", "fromSequenceNumber"))
			return 400
		}
		from = n
	}
	if l := args.Peek("limit"); len(l) > 0 {
		n, err := strconv.Atoi(string(l))
		if err != nil || n < 1 || n > 1000 {
			writeProblem(ctx, 400, problemBody(400, "invalid_parameter", "Invalid limit", "limit is 1 to 1000", "", "limit"))
			return 400
		}
		limit = n
	}
	return s.cpAnswer(ctx, c, func(out []byte, b *query.SOAPBackend) ([]byte, error) {
		return soap.AppendRESTEvents(out, from, limit, b)
	})
}

// cpAnswer writes the JSON render appends from the active generation.
func (s *Server) cpAnswer(ctx *fasthttp.RequestCtx, c call, render func(out []byte, b *query.SOAPBackend) ([]byte, error)) int {
	v, err := s.store.Acquire()
	if err != nil {
		return writeError(ctx, err)
	}
	defer v.Release()
	bp := soapBufs.Get().(*[]byte)
	defer soapBufs.Put(bp)
	out, err := render((*bp)[:0], s.q.SOAP(v, c.p.Scopes&auth.ScopePersonReadProtected != 0, s.cfg.Audit != nil))
	if err != nil {
		return writeError(ctx, err)
	}
	*bp = out[:0]
	return writeJSON(ctx, out)
}
