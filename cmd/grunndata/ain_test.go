package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/grunndata/grunndata/loader/loadertest"
	"github.com/grunndata/grunndata/registry"
)

func TestAINAllocateLookupRestart(t *testing.T) {
	data, _ := loadertest.Snapshot(t)
	start := func() *Main {
		cfg := DefaultServeConfig()
		cfg.DataDir, cfg.Addr, cfg.AdminAddr = data, "127.0.0.1:0", "127.0.0.1:0"
		cfg.Security = DefaultSecurityConfig()
		cfg.Security.AuthOff = true
		m := &Main{Config: cfg}
		if err := m.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		return m
	}
	m := start()
	api := "http://" + m.APIAddr()
	r := do(t, "POST", api+"/v1/ain", "application/json", `{"givenName":"Ukjent","familyName":"Kvinne","birthYear":1980,"gender":"kvinne","notes":"funnet ved Jernbanetorget"}`)
	if r.status != 201 {
		t.Fatalf("allocate: %d %s", r.status, r.body)
	}
	var got struct {
		NIN            string `json:"nin"`
		IdentifierType string `json:"identifierType"`
	}
	json.Unmarshal(r.body, &got)
	if _, info, err := registry.ParseNIN([]byte(got.NIN)); err != nil || info.Kind != registry.NINAin || got.IdentifierType != "ain" {
		t.Fatalf("allocated %q: %v %v", got.NIN, info.Kind, err)
	}
	lookup := func(m *Main) response {
		return do(t, "POST", "http://"+m.APIAddr()+"/v1/persons/lookup", "application/json", `{"nin":"`+got.NIN+`"}`)
	}
	if r := lookup(m); r.status != 200 || !bytes.Contains(r.body, []byte("Jernbanetorget")) {
		t.Fatalf("lookup of a new AIN: %d %s", r.status, r.body)
	}
	for _, bad := range []string{`{"gender":"x"}`, `{"birthDate":"1980-13-01"}`, `{"birthYear":1700}`, `{"ssn":"1"}`, `[1]`} {
		if r := do(t, "POST", api+"/v1/ain", "application/json", bad); r.status != 400 {
			t.Fatalf("%s: %d", bad, r.status)
		}
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	// After a restart and a reload of the snapshot the AIN is still there.
	loadertest.Load(t, loadertest.Dataset(t), data)
	m = start()
	r = lookup(m)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if r.status != 200 {
		t.Fatalf("AIN lost across restart and reload: %d", r.status)
	}
	var out bytes.Buffer
	if code := run(context.Background(), []string{"ain", "verify", "--data", data}, &out, io.Discard); code != 0 || !strings.Contains(out.String(), "1 AINs") {
		t.Fatalf("ain verify: %d %s", code, out.String())
	}
	out.Reset()
	run(context.Background(), []string{"audit", "who-looked-up", "--data", data, "--nin", got.NIN}, &out, io.Discard)
	if !strings.Contains(out.String(), "route=ain") || !strings.Contains(out.String(), "route=person-lookup") {
		t.Fatalf("AIN allocation and lookup not audited:\n%s", out.String())
	}
}
