package registry

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"
)

// testPKI is a root, an issuing CA under it, and a foreign root.
type testPKI struct {
	root, issuer, foreign *x509.Certificate
	rootKey, issuerKey    ed25519.PrivateKey
	foreignKey            ed25519.PrivateKey
}

func testKey(label string) ed25519.PrivateKey {
	h := sha256.Sum256([]byte(label))
	return ed25519.NewKeyFromSeed(h[:])
}

func mustCert(t testing.TB, tmpl, parent *x509.Certificate, pub any, key ed25519.PrivateKey) *x509.Certificate {
	t.Helper()
	der, err := x509.CreateCertificate(nil, tmpl, parent, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newTestPKI(t testing.TB) *testPKI {
	p := &testPKI{rootKey: testKey("root"), issuerKey: testKey("issuer"), foreignKey: testKey("foreign")}
	ca := func(serial int64, cn string) *x509.Certificate {
		return &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC),
			KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, BasicConstraintsValid: true, IsCA: true}
	}
	rt := ca(1, "Test Root")
	p.root = mustCert(t, rt, rt, p.rootKey.Public(), p.rootKey)
	p.issuer = mustCert(t, ca(2, "Test Issuing CA"), p.root, p.issuerKey.Public(), p.rootKey)
	ft := ca(3, "Foreign Root")
	p.foreign = mustCert(t, ft, ft, p.foreignKey.Public(), p.foreignKey)
	return p
}

var noon = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func (p *testPKI) leaf(t testing.TB, serial int64, ku x509.KeyUsage, from, to time.Time, foreign bool) *x509.Certificate {
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial),
		Subject:   pkix.Name{CommonName: "LEGEKONTORET AS", SerialNumber: "974600951", OrganizationalUnit: []string{"HER-id:80001"}},
		NotBefore: from, NotAfter: to, KeyUsage: ku}
	parent, key := p.issuer, p.issuerKey
	if foreign {
		parent, key = p.foreign, p.foreignKey
	}
	return mustCert(t, tmpl, parent, testKey("leaf").Public(), key)
}

func (p *testPKI) crl(t testing.TB, entries ...x509.RevocationListEntry) *x509.RevocationList {
	t.Helper()
	der, err := x509.CreateRevocationList(nil, &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: noon.Add(-time.Hour),
		NextUpdate: noon.Add(24 * time.Hour), RevokedCertificateEntries: entries}, p.issuer, p.issuerKey)
	if err != nil {
		t.Fatal(err)
	}
	l, err := x509.ParseRevocationList(der)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

const encKU = x509.KeyUsageKeyEncipherment | x509.KeyUsageDataEncipherment
const sigKU = x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment

// TestCertEvaluate covers every status with an injected instant: the
// certificate's evaluation happens once (as at load), the status is asked
// at several instants around the changes.
func TestCertEvaluate(t *testing.T) {
	p := newTestPKI(t)
	year := 365 * 24 * time.Hour
	revokedAt := noon.Add(-2 * time.Hour)
	trust, err := NewTrust([]*x509.Certificate{p.root, p.issuer}, []*x509.RevocationList{
		p.crl(t, x509.RevocationListEntry{SerialNumber: big.NewInt(104), RevocationTime: revokedAt, ReasonCode: 1}),
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		cert    *x509.Certificate
		usage   CertUsage
		at      time.Time
		want    CertStatus
		usageOK bool
	}{
		{"valid", p.leaf(t, 101, encKU, noon.Add(-year), noon.Add(year), false), CertEncryption, noon, CertValid, true},
		{"valid at notAfter exactly", p.leaf(t, 102, sigKU, noon.Add(-year), noon, false), CertSignature, noon, CertValid, true},
		{"expired one second after notAfter", p.leaf(t, 102, sigKU, noon.Add(-year), noon, false), CertSignature, noon.Add(time.Second), CertExpired, true},
		{"valid at notBefore exactly", p.leaf(t, 103, encKU, noon, noon.Add(year), false), CertEncryption, noon, CertValid, true},
		{"not yet valid one second before", p.leaf(t, 103, encKU, noon, noon.Add(year), false), CertEncryption, noon.Add(-time.Second), CertNotYetValid, true},
		{"revoked from the revocation time", p.leaf(t, 104, encKU, noon.Add(-year), noon.Add(year), false), CertEncryption, revokedAt, CertRevoked, true},
		{"valid before the revocation time", p.leaf(t, 104, encKU, noon.Add(-year), noon.Add(year), false), CertEncryption, revokedAt.Add(-time.Second), CertValid, true},
		{"revoked stays revoked after expiry", p.leaf(t, 104, encKU, noon.Add(-year), noon.Add(year), false), CertEncryption, noon.Add(2 * year), CertRevoked, true},
		{"untrusted: foreign issuer", p.leaf(t, 105, encKU, noon.Add(-year), noon.Add(year), true), CertEncryption, noon, CertUntrusted, true},
		{"usage mismatch: signing cert in the encryption slot", p.leaf(t, 106, sigKU, noon.Add(-year), noon.Add(year), false), CertEncryption, noon, CertValid, false},
		{"usage mismatch: encryption cert in the signature slot", p.leaf(t, 107, encKU, noon.Add(-year), noon.Add(year), false), CertSignature, noon, CertValid, false},
		{"expired and untrusted is untrusted", p.leaf(t, 108, encKU, noon.Add(-2*year), noon.Add(-year), true), CertEncryption, noon, CertUntrusted, true},
		{"issued while the CA was not yet valid: untrusted", p.leaf(t, 109, encKU, time.Date(2009, 6, 1, 0, 0, 0, 0, time.UTC), noon, false), CertEncryption, noon, CertUntrusted, true},
		{"issued after the CA expired: untrusted", p.leaf(t, 110, encKU, time.Date(2041, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2042, 1, 1, 0, 0, 0, 0, time.UTC), false), CertEncryption, time.Date(2041, 6, 1, 0, 0, 0, 0, time.UTC), CertUntrusted, true},
	}
	// A certificate that names the issuing CA but is signed by another key.
	fake := mustCert(t, &x509.Certificate{SerialNumber: big.NewInt(2), Subject: p.issuer.Subject, NotBefore: p.issuer.NotBefore,
		NotAfter: p.issuer.NotAfter, KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true}, p.foreign, p.foreignKey.Public(), p.foreignKey)
	forged := mustCert(t, &x509.Certificate{SerialNumber: big.NewInt(111), Subject: pkix.Name{CommonName: "FORGED"},
		NotBefore: noon.Add(-year), NotAfter: noon.Add(year), KeyUsage: encKU}, fake, testKey("leaf").Public(), p.foreignKey)
	tests = append(tests, struct {
		name    string
		cert    *x509.Certificate
		usage   CertUsage
		at      time.Time
		want    CertStatus
		usageOK bool
	}{"forged: the issuer's name, another key", forged, CertEncryption, noon, CertUntrusted, true})
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(p.root)
	inter.AddCert(p.issuer)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := trust.Evaluate(tt.cert, tt.usage)
			// The fast path agrees with x509's full path validation.
			_, err := tt.cert.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: tt.cert.NotBefore,
				KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
			if ev.Times.Trusted != (err == nil) {
				t.Errorf("trusted %v, x509.Verify says %v", ev.Times.Trusted, err)
			}
			if got := ev.Times.StatusAt(tt.at.Unix()); got != tt.want {
				t.Errorf("status at %s = %s, want %s", tt.at.Format(time.RFC3339), got, tt.want)
			}
			if ev.UsageMatches != tt.usageOK {
				t.Errorf("usage matches = %v, want %v", ev.UsageMatches, tt.usageOK)
			}
			if (ev.Untrusted == "") != (tt.want != CertUntrusted) {
				t.Errorf("untrusted reason %q for status %s", ev.Untrusted, tt.want)
			}
			if tt.want != CertUntrusted && (len(ev.Chain) != 2 || ev.Chain[0] != p.issuer || ev.Chain[1] != p.root) {
				t.Errorf("chain = %v, want issuer, root", ev.Chain)
			}
		})
	}
	ev := trust.Evaluate(tests[5].cert, CertEncryption)
	if ev.Revocation == nil || !ev.Revocation.Time.Equal(revokedAt) || ev.Revocation.Reason != "keyCompromise" {
		t.Errorf("revocation = %+v, want keyCompromise at %s", ev.Revocation, revokedAt)
	}
}

func TestNewTrustRefusesForeignCRLAndNoAnchor(t *testing.T) {
	p := newTestPKI(t)
	der, err := x509.CreateRevocationList(nil, &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: noon,
		NextUpdate: noon.Add(time.Hour)}, p.foreign, p.foreignKey)
	if err != nil {
		t.Fatal(err)
	}
	foreignCRL, _ := x509.ParseRevocationList(der)
	if _, err := NewTrust([]*x509.Certificate{p.root, p.issuer}, []*x509.RevocationList{foreignCRL}); err != ErrCRLSignature {
		t.Errorf("foreign CRL: err = %v, want ErrCRLSignature", err)
	}
	if _, err := NewTrust([]*x509.Certificate{p.issuer}, nil); err != ErrNoTrustAnchor {
		t.Errorf("no root: err = %v, want ErrNoTrustAnchor", err)
	}
}

func TestCertSetRoundTrip(t *testing.T) {
	entries := []CertEntry{
		{Usage: CertEncryption, Times: CertTimes{NotBefore: 100, NotAfter: 200, Trusted: true}, Body: []byte(`{"a":1}`)},
		{Usage: CertSignature, Times: CertTimes{NotBefore: 100, NotAfter: 300, RevokedAt: 150, Trusted: true}, Body: []byte(`{"b":2}`)},
	}
	own := AppendCertSet(nil, 0, 0, entries)
	// A service with its own encryption certificate inherits the signing one.
	child := AppendCertSet(nil, 80001, CertMaskSignature, []CertEntry{
		{Usage: CertEncryption, Times: CertTimes{NotBefore: 100, NotAfter: 400, Trusted: true}, Body: []byte(`{"c":3}`)}})
	render := func(v []byte, u CertUsage, now int64) (string, error) {
		first := true
		out, owner, mask, err := AppendCertEntries([]byte("["), v, u, 0xff, now, false, &first)
		if err == nil && owner != 0 {
			out, _, _, err = AppendCertEntries(out, own, u, mask, now, true, &first)
		}
		return string(out) + "]", err
	}
	for _, tt := range []struct {
		v    []byte
		u    CertUsage
		now  int64
		want string
	}{
		{own, 0, 120, `[{"usage":"encryption","status":"valid","inherited":false,"a":1},{"usage":"signature","status":"valid","inherited":false,"b":2}]`},
		{own, 0, 201, `[{"usage":"encryption","status":"expired","inherited":false,"a":1},{"usage":"signature","status":"revoked","inherited":false,"b":2}]`},
		{own, CertSignature, 99, `[{"usage":"signature","status":"notYetValid","inherited":false,"b":2}]`},
		{child, 0, 201, `[{"usage":"encryption","status":"valid","inherited":false,"c":3},{"usage":"signature","status":"revoked","inherited":true,"b":2}]`},
		{child, CertEncryption, 201, `[{"usage":"encryption","status":"valid","inherited":false,"c":3}]`},
		{child, CertSignature, 120, `[{"usage":"signature","status":"valid","inherited":true,"b":2}]`},
	} {
		got, err := render(tt.v, tt.u, tt.now)
		if err != nil || got != tt.want {
			t.Errorf("render(%c, %d) = %s, %v; want %s", tt.u, tt.now, got, err, tt.want)
		}
	}
	for n := range len(own) {
		if _, err := render(own[:n], 0, 0); err == nil {
			t.Errorf("truncated at %d: no error", n)
		}
	}
	sv := AppendCertSearchValue(nil, []byte("legekontoret as"), &entries[0])
	norm, e, err := DecodeCertSearchValue(sv)
	if err != nil || string(norm) != "legekontoret as" || string(e.Body) != `{"a":1}` {
		t.Errorf("search value: %q %s %v", norm, e.Body, err)
	}
}

func TestNormaliseCertField(t *testing.T) {
	for in, want := range map[string]string{"  LEGEVAKT   Bergen ": "legevakt bergen", "ØSTRE TOTEN": "østre toten", "": ""} {
		if got := string(NormaliseCertField(nil, in)); got != want {
			t.Errorf("%q → %q, want %q", in, got, want)
		}
	}
	if got := string(CertSearchPrefix(nil, CertFieldCN, []byte("a very long common name here"))); got != "qna very long comm" {
		t.Error("prefix not truncated to CertSearchKeyLen")
	}
}

func BenchmarkCertStatusAt(b *testing.B) {
	ts := CertTimes{NotBefore: 1_700_000_000, NotAfter: 1_800_000_000, RevokedAt: 1_750_000_000, Trusted: true}
	now := int64(1_720_000_000)
	var s CertStatus
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s += ts.StatusAt(now + int64(i&1023))
	}
	_ = s
}

func BenchmarkCertEvaluate(b *testing.B) {
	p := newTestPKI(b)
	trust, err := NewTrust([]*x509.Certificate{p.root, p.issuer}, []*x509.RevocationList{p.crl(b)})
	if err != nil {
		b.Fatal(err)
	}
	c := p.leaf(b, 101, encKU, noon.Add(-time.Hour), noon.Add(time.Hour), false)
	b.ReportAllocs()
	for b.Loop() {
		trust.Evaluate(c, CertEncryption)
	}
}

func BenchmarkCertCheckSignature(b *testing.B) {
	p := newTestPKI(b)
	c := p.leaf(b, 101, encKU, noon.Add(-time.Hour), noon.Add(time.Hour), false)
	b.ReportAllocs()
	for b.Loop() {
		if err := c.CheckSignatureFrom(p.issuer); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzCertSet: decoding a stored certificate value never panics and never
// reads outside it, whatever the bytes.
func FuzzCertSet(f *testing.F) {
	e := CertEntry{Usage: CertEncryption, Times: CertTimes{NotBefore: 1, NotAfter: 2, Trusted: true}, Body: []byte(`{"a":1}`)}
	f.Add(AppendCertSet(nil, 0, 0, []CertEntry{e, e}))
	f.Add(AppendCertSet(nil, 80001, CertMaskSignature, []CertEntry{e}))
	f.Add(AppendCertSearchValue(nil, []byte("legevakt"), &e))
	f.Fuzz(func(t *testing.T, v []byte) {
		first := true
		out, _, _, err := AppendCertEntries(nil, v, 0, 0xff, 1, false, &first)
		if err == nil && len(out) > 0 && out[0] != '{' {
			t.Fatalf("entry does not start an object: %q", out)
		}
		DecodeCertSearchValue(v)
	})
}
