package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/internal/testwait"
	"github.com/grunndata/grunndata/loader/loadertest"
	"github.com/grunndata/grunndata/registry"
)

// MustRunMain starts the whole daemon on 127.0.0.1:0 over dataDir.
func MustRunMain(tb testing.TB, dataDir string, mod func(*ServeConfig)) *Main {
	tb.Helper()
	cfg := DefaultServeConfig()
	cfg.DataDir, cfg.Addr, cfg.AdminAddr = dataDir, "127.0.0.1:0", "127.0.0.1:0"
	cfg.FollowInterval = 50 * time.Millisecond
	cfg.Index.BlockCacheBytes = 16 << 20
	cfg.Cache.MaxBytes = 16 << 20
	cfg.Security = DefaultSecurityConfig()
	cfg.Security.AuthOff = true
	if mod != nil {
		mod(&cfg)
	}
	m := &Main{Config: cfg}
	if err := m.Run(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := m.Close(); err != nil {
			tb.Errorf("close: %v", err)
		}
	})
	return m
}

// ids are real keys of the small dataset, found by scanning the generation.
type ids struct {
	her, hpr, resh, contract uint64
	orgnr                    string
	arOrgnr                  string // an AR organisation's orgnr (certificates by orgnr)
	gpPatient                string // a person with a GP
	protected                string // a person with addressProtection != ugradert
	hprNIN                   string // an HPR person's fødselsnummer
}

func findIDs(tb testing.TB, m *Main) ids {
	tb.Helper()
	v, err := m.Store().Acquire()
	if err != nil {
		tb.Fatal(err)
	}
	defer v.Release()
	var out ids
	first := func(reg registry.Register, fn func(k, val []byte) bool) {
		if err := v.Scan([]byte{byte(reg)}, nil, fn); err != nil {
			tb.Fatal(err)
		}
	}
	first(registry.RegParty, func(k, _ []byte) bool { out.her = uint64(binary.BigEndian.Uint32(k[1:])); return false })
	first(registry.RegPersonnel, func(k, _ []byte) bool { out.hpr = uint64(binary.BigEndian.Uint32(k[1:])); return false })
	first(registry.RegResh, func(k, _ []byte) bool { out.resh = uint64(binary.BigEndian.Uint32(k[1:])); return false })
	first(registry.RegGPContract, func(k, _ []byte) bool { out.contract = binary.BigEndian.Uint64(k[1:]); return false })
	first(registry.RegOrganisation, func(k, _ []byte) bool { out.orgnr = string(k[1:]); return false })
	first(registry.IdxCertOrgnr, func(k, _ []byte) bool { out.arOrgnr = string(k[1:]); return false })
	first(registry.RegGPPatient, func(k, _ []byte) bool { out.gpPatient = string(k[1:]); return false })
	first(registry.IdxPersonnelByNIN, func(k, _ []byte) bool { out.hprNIN = string(k[1:]); return false })
	first(registry.RegPerson, func(k, val []byte) bool {
		flags, _, _, _ := registry.DecodeValue(val)
		if flags&registry.FlagRestricted != 0 {
			out.protected = string(k[1:])
			return false
		}
		return true
	})
	if out.her == 0 || out.hpr == 0 || out.resh == 0 || out.contract == 0 || out.orgnr == "" || out.arOrgnr == "" || out.gpPatient == "" ||
		out.protected == "" || out.hprNIN == "" {
		tb.Fatalf("dataset lacks an id: %+v", out)
	}
	return out
}

type response struct {
	status int
	ctype  string
	body   []byte
}

func do(tb testing.TB, method, url, ctype, body string) response {
	tb.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	checkContract(tb, res)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{res.StatusCode, res.Header.Get("Content-Type"), b}
}

// unknownNIN is a valid synthetic number (28.12.99, month + 80) that the
// small dataset does not contain.
const unknownNIN = "28929999942"

func u(v uint64) string { return itoa64(int64(v)) }

func itoa64(v int64) string { b, _ := json.Marshal(v); return string(b) }

func TestServeEveryRouteAndError(t *testing.T) {
	data, _ := loadertest.Snapshot(t)
	m := MustRunMain(t, data, nil)
	id := findIDs(t, m)
	api := "http://" + m.APIAddr()
	const js = "application/json"
	nin := func(n string) string { return `{"nin":"` + n + `"}` }
	cases := []struct {
		name, method, path, ctype, body string
		status                          int
		want                            string
	}{
		{"party", "GET", "/v1/communication-parties/" + u(id.her), "", "", 200, `"herId":` + u(id.her)},
		{"organisation", "GET", "/v1/organisations/" + id.orgnr, "", "", 200, `"organisasjonsnummer":"` + id.orgnr + `"`},
		{"resh", "GET", "/v1/resh/" + u(id.resh), "", "", 200, `"reshId":` + u(id.resh)},
		{"personnel", "GET", "/v1/personnel/" + u(id.hpr), "", "", 200, `"hprNumber":` + u(id.hpr)},
		{"gp-contract", "GET", "/v1/gp-contracts/" + u(id.contract), "", "", 200, `"listLength":`},
		{"gp-contract-office", "GET", "/v1/gp-contracts/" + u(id.contract), "", "", 200, `"office":{"herId":`},
		{"gp-contract-doctor-names", "GET", "/v1/gp-contracts/" + u(id.contract), "", "", 200, `"name":{"family":`},
		{"person", "POST", "/v1/persons/lookup", js, nin(id.gpPatient), 200, `"nin":"` + id.gpPatient + `"`},
		{"person-protected", "POST", "/v1/persons/lookup", js, nin(id.protected), 200, `"addressesWithheld":true`},
		{"personnel-by-nin", "POST", "/v1/personnel/lookup", js, nin(id.hprNIN), 200, `"nin":"` + id.hprNIN + `"`},
		{"gp", "POST", "/v1/gp/lookup", js, nin(id.gpPatient), 200, `"gpContractId":`},
		{"head", "HEAD", "/v1/organisations/" + id.orgnr, "", "", 200, ``},
		// Error classes.
		{"unknown-party", "GET", "/v1/communication-parties/2147483647", "", "", 404, `"code":"not_found"`},
		{"unknown-person", "POST", "/v1/persons/lookup", js, nin(unknownNIN), 404, `"code":"not_found"`},
		{"invalid-her", "GET", "/v1/communication-parties/12ab", "", "", 400, `"rule":"non-digit"`},
		{"invalid-orgnr", "GET", "/v1/organisations/12345678", "", "", 400, `"rule":"length"`},
		{"invalid-resh", "GET", "/v1/resh/0", "", "", 400, `"rule":"range"`},
		{"invalid-hpr", "GET", "/v1/personnel/-1", "", "", 400, `"rule":"non-digit"`},
		{"invalid-contract", "GET", "/v1/gp-contracts/", "", "", 400, `"rule":"empty"`},
		{"invalid-nin-date", "POST", "/v1/persons/lookup", js, nin("32810050019"), 400, `"rule":"date"`},
		{"invalid-nin-k1", "POST", "/v1/gp/lookup", js, nin("01810050059"), 400, `"rule":"first-check-digit"`},
		{"method", "DELETE", "/v1/organisations/" + id.orgnr, "", "", 405, `"code":"method_not_allowed"`},
		{"method-post-route", "GET", "/v1/gp/lookup", "", "", 405, `"code":"method_not_allowed"`},
		{"malformed-body", "POST", "/v1/persons/lookup", js, `{"nin":"0181`, 400, `"code":"invalid_body"`},
		{"not-an-object", "POST", "/v1/persons/lookup", js, `["01810050019"]`, 400, `"code":"invalid_body"`},
		{"oversized-body", "POST", "/v1/persons/lookup", js, `{"nin":"` + strings.Repeat("1", 70<<10) + `"}`, 413, `"code":"body_too_large"`},
		{"media-type", "POST", "/v1/persons/lookup", "text/plain", nin(id.gpPatient), 415, `"code":"unsupported_media_type"`},
		{"no-route", "GET", "/v1/nothing", "", "", 404, `"code":"no_route"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := do(t, c.method, api+c.path, c.ctype, c.body)
			if r.status != c.status {
				t.Fatalf("status %d, want %d: %s", r.status, c.status, r.body)
			}
			if !bytes.Contains(r.body, []byte(c.want)) {
				t.Fatalf("body lacks %s: %.300s", c.want, r.body)
			}
			switch {
			case r.status >= 400 && r.ctype != "application/problem+json":
				t.Fatalf("error content type %q", r.ctype)
			case r.status == 200 && r.ctype != "application/json":
				t.Fatalf("content type %q", r.ctype)
			}
			if r.status >= 400 && !json.Valid(r.body) {
				t.Fatalf("problem body is not JSON: %s", r.body)
			}
			if r.status >= 400 && bytes.Contains(r.body, []byte(id.gpPatient)) {
				t.Fatalf("a person number is echoed in an error: %s", r.body)
			}
		})
	}

	admin := "http://" + m.AdminAddr()
	if r := do(t, "GET", admin+"/healthz", "", ""); r.status != 200 {
		t.Fatalf("healthz %d", r.status)
	}
	if r := do(t, "GET", admin+"/readyz", "", ""); r.status != 200 || !bytes.Contains(r.body, []byte(`"generation":"000001"`)) {
		t.Fatalf("readyz %d %s", r.status, r.body)
	}
	r := do(t, "GET", admin+"/metrics", "", "")
	for _, want := range []string{
		`grunndata_http_requests_total{code="200",route="communication-party"} 1`,
		`grunndata_http_requests_total{code="400",route="person-lookup"} 3`,
		`grunndata_http_request_duration_seconds_bucket{route="organisation"`,
		`grunndata_cache_misses_total`, `grunndata_generation_info{generation="000001"} 1`,
		`grunndata_pebble_block_cache_hits_total`, `grunndata_generation_age_seconds`,
	} {
		if !bytes.Contains(r.body, []byte(want)) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestReadyzWithoutGeneration(t *testing.T) {
	m := MustRunMain(t, t.TempDir(), nil)
	if r := do(t, "GET", "http://"+m.AdminAddr()+"/readyz", "", ""); r.status != 503 {
		t.Fatalf("readyz without a generation: %d", r.status)
	}
	r := do(t, "GET", "http://"+m.APIAddr()+"/v1/communication-parties/1", "", "")
	if r.status != 503 || !bytes.Contains(r.body, []byte(`"code":"unavailable"`)) {
		t.Fatalf("lookup without a generation: %d %s", r.status, r.body)
	}
}

// TestFollowsNewGeneration loads a second generation in which one party is
// renamed, while the server runs, and checks the server serves it without a
// restart.
func TestFollowsNewGeneration(t *testing.T) {
	data, src := loadertest.Snapshot(t)
	m := MustRunMain(t, data, nil)
	id := findIDs(t, m)
	url := "http://" + m.APIAddr() + "/v1/communication-parties/" + u(id.her)
	before := do(t, "GET", url, "", "")
	if before.status != 200 {
		t.Fatal(before.status)
	}
	// Rename the first party in the source and load again.
	p := filepath.Join(src, "ar.jsonl.gz")
	lines := strings.SplitN(string(gunzip(t, p)), "\n", 2)
	var first map[string]any
	json.Unmarshal([]byte(lines[0]), &first)
	first["name"] = "Renamed in generation two"
	b, _ := json.Marshal(first)
	gzipTo(t, p, append(append(b, '\n'), lines[1]...))
	loadertest.Load(t, src, data)
	testwait.For(t, testwait.Bound, func() bool {
		r := do(t, "GET", url, "", "")
		if r.status != 200 {
			t.Fatalf("status %d during reload", r.status)
		}
		return bytes.Contains(r.body, []byte("Renamed in generation two"))
	}, func() string { return "the new generation was not picked up" })
	if g := m.Store().Active(); g.ID() != "000002" {
		t.Fatalf("active %s", g.ID())
	}
	if active, _ := index.ReadActive(data); active != "000002" {
		t.Fatalf("ACTIVE = %s", active)
	}
}
