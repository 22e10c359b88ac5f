package server

import (
	"bytes"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/grunndata/grunndata/registry"
)

// Realistic stored AR records (as the loader writes them) for the SOAP
// handler tests and the cache-hit benchmark.
var (
	soapOrg    = []byte(`{"active":true,"businessType":{"oid":9040,"code":"101","text":"Helseforetak og private sykehus"},"displayName":"Oslo Universitetssykehus HF","electronicAddresses":[{"type":{"oid":9044,"code":"E_EDI","text":"EDI (Standardisert elektronisk melding)"},"address":"oslouniversitetssykehush@edi.nhn.no"},{"type":{"oid":9044,"code":"E_SB_ASYNC","text":"Asynkron AMQP kø"},"address":"sb.nhn.no/NHNServiceBus/80001_async"},{"type":{"oid":9044,"code":"E_TLF","text":"Telefonnummer"},"address":"88648585"}],"herId":80001,"industryCodes":[{"oid":0,"code":"86.101","text":"Alminnelige somatiske sykehus"}],"lastChanged":"2021-03-16T03:05:44Z","municipality":{"oid":3402,"code":"0301","text":"OSLO"},"name":"Oslo Universitetssykehus HF","organizationNumber":"996072444","physicalAddresses":[{"type":{"oid":3401,"code":"RES","text":"Besøksadresse"},"streetAddress":"Holmen 46","postbox":null,"postalCode":"0976","city":"OSLO","country":"NO"},{"type":{"oid":3401,"code":"PST","text":"Postadresse"},"streetAddress":null,"postbox":"Postboks 1163","postalCode":"0150","city":"OSLO","country":"NO"}],"type":"Organization","valid":{"from":"2003-01-01","to":null}}`)
	soapSvcRec = []byte(`{"active":true,"electronicAddresses":[{"address":"oslouniversitetssykehush@edi.nhn.no","inherited":true,"type":{"oid":9044,"code":"E_EDI","text":"EDI (Standardisert elektronisk melding)"}}],"herId":80002,"lastChanged":"2020-08-31T04:57:38Z","name":"Saksbehandling pasientopplysninger","parent":{"herId":80001,"name":"Oslo Universitetssykehus HF","organizationNumber":"996072444"},"parentHerId":80001,"physicalAddresses":[{"city":"OSLO","country":"NO","inherited":true,"postalCode":"0976","postbox":null,"streetAddress":"Holmen 46","type":{"oid":3401,"code":"RES","text":"Besøksadresse"}}],"service":{"code":{"oid":8666,"code":"8","text":"Saksbehandling pasientopplysninger"}},"type":"Service"}`)
)

func soapEnvelope(her string) []byte {
	return []byte(`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><GetCommunicationPartyDetails xmlns="http://register.nhn.no/CommunicationParty"><herId>` + her + `</herId></GetCommunicationPartyDetails></s:Body></s:Envelope>`)
}

func newSOAPTestServer(tb testing.TB) *Server {
	s, st := newTestServer(tb, 1<<20)
	for _, rec := range []struct {
		her  uint64
		body []byte
	}{{80001, soapOrg}, {80002, soapSvcRec}} {
		k := registry.SerialKey(registry.RegParty, rec.her)
		st.data[string(k.Bytes())] = registry.AppendValue(nil, 0, rec.body, nil)
	}
	return s
}

func soapRequest(body []byte) *fasthttp.RequestCtx {
	ctx := request("POST", "/v1/AR", nil)
	ctx.Request.Header.SetContentType("application/soap+xml; charset=utf-8")
	ctx.Request.SetBody(body)
	return ctx
}

func TestSOAPRoutes(t *testing.T) {
	s := newSOAPTestServer(t)
	cases := []struct {
		name, method, uri, ctype string
		body                     []byte
		status                   int
		contains                 string
	}{
		{"soap 1.2", "POST", "/v1/AR", "application/soap+xml; charset=utf-8", soapEnvelope("80002"), 200, `i:type="Service"`},
		{"soap 1.1 on /Basic", "POST", "/v1/AR/Basic", "text/xml; charset=utf-8", bytes.ReplaceAll(soapEnvelope("80001"), []byte("http://www.w3.org/2003/05/soap-envelope"), []byte("http://schemas.xmlsoap.org/soap/envelope/")), 200, `i:type="Organization"`},
		{"not found", "POST", "/v1/AR", "application/soap+xml", soapEnvelope("99"), 400, "InvalidHerIdSupplied"},
		{"json body", "POST", "/v1/AR", "application/json", soapEnvelope("80001"), 415, "unsupported_media_type"},
		{"wsdl", "GET", "/v2/HPR?wsdl", "", nil, 200, `location="http://`},
		{"get without wsdl", "GET", "/v2/flr", "", nil, 405, "method_not_allowed"},
		{"not a soap path", "POST", "/v1/ARX", "text/xml", nil, 404, "no_route"},
	}
	for _, tc := range cases {
		ctx := request(tc.method, tc.uri, nil)
		if tc.ctype != "" {
			ctx.Request.Header.SetContentType(tc.ctype)
		}
		if tc.body != nil {
			ctx.Request.SetBody(tc.body)
		}
		s.Handle(ctx)
		if ctx.Response.StatusCode() != tc.status || !bytes.Contains(ctx.Response.Body(), []byte(tc.contains)) {
			t.Errorf("%s: %d %.600s", tc.name, ctx.Response.StatusCode(), ctx.Response.Body())
		}
	}
}

// BenchmarkPartyCacheHit puts a SOAP GetCommunicationPartyDetails cache hit
// next to the native lookup of the same record, in the same run.
func BenchmarkPartyCacheHit(b *testing.B) {
	s := newSOAPTestServer(b)
	for _, bc := range []struct {
		name string
		ctx  func() *fasthttp.RequestCtx
	}{
		{"native/organisation", func() *fasthttp.RequestCtx { return request("GET", "/v1/communication-parties/80001", nil) }},
		{"soap12/organisation", func() *fasthttp.RequestCtx { return soapRequest(soapEnvelope("80001")) }},
		{"native/service", func() *fasthttp.RequestCtx { return request("GET", "/v1/communication-parties/80002", nil) }},
		{"soap12/service", func() *fasthttp.RequestCtx { return soapRequest(soapEnvelope("80002")) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := bc.ctx()
			s.Handle(ctx)
			s.cache.Wait()
			if ctx.Response.StatusCode() != 200 {
				b.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
			}
			b.ReportAllocs()
			for b.Loop() {
				ctx.Response.Reset()
				s.Handle(ctx)
			}
		})
	}
}

func TestCPAPIRoutes(t *testing.T) {
	s := newSOAPTestServer(t)
	for _, tc := range []struct {
		uri      string
		status   int
		contains string
	}{
		{"/cp/communicationparty/80002", 200, `{"herId":80002,"parentHerId":80001,"type":"Service","communicationParty":{"Code":{"Active":true,`},
		{"/cp/communicationparty/80001", 200, `"ParentHerId":-1`},
		{"/cp/communicationparty/99", 404, "not_found"},
		{"/cp/communicationparty/x", 400, "invalid_identifier"},
		{"/cp/event?fromSequenceNumber=1", 200, `[]`},
		{"/cp/event?fromSequenceNumber=x", 400, "fromSequenceNumber"},
		{"/cp/other", 404, "no_route"},
	} {
		ctx := request("GET", tc.uri, nil)
		s.Handle(ctx)
		if ctx.Response.StatusCode() != tc.status || !bytes.Contains(ctx.Response.Body(), []byte(tc.contains)) {
			t.Errorf("%s: %d %.400s", tc.uri, ctx.Response.StatusCode(), ctx.Response.Body())
		}
	}
}
