package server

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/grunndata/grunndata/registry"
	"github.com/grunndata/grunndata/registry/cache"
	"github.com/grunndata/grunndata/registry/ops"
)

// scanStore is a memStore whose Scan walks the keys in order.
type scanStore struct{ memStore }

func (m *scanStore) Acquire() (registry.View, error) { return m, nil }
func (m *scanStore) Scan(prefix, from []byte, fn func(k, v []byte) bool) error {
	start := string(prefix) + string(from)
	var keys []string
	for k := range m.data {
		if strings.HasPrefix(k, string(prefix)) && k >= start {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !fn([]byte(k), m.data[k]) {
			break
		}
	}
	return nil
}

// The certificate fixture: organisation 80001 (orgnr 974600951) holds an
// encryption certificate that expires at noon and a signing certificate
// revoked at 10:00; its service 80002 inherits both; its service 80003 has
// its own encryption certificate and inherits the signing one; organisation
// 80004 has none.
var (
	certNoon  = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	certOrgnr = "974600951"
)

func certEntry(u registry.CertUsage, nb, na, rev time.Time, body string) registry.CertEntry {
	var r int64
	if !rev.IsZero() {
		r = rev.Unix()
	}
	return registry.CertEntry{Usage: u, Times: registry.CertTimes{NotBefore: nb.Unix(), NotAfter: na.Unix(), RevokedAt: r, Trusted: true}, Body: []byte(body)}
}

func newCertServer(tb testing.TB, clock func() time.Time) (*Server, *scanStore) {
	tb.Helper()
	st := &scanStore{memStore{data: map[string][]byte{}}}
	put := func(k registry.Key, v []byte) { st.data[string(k.Bytes())] = v }
	year := 365 * 24 * time.Hour
	for her, body := range map[uint64]string{
		80001: `{"herId":80001,"type":"Organization","name":"Legesenteret AS","organizationNumber":"974600951"}`,
		80002: `{"herId":80002,"type":"Service","name":"Fastlegetjeneste","parent":{"herId":80001,"organizationNumber":"974600951"}}`,
		80003: `{"herId":80003,"type":"Service","name":"Legevakt","parent":{"herId":80001,"organizationNumber":"974600951"}}`,
		80004: `{"herId":80004,"type":"Organization","name":"Uten sertifikat AS","organizationNumber":"923609016"}`,
	} {
		put(registry.SerialKey(registry.RegParty, her), registry.AppendValue(nil, 0, []byte(body), nil))
	}
	enc := certEntry(registry.CertEncryption, certNoon.Add(-year), certNoon, time.Time{}, `{"ownerHerId":80001,"serialNumber":"0A"}`)
	sig := certEntry(registry.CertSignature, certNoon.Add(-year), certNoon.Add(year), certNoon.Add(-2*time.Hour), `{"ownerHerId":80001,"serialNumber":"0B","revocation":{"time":"2026-06-01T10:00:00Z","reason":"keyCompromise"}}`)
	own := certEntry(registry.CertEncryption, certNoon.Add(time.Hour), certNoon.Add(year), time.Time{}, `{"ownerHerId":80003,"serialNumber":"0C"}`)
	put(registry.SerialKey(registry.RegCertificates, 80001), registry.AppendCertSet(nil, 0, 0, []registry.CertEntry{enc, sig}))
	put(registry.SerialKey(registry.RegCertificates, 80002), registry.AppendCertSet(nil, 80001, registry.CertMaskEncryption|registry.CertMaskSignature, nil))
	put(registry.SerialKey(registry.RegCertificates, 80003), registry.AppendCertSet(nil, 80001, registry.CertMaskSignature, []registry.CertEntry{own}))
	old := certEntry(registry.CertEncryption, certNoon.Add(-4*year), certNoon.Add(-year), time.Time{}, `{"ownerHerId":80001,"serialNumber":"09","replacedAt":"2025-06-01T12:00:00Z"}`)
	put(registry.SerialKey(registry.IdxCertHistory, 80001), registry.AppendCertSet(nil, 0, 0, []registry.CertEntry{enc, old, sig}))
	put(registry.SerialKey(registry.IdxCertHistory, 80002), registry.AppendCertSet(nil, 80001, registry.CertMaskEncryption|registry.CertMaskSignature, nil))
	o, _ := registry.ParseOrgnr([]byte(certOrgnr))
	put(registry.CertOrgnrKey(o), []byte{0, 1, 0x38, 0x81}) // 80001
	for _, h := range []struct {
		her   uint32
		e     registry.CertEntry
		cn    string
		field byte
		value string
	}{
		{80001, enc, "LEGESENTERET AS", registry.CertFieldSerial, certOrgnr},
		{80001, sig, "LEGESENTERET AS", registry.CertFieldSerial, certOrgnr},
		{80001, enc, "LEGESENTERET AS", registry.CertFieldCN, "LEGESENTERET AS"},
		{80001, sig, "LEGESENTERET AS", registry.CertFieldCN, "LEGESENTERET AS"},
		{80003, own, "LEGEVAKT", registry.CertFieldSerial, certOrgnr},
		{80003, own, "LEGEVAKT", registry.CertFieldCN, "LEGEVAKT"},
	} {
		norm := registry.NormaliseCertField(nil, h.value)
		k := registry.CertSearchPrefix(nil, h.field, norm)
		k = append(append(k, 0), byte(h.her>>24), byte(h.her>>16), byte(h.her>>8), byte(h.her), byte(h.e.Usage))
		hit := h.e
		hit.Body = fmt.Appendf(nil, `{"herId":%d,"commonName":%q}`, h.her, h.cn)
		st.data[string(k)] = registry.AppendCertSearchValue(nil, norm, &hit)
	}
	c, err := cache.New(cache.Config{MaxBytes: 1 << 20})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	cfg := DefaultConfig()
	cfg.Clock = clock
	return New(cfg, st, c, nil, slog.New(slog.DiscardHandler)), st
}

// TestCertificateRoutes: statuses evaluated at the request's instant (a
// certificate that expires at 12:00:00 is valid then and expired at
// 12:00:01, without a reload), inheritance, usage filter, history, orgnr,
// search, fallback and the errors.
func TestCertificateRoutes(t *testing.T) {
	now := certNoon
	s, _ := newCertServer(t, func() time.Time { return now })
	get := func(uri string) (int, string) {
		ctx := request("GET", uri, nil)
		s.Handle(ctx)
		return ctx.Response.StatusCode(), string(ctx.Response.Body())
	}
	const at12 = `"evaluatedAt":"2026-06-01T12:00:00Z"`
	tests := []struct {
		name, uri string
		at        time.Time
		status    int
		want      string // exact body, or a part of it when it starts with "…"
	}{
		{"own at noon: valid, revoked since 10:00", "/v1/communication-parties/80001/certificates", certNoon, 200,
			`{"herId":80001,` + at12 + `,"certificates":[` +
				`{"usage":"encryption","status":"valid","inherited":false,"ownerHerId":80001,"serialNumber":"0A"},` +
				`{"usage":"signature","status":"revoked","inherited":false,"ownerHerId":80001,"serialNumber":"0B","revocation":{"time":"2026-06-01T10:00:00Z","reason":"keyCompromise"}}]}`},
		{"one second after notAfter: expired", "/v1/communication-parties/80001/certificates?usage=encryption", certNoon.Add(time.Second), 200,
			`{"herId":80001,"evaluatedAt":"2026-06-01T12:00:01Z","certificates":[{"usage":"encryption","status":"expired","inherited":false,"ownerHerId":80001,"serialNumber":"0A"}]}`},
		{"before the revocation: valid", "/v1/communication-parties/80001/certificates?usage=signature", certNoon.Add(-3 * time.Hour), 200,
			`…{"usage":"signature","status":"valid","inherited":false,`},
		{"inherited from the parent", "/v1/communication-parties/80002/certificates", certNoon, 200,
			`{"herId":80002,` + at12 + `,"certificates":[` +
				`{"usage":"encryption","status":"valid","inherited":true,"ownerHerId":80001,"serialNumber":"0A"},` +
				`{"usage":"signature","status":"revoked","inherited":true,"ownerHerId":80001,"serialNumber":"0B","revocation":{"time":"2026-06-01T10:00:00Z","reason":"keyCompromise"}}]}`},
		{"own slot and inherited slot; own not yet valid", "/v1/communication-parties/80003/certificates", certNoon, 200,
			`{"herId":80003,` + at12 + `,"certificates":[` +
				`{"usage":"encryption","status":"notYetValid","inherited":false,"ownerHerId":80003,"serialNumber":"0C"},` +
				`{"usage":"signature","status":"revoked","inherited":true,"ownerHerId":80001,"serialNumber":"0B","revocation":{"time":"2026-06-01T10:00:00Z","reason":"keyCompromise"}}]}`},
		{"usage filter skips the inherited slot", "/v1/communication-parties/80003/certificates?usage=encryption", certNoon, 200,
			`{"herId":80003,` + at12 + `,"certificates":[{"usage":"encryption","status":"notYetValid","inherited":false,"ownerHerId":80003,"serialNumber":"0C"}]}`},
		{"party without certificates", "/v1/communication-parties/80004/certificates", certNoon, 200,
			`{"herId":80004,` + at12 + `,"certificates":[]}`},
		{"history", "/v1/communication-parties/80001/certificates/history?usage=encryption", certNoon, 200,
			`…{"usage":"encryption","status":"expired","inherited":false,"ownerHerId":80001,"serialNumber":"09","replacedAt":"2025-06-01T12:00:00Z"}]}`},
		{"history inherited", "/v1/communication-parties/80002/certificates/history", certNoon, 200,
			`…"serialNumber":"09","replacedAt"`},
		{"by orgnr", "/v1/organisations/974600951/certificates?usage=encryption", certNoon, 200,
			`{"herId":80001,` + at12 + `,"certificates":[{"usage":"encryption","status":"valid","inherited":false,"ownerHerId":80001,"serialNumber":"0A"}]}`},
		{"by orgnr without an AR organisation", "/v1/organisations/923609016/certificates", certNoon, 404, `…"code":"not_found"`},
		{"search by cn prefix", "/v1/certificates?cn=Legesent&usage=signature", certNoon, 200,
			`{"items":[{"usage":"signature","status":"revoked","usageMatches":true,"herId":80001,"commonName":"LEGESENTERET AS"}],"nextCursor":null}`},
		{"search by serialNumber", "/v1/certificates?serialNumber=974600951", certNoon, 200,
			`…{"usage":"encryption","status":"notYetValid","usageMatches":true,"herId":80003,"commonName":"LEGEVAKT"}],"nextCursor":null}`},
		{"fallback by orgnr and name", "/v1/communication-parties/80003/certificates/fallback", certNoon, 200,
			`…{"usage":"encryption","status":"notYetValid","usageMatches":true,"fallbackSource":"ComPartName","herId":80003,"commonName":"LEGEVAKT"}]}`},
		{"unknown party", "/v1/communication-parties/80009/certificates", certNoon, 404, `…"code":"not_found"`},
		{"bad HER-id", "/v1/communication-parties/8x/certificates", certNoon, 400, `…"rule":"non-digit"`},
		{"bad usage", "/v1/communication-parties/80001/certificates?usage=auth", certNoon, 400, `…"field":"usage"`},
		{"bad orgnr", "/v1/organisations/974600952/certificates", certNoon, 400, `…"rule":"check-digit"`},
		{"two search fields", "/v1/certificates?cn=a&ou=b", certNoon, 400, `…"Invalid certificate search"`},
		{"no search field", "/v1/certificates", certNoon, 400, `…"Invalid certificate search"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now = tt.at
			st, body := get(tt.uri)
			if st != tt.status {
				t.Fatalf("status %d, want %d: %s", st, tt.status, body)
			}
			if w, part := strings.CutPrefix(tt.want, "…"); part {
				if !strings.Contains(body, w) {
					t.Errorf("body lacks %s:\n%s", w, body)
				}
			} else if body != tt.want {
				t.Errorf("body\n%s\nwant\n%s", body, tt.want)
			}
			if st == 200 && !json.Valid([]byte(body)) {
				t.Errorf("invalid JSON: %s", body)
			}
		})
	}
	ctx := request("POST", "/v1/communication-parties/80001/certificates", []byte(`{}`))
	s.Handle(ctx)
	if ctx.Response.StatusCode() != 405 {
		t.Errorf("POST: %d", ctx.Response.StatusCode())
	}
}

// TestCertificateSearchPages: a cursor continues where the page ended.
func TestCertificateSearchPages(t *testing.T) {
	s, _ := newCertServer(t, func() time.Time { return certNoon })
	var seen []string
	uri := "/v1/certificates?serialNumber=9746&limit=1"
	for range 10 {
		ctx := request("GET", uri, nil)
		s.Handle(ctx)
		var page struct {
			Items []struct {
				HerID int    `json:"herId"`
				Usage string `json:"usage"`
			}
			NextCursor *string
		}
		if err := json.Unmarshal(ctx.Response.Body(), &page); err != nil || len(page.Items) != 1 {
			t.Fatalf("%s: %v %s", uri, err, ctx.Response.Body())
		}
		seen = append(seen, fmt.Sprintf("%d/%s", page.Items[0].HerID, page.Items[0].Usage))
		if page.NextCursor == nil {
			break
		}
		uri = "/v1/certificates?serialNumber=9746&limit=1&cursor=" + *page.NextCursor
	}
	if got := strings.Join(seen, " "); got != "80001/encryption 80001/signature 80003/encryption" {
		t.Errorf("pages: %s", got)
	}
}

// TestCertificateGaugesAndReport: the gauges follow the clock without a
// reload; the admin report answers JSON.
func TestCertificateGaugesAndReport(t *testing.T) {
	now := certNoon.Add(-3 * time.Hour)
	_, st := newCertServer(t, nil)
	clock := func() time.Time { return now }
	c := ops.NewCertCollector(st, clock)
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	check := func(soon, revoked float64) {
		t.Helper()
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]float64{}
		for _, mf := range mfs {
			got[mf.GetName()] = mf.GetMetric()[0].GetGauge().GetValue()
		}
		if got["grunndata_certificates_expiring_soon"] != soon || got["grunndata_certificates_revoked"] != revoked || len(got) != 2 {
			t.Errorf("gauges %v, want expiring %v, revoked %v", got, soon, revoked)
		}
	}
	check(1, 0) // 09:00: the encryption certificate expires at noon; the revocation is at 10:00
	now = certNoon.Add(time.Second)
	check(0, 1)

	rec := httptest.NewRecorder()
	CertReportHandler(st, clock).ServeHTTP(rec, httptest.NewRequest("GET", "/admin/certificates?days=400", nil))
	var rep registry.CertReport
	if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil || rec.Code != 200 {
		t.Fatalf("%d %v %s", rec.Code, err, rec.Body)
	}
	if rep.Summary["revoked"] != 1 || rep.Summary["expired"] != 1 || rep.Summary["missing"] != 2 || rep.WithinDays != 400 {
		t.Errorf("report summary %v", rep.Summary)
	}
	rec = httptest.NewRecorder()
	CertReportHandler(st, clock).ServeHTTP(rec, httptest.NewRequest("GET", "/admin/certificates?days=-1", nil))
	if rec.Code != 400 {
		t.Errorf("days=-1: %d", rec.Code)
	}
}

// TestCertificateEvents: a certificate change in the communication-parties
// feed carries the party's certificates as the lookup answers them.
func TestCertificateEvents(t *testing.T) {
	s, st := newCertServer(t, func() time.Time { return certNoon })
	st.data[string(registry.EventKey('A', 1))] = registry.AppendEventValue(nil, registry.EventUpsert, []byte{byte(registry.RegCertificates), 0, 1, 0x38, 0x82})
	st.data[string(registry.EventKey('A', 2))] = registry.AppendEventValue(nil, registry.EventDelete, []byte{byte(registry.RegCertificates), 0, 1, 0x38, 0x85})
	st.data[string(registry.EventMetaKey('A'))] = registry.AppendEventRange(nil, 1, 2)
	ctx := request("GET", "/v1/events/communication-parties?after=0", nil)
	s.Handle(ctx)
	body := string(ctx.Response.Body())
	if ctx.Response.StatusCode() != 200 || !json.Valid(ctx.Response.Body()) {
		t.Fatalf("%d %s", ctx.Response.StatusCode(), body)
	}
	for _, want := range []string{
		`{"seq":1,"kind":"certificates","id":80002,"type":"upsert","entity":{"herId":80002,"evaluatedAt":"2026-06-01T12:00:00Z","certificates":[{"usage":"encryption","status":"valid","inherited":true,"ownerHerId":80001`,
		`{"seq":2,"kind":"certificates","id":80005,"type":"delete"}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("feed lacks %s:\n%s", want, body)
		}
	}
}
