//go:build !race

package server

import (
	"strings"
	"testing"
	"time"

	"github.com/grunndata/grunndata/registry"
)

// TestCertificateLookupAllocatesNothing: a certificate lookup that hits the
// cache — own certificates, inherited ones (two cache reads), one usage, by
// orgnr — evaluates every status at the request's instant and allocates
// nothing.
func TestCertificateLookupAllocatesNothing(t *testing.T) {
	s, _ := newCertServer(t, func() time.Time { return certNoon })
	for _, uri := range []string{
		"/v1/communication-parties/80001/certificates",
		"/v1/communication-parties/80002/certificates",
		"/v1/communication-parties/80003/certificates?usage=signature",
		"/v1/communication-parties/80001/certificates/history",
		"/v1/organisations/974600951/certificates",
		"/v1/communication-parties/80004/certificates",
	} {
		ctx := request("GET", uri, nil)
		s.Handle(ctx)
		s.cache.Wait()
		if ctx.Response.StatusCode() != 200 || !strings.Contains(string(ctx.Response.Body()), `"certificates":[`) {
			t.Fatalf("%s: %d %s", uri, ctx.Response.StatusCode(), ctx.Response.Body())
		}
		allocs := testing.AllocsPerRun(1000, func() {
			ctx.Response.Reset()
			s.Handle(ctx)
		})
		if allocs != 0 || ctx.Response.StatusCode() != 200 {
			t.Errorf("%s: %v allocations per request (status %d), want 0", uri, allocs, ctx.Response.StatusCode())
		}
	}
}

// realisticCerts replaces the fixture's bodies by ones of the size the
// loader stores (DER base64, PEM and a two-certificate chain: ≈ 3.5 kB).
func realisticCerts(st *scanStore) {
	pad := `,"certificate":"` + strings.Repeat("A", 1100) + `","pem":"` + strings.Repeat("B", 1150) + `","chain":[{"certificate":"` +
		strings.Repeat("C", 650) + `"},{"certificate":"` + strings.Repeat("D", 620) + `"}]}`
	year := 365 * 24 * time.Hour
	enc := certEntry(registry.CertEncryption, certNoon.Add(-year), certNoon.Add(year), time.Time{}, `{"ownerHerId":80001,"serialNumber":"0A"`+pad)
	sig := certEntry(registry.CertSignature, certNoon.Add(-year), certNoon.Add(year), time.Time{}, `{"ownerHerId":80001,"serialNumber":"0B"`+pad)
	k := registry.SerialKey(registry.RegCertificates, 80001)
	st.data[string(k.Bytes())] = registry.AppendCertSet(nil, 0, 0, []registry.CertEntry{enc, sig})
}

// BenchmarkCertificateLookup: a cache hit of a certificate lookup with
// realistic sizes, own and inherited (the parent's set is a second cache
// hit), at a fixed instant.
func BenchmarkCertificateLookup(b *testing.B) {
	for _, c := range []struct{ name, uri string }{
		{"own", "/v1/communication-parties/80001/certificates"},
		{"inherited", "/v1/communication-parties/80002/certificates"},
		{"own-encryption", "/v1/communication-parties/80001/certificates?usage=encryption"},
	} {
		b.Run(c.name, func(b *testing.B) {
			s, st := newCertServer(b, func() time.Time { return certNoon })
			realisticCerts(st)
			ctx := request("GET", c.uri, nil)
			s.Handle(ctx)
			s.cache.Wait()
			if ctx.Response.StatusCode() != 200 {
				b.Fatalf("%d %s", ctx.Response.StatusCode(), ctx.Response.Body())
			}
			b.SetBytes(int64(len(ctx.Response.Body())))
			b.ReportAllocs()
			for b.Loop() {
				ctx.Response.Reset()
				s.Handle(ctx)
			}
		})
	}
}
