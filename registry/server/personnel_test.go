package server

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grunndata/grunndata/registry/audit"
)

// recAudit keeps the entries it is given.
type recAudit struct {
	mu      sync.Mutex
	entries []audit.Entry
}

func (r *recAudit) Record(e *audit.Entry) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := *e
	c.Subject = append([]byte(nil), e.Subject...)
	r.entries = append(r.entries, c)
	return nil
}
func (r *recAudit) Close() error { return nil }

// newPersonnelServer is newTestServer's fixture with an injected clock and
// an audit log that keeps its entries.
func newPersonnelServer(t *testing.T, now time.Time) (*Server, *recAudit) {
	t.Helper()
	s0, st := newTestServer(t, 1<<20)
	cfg := DefaultConfig()
	cfg.Clock = func() time.Time { return now }
	a := &recAudit{}
	cfg.Audit = a
	return New(cfg, st, s0.cache, nil, nil), a
}

// TestPersonnelHistoryRoute: the history's statuses are evaluated at the
// engine's clock without atTime and at atTime with it; bad input is a
// precise 4xx; every answer naming the person is audited.
func TestPersonnelHistoryRoute(t *testing.T) {
	for _, c := range []struct {
		name, clock, uri string
		status           int
		want             string
	}{
		{"now in the period", "2019-06-01T08:00:00Z", "/v1/personnel/1000017/history", 200,
			`"asOf":"2019-06-01T08:00:00Z","history":[{"kind":"authorisation","authorization":{"code":"1"},"valid":{"from":"1996-06-01","to":"2020-12-31"},"ended":false,"status":"active"}]`},
		{"now after the period", "2021-01-01T00:00:00Z", "/v1/personnel/1000017/history", 200, `"status":"ended"`},
		{"atTime wins over the clock", "2021-01-01T00:00:00Z", "/v1/personnel/1000017/history?atTime=1990-01-01", 200,
			`"asOf":"1990-01-01T00:00:00Z","history":[{"kind":"authorisation","authorization":{"code":"1"},"valid":{"from":"1996-06-01","to":"2020-12-31"},"ended":false,"status":"future"}]`},
		{"bad atTime", "2021-01-01T00:00:00Z", "/v1/personnel/1000017/history?atTime=yesterday", 400, `"field":"atTime"`},
		{"unknown", "2021-01-01T00:00:00Z", "/v1/personnel/1000018/history", 404, `"code":"not_found"`},
		{"malformed", "2021-01-01T00:00:00Z", "/v1/personnel/01000017/history", 400, `"rule":"leading-zero"`},
		{"post", "2021-01-01T00:00:00Z", "/v1/personnel/1000017/history", 405, `method_not_allowed`},
	} {
		t.Run(c.name, func(t *testing.T) {
			now, _ := time.Parse(time.RFC3339, c.clock)
			s, a := newPersonnelServer(t, now)
			method, body := "GET", []byte(nil)
			if c.name == "post" {
				method, body = "POST", []byte("{}")
			}
			ctx := request(method, c.uri, body)
			s.Handle(ctx)
			got := ctx.Response.Body()
			if ctx.Response.StatusCode() != c.status || !bytes.Contains(got, []byte(c.want)) {
				t.Fatalf("%d %s, want %d and %s", ctx.Response.StatusCode(), got, c.status, c.want)
			}
			if bytes.Contains(got, []byte(testNIN)) {
				t.Fatalf("the answer names the fødselsnummer: %s", got)
			}
			audited := len(a.entries) == 1 && string(a.entries[0].Subject) == testNIN && a.entries[0].Route == "personnel-history"
			if c.status == 200 && !audited {
				t.Fatalf("audit %+v, want one personnel-history entry under the person", a.entries)
			}
			if c.status != 200 && len(a.entries) != 0 {
				t.Fatalf("a %d answer was audited: %+v", c.status, a.entries)
			}
		})
	}
}

// TestPersonnelBulkRoute: one item per number, in order, each with its own
// status; the batch fails only as a whole request (size, body, atTime).
func TestPersonnelBulkRoute(t *testing.T) {
	s, a := newPersonnelServer(t, time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC))
	ctx := request("POST", "/v1/personnel/bulk", []byte(`{"hprNumbers":[1000017,"1000017",1000018,"01",-1,1.5,null,true,"x",2147483648]}`))
	s.Handle(ctx)
	if ctx.Response.StatusCode() != 200 {
		t.Fatalf("%d %s", ctx.Response.StatusCode(), ctx.Response.Body())
	}
	var r struct {
		Items []struct {
			Index     int             `json:"index"`
			HPRNumber int             `json:"hprNumber"`
			Status    int             `json:"status"`
			Code      string          `json:"code"`
			Rule      string          `json:"rule"`
			Personnel json.RawMessage `json:"personnel"`
		} `json:"items"`
	}
	if err := json.Unmarshal(ctx.Response.Body(), &r); err != nil {
		t.Fatalf("%v: %s", err, ctx.Response.Body())
	}
	want := []string{"200 1000017", "200 1000017", "404 1000018 not_found", "400 0 invalid_identifier leading-zero",
		"400 0 invalid_identifier non-digit", "400 0 invalid_identifier non-digit", "400 0 invalid_identifier non-digit",
		"400 0 invalid_identifier non-digit", "400 0 invalid_identifier non-digit", "400 0 invalid_identifier range"}
	if len(r.Items) != len(want) {
		t.Fatalf("%d items, want %d: %s", len(r.Items), len(want), ctx.Response.Body())
	}
	for i, it := range r.Items {
		got := strings.TrimSpace(strings.Join([]string{itoa(it.Status), itoa(it.HPRNumber), it.Code, it.Rule}, " "))
		if it.Index != i || got != want[i] {
			t.Errorf("item %d: index %d, %q, want %q", i, it.Index, got, want[i])
		}
		if it.Status == 200 && !bytes.Equal(it.Personnel, hprRecord) {
			t.Errorf("item %d: %s, want the stored record", i, it.Personnel)
		}
	}
	if len(a.entries) != 1 || a.entries[0].Route != "personnel-bulk" || len(a.entries[0].Subjects) != 2 || string(a.entries[0].Subjects[0]) != testNIN {
		t.Errorf("audit %+v, want one personnel-bulk entry naming the person twice", a.entries)
	}

	// As of an instant: the record as GET /v1/personnel/{hpr}?atTime= answers it.
	ctx = request("POST", "/v1/personnel/bulk?atTime=2021-01-01", []byte(`{"hprNumbers":[1000017]}`))
	s.Handle(ctx)
	if !bytes.Contains(ctx.Response.Body(), []byte(`"approvals":[],"atTime":"2021-01-01T00:00:00Z"`)) {
		t.Errorf("atTime: %s", ctx.Response.Body())
	}

	for _, c := range []struct {
		name, uri, body string
		status          int
		want            string
	}{
		{"too many", "/v1/personnel/bulk", `{"hprNumbers":[` + strings.Repeat(`1000017,`, 1000) + `1000017]}`, 400, `"code":"too_many_items"`},
		{"exactly 1000", "/v1/personnel/bulk", `{"hprNumbers":[` + strings.Repeat(`1000017,`, 999) + `1000017]}`, 200, `"index":999,`},
		{"empty", "/v1/personnel/bulk", `{"hprNumbers":[]}`, 200, `{"items":[]}`},
		{"missing field", "/v1/personnel/bulk", `{}`, 400, `missing field`},
		{"not an array", "/v1/personnel/bulk", `{"hprNumbers":1000017}`, 400, `"code":"invalid_body"`},
		{"unknown field", "/v1/personnel/bulk", `{"hprNumbers":[],"nins":[]}`, 400, `"code":"invalid_body"`},
		{"bad atTime", "/v1/personnel/bulk?atTime=soon", `{"hprNumbers":[1000017]}`, 400, `"field":"atTime"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := request("POST", c.uri, []byte(c.body))
			s.Handle(ctx)
			if ctx.Response.StatusCode() != c.status || !bytes.Contains(ctx.Response.Body(), []byte(c.want)) {
				t.Fatalf("%d %.300s, want %d and %s", ctx.Response.StatusCode(), ctx.Response.Body(), c.status, c.want)
			}
		})
	}
	ctx = request("POST", "/v1/personnel/bulk", nil)
	ctx.Request.Header.SetContentType("text/plain")
	ctx.Request.SetBody([]byte(`{"hprNumbers":[]}`))
	s.Handle(ctx)
	if ctx.Response.StatusCode() != 415 {
		t.Errorf("text/plain: %d", ctx.Response.StatusCode())
	}
}
