package server

import (
	"bytes"
	"encoding/base64"
	"testing"

	"github.com/grunndata/grunndata/registry"
)

// TestHostileInputIsRefused covers the input defects of issue 11: names
// without letters, overflowing cursors, echoed keys, media types, loose
// booleans and control characters.
func TestHostileInputIsRefused(t *testing.T) {
	s, st := newTestServer(t, 1<<20)
	k := registry.SerialKey(registry.RegResh, 100)
	st.data[string(k.Bytes())] = registry.AppendValue(nil, 0, []byte(`{"reshId":100,"name":"Test"}`), nil)
	cur := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	const js = "application/json"
	cases := []struct {
		name, method, uri, ctype, body string
		status                         int
		want                           string
	}{
		// Defect 7: a name must have letters.
		{"name-star", "POST", "/v1/persons/search", js, `{"familyName":"*"}`, 400, `"code":"invalid_name"`},
		{"name-dash", "POST", "/v1/persons/search", js, `{"familyName":"-"}`, 400, `"code":"invalid_name"`},
		{"name-dot-postal", "POST", "/v1/persons/search", js, `{"familyName":".","postalCode":"0150"}`, 400, `"code":"invalid_name"`},
		{"name-nul", "POST", "/v1/persons/search", js, `{"familyName":"\u0000"}`, 400, `"code":"invalid_name"`},
		{"given-digits", "POST", "/v1/persons/search", js, `{"givenName":"12"}`, 400, `"code":"invalid_name"`},
		{"name-one-letter-term", "POST", "/v1/persons/search", js, `{"familyName":"Hansen","givenName":"K"}`, 400, `"code":"invalid_name"`},
		{"name-ok", "POST", "/v1/persons/search", js, `{"familyName":"Aa"}`, 200, `"items":[]`},
		{"name-apostrophe-ok", "POST", "/v1/persons/search", js, `{"familyName":"O'Brien"}`, 200, `"items":[]`},
		{"name-nul-inside", "POST", "/v1/persons/search", js, `{"familyName":"\u0000\u0000"}`, 400, `"code":"invalid_name"`},
		{"personnel-name-star", "POST", "/v1/personnel/search", js, `{"name":"*","category":"LE"}`, 400, `"code":"invalid_name"`},
		// Defect 10: cursors.
		{"cursor-huge", "GET", "/v1/communication-parties?name=lege&cursor=" + cur("o9223372036854775800"), "", "", 400, `"code":"invalid_parameter"`},
		{"cursor-negative", "GET", "/v1/communication-parties?name=lege&cursor=" + cur("o-1"), "", "", 400, `"code":"invalid_parameter"`},
		{"cursor-minus-zero", "GET", "/v1/communication-parties?name=lege&cursor=" + cur("o-0"), "", "", 400, `"code":"invalid_parameter"`},
		{"cursor-plus", "GET", "/v1/communication-parties?name=lege&cursor=" + cur("o+5"), "", "", 400, `"code":"invalid_parameter"`},
		{"body-cursor-huge", "POST", "/v1/persons/search", js, `{"familyName":"Hansen","cursor":"` + cur("o9223372036854775800") + `"}`, 400, `"code":"invalid_parameter"`},
		{"body-cursor-negative", "POST", "/v1/persons/search", js, `{"familyName":"Hansen","cursor":"` + cur("o-1") + `"}`, 400, `"code":"invalid_parameter"`},
		{"cursor-ok", "GET", "/v1/communication-parties?name=lege&cursor=" + cur("o100"), "", "", 200, `"items":[]`},
		// Defect 10: media types.
		{"ctype-upper", "POST", "/v1/persons/lookup", "APPLICATION/JSON", `{"nin":"01810050019"}`, 200, `"nin":"01810050019"`},
		{"ctype-charset", "POST", "/v1/persons/lookup", "Application/Json; charset=utf-8", `{"nin":"01810050019"}`, 200, `"nin":"01810050019"`},
		{"ctype-jsonx", "POST", "/v1/persons/lookup", "application/jsonx", `{"nin":"01810050019"}`, 415, `"code":"unsupported_media_type"`},
		{"ctype-missing", "POST", "/v1/persons/lookup", "", `{"nin":"01810050019"}`, 415, `"code":"unsupported_media_type"`},
		{"ctype-missing-bulk", "POST", "/v1/persons/bulk", "", `{"nins":["01810050019"]}`, 415, `"code":"unsupported_media_type"`},
		{"ctype-missing-search", "POST", "/v1/persons/search", "", `{"familyName":"Hansen"}`, 415, `"code":"unsupported_media_type"`},
		// Defect 10: booleans are true or false.
		{"children-maybe", "GET", "/v1/resh/100?children=maybe", "", "", 400, `"field":"children"`},
		{"ancestors-maybe", "GET", "/v1/resh/100?ancestors=1x", "", "", 400, `"field":"ancestors"`},
		{"children-true", "GET", "/v1/resh/100?children=true", "", "", 200, `"children":[]`},
		// Defect 10: AIN names are text, not control characters.
		{"ain-control", "POST", "/v1/ain", js, `{"givenName":"Ola\u0007","familyName":"Nordmann"}`, 400, `"code":"invalid_body"`},
		{"ain-nul", "POST", "/v1/ain", js, `{"familyName":"Nord\u0000mann"}`, 400, `"code":"invalid_body"`},
		{"ain-newline-name", "POST", "/v1/ain", js, `{"familyName":"Nord\nmann"}`, 400, `"code":"invalid_body"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := request(c.method, c.uri, nil)
			if c.method == "POST" {
				ctx.Request.SetBody([]byte(c.body))
				if c.ctype != "" {
					ctx.Request.Header.SetContentType(c.ctype)
				}
			}
			s.Handle(ctx)
			if got := ctx.Response.StatusCode(); got != c.status {
				t.Fatalf("status %d, want %d: %s", got, c.status, ctx.Response.Body())
			}
			if !bytes.Contains(ctx.Response.Body(), []byte(c.want)) {
				t.Fatalf("body %s lacks %s", ctx.Response.Body(), c.want)
			}
		})
	}
}

// TestErrorBodiesNeverEchoInput: a JSON key can be a person number; no
// error body repeats what the caller sent.
func TestErrorBodiesNeverEchoInput(t *testing.T) {
	s, _ := newTestServer(t, 1<<20)
	const nin = "16828400030"
	for _, c := range []struct{ uri, body string }{
		{"/v1/persons/lookup", `{"` + nin + `":1}`},
		{"/v1/persons/lookup", `{"nin":"01810050019","` + nin + `":1}`},
		{"/v1/persons/lookup", `{"nin":"` + nin + `x"}`},
		{"/v1/gp/lookup", `{"` + nin + `":1}`},
		{"/v1/persons/bulk", `{"` + nin + `":[]}`},
		{"/v1/persons/search", `{"` + nin + `":"x"}`},
		{"/v1/personnel/search", `{"` + nin + `":"x"}`},
		{"/v1/ain", `{"` + nin + `":"x"}`},
		{"/v1/persons/lookup", `{"nin":` + nin + `}`},
	} {
		ctx := request("POST", c.uri, []byte(c.body))
		s.Handle(ctx)
		if ctx.Response.StatusCode() < 400 {
			t.Fatalf("%s %s: status %d", c.uri, c.body, ctx.Response.StatusCode())
		}
		if bytes.Contains(ctx.Response.Body(), []byte(nin)) {
			t.Fatalf("%s %s: the error echoes caller input: %s", c.uri, c.body, ctx.Response.Body())
		}
	}
}

// TestGPWithheldForPatientProtectedSinceLoad: defect 1 of issue 11 after a
// delta. A Freg delta that makes a patient's address protected rewrites the
// person (and its flags) but not their GP answer, whose stored value then has
// no withheld view: the server still withholds the GP, on lookup and bulk.
func TestGPWithheldForPatientProtectedSinceLoad(t *testing.T) {
	s, st := newTestServer(t, 1<<20)
	n, _, _ := registry.ParseNIN([]byte(testNIN))
	gp := []byte(`{"patientNin":"` + testNIN + `","gpContractId":300012,"gpHerId":80385,"period":{"from":"2024-12-08","to":null},"contract":{"id":300012}}`)
	k := registry.GPPatientKey(n)
	st.data[string(k.Bytes())] = registry.AppendValue(nil, 0, gp, nil) // stored before the person became protected
	z := registry.PersonExistsKey(n)
	for _, protected := range []bool{false, true} {
		s.cache.Clear()
		flags := byte(0)
		if protected {
			flags = registry.FlagRestricted
		}
		st.data[string(z.Bytes())] = []byte{flags}
		for _, c := range []struct{ uri, body string }{
			{"/v1/gp/lookup", `{"nin":"` + testNIN + `"}`},
			{"/v1/gp/bulk", `{"nins":["` + testNIN + `"]}`},
		} {
			ctx := request("POST", c.uri, []byte(c.body))
			s.Handle(ctx)
			body := ctx.Response.Body()
			withheld := bytes.Contains(body, []byte(`{"patientNin":"`+testNIN+`","gpWithheld":true,"patientAddressProtected":true}`))
			leaks := bytes.Contains(body, []byte("300012")) || bytes.Contains(body, []byte("80385"))
			if ctx.Response.StatusCode() != 200 || withheld != protected || leaks == protected {
				t.Fatalf("protected=%v %s: %d %s", protected, c.uri, ctx.Response.StatusCode(), body)
			}
		}
	}
}
