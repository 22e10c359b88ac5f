package certs

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/grunndata/grunndata/registry"
)

// The testdata files are (the first lines of) `grunndata gen --preset small
// --seed 1` (certs/).

func TestReadIndex(t *testing.T) {
	f, err := os.Open("testdata/index.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []Record
	if err := ReadIndex(f, func(r *Record) error { got = append(got, *r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("%d records, want 3", len(got))
	}
	for _, r := range got {
		if r.Err != nil || r.Missing != "" || r.CertErr != nil || r.Cert == nil {
			t.Fatalf("line %d: err %v missing %q cert err %v", r.Line, r.Err, r.Missing, r.CertErr)
		}
		if r.HerID != 80001 || r.Cert.Subject.SerialNumber != "996072444" || r.LdapURL == "" {
			t.Errorf("line %d: her %d subject %s", r.Line, r.HerID, r.Cert.Subject)
		}
	}
	if got[0].Usage != registry.CertEncryption || got[0].ReplacedAt.IsZero() || !got[1].ReplacedAt.IsZero() {
		t.Errorf("line 1 is the replaced encryption certificate, line 2 the current one: %+v %+v", got[0].ReplacedAt, got[1].ReplacedAt)
	}
}

func TestReadIndexBadLines(t *testing.T) {
	good, err := os.ReadFile("testdata/index.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	first := string(bytes.SplitN(good, []byte("\n"), 2)[0])
	tests := []struct {
		name, line, missing string
		err                 error
		certErr             bool
	}{
		{"not json", `{"herId":`, "", errAny, false},
		{"no herId", `{"usage":"encryption","registered":"2024-01-01T00:00:00Z","certificate":"AA=="}`, "herId", nil, false},
		{"no usage", `{"herId":1,"registered":"2024-01-01T00:00:00Z","certificate":"AA=="}`, "usage", nil, false},
		{"no certificate", `{"herId":1,"usage":"signature","registered":"2024-01-01T00:00:00Z"}`, "certificate", nil, false},
		{"bad usage", strings.Replace(first, `"encryption"`, `"auth"`, 1), "", ErrUsage, false},
		{"bad time", strings.Replace(first, `"registered":"20`, `"registered":"x20`, 1), "", ErrTime, false},
		{"not base64", `{"herId":1,"usage":"signature","registered":"2024-01-01T00:00:00Z","certificate":"***"}`, "", ErrDER, false},
		{"not a certificate", `{"herId":1,"usage":"signature","registered":"2024-01-01T00:00:00Z","certificate":"AAEC"}`, "", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			err := ReadIndex(strings.NewReader(tt.line+"\n"), func(r *Record) error {
				n++
				if r.Missing != tt.missing {
					t.Errorf("missing = %q, want %q", r.Missing, tt.missing)
				}
				switch {
				case tt.err == errAny && r.Err == nil:
					t.Error("no error")
				case tt.err != nil && tt.err != errAny && !errors.Is(r.Err, tt.err):
					t.Errorf("err = %v, want %v", r.Err, tt.err)
				case tt.err == nil && r.Err != nil:
					t.Errorf("err = %v", r.Err)
				}
				if tt.certErr != (r.CertErr != nil) {
					t.Errorf("cert err = %v", r.CertErr)
				}
				return nil
			})
			if err != nil || n != 1 {
				t.Fatalf("ReadIndex: %v, %d records", err, n)
			}
		})
	}
}

var errAny = errors.New("any error")

func TestReadCAsAndCRL(t *testing.T) {
	f, err := os.Open("testdata/ca.pem")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cas, err := ReadCAs(f)
	if err != nil || len(cas) != 2 {
		t.Fatalf("ReadCAs: %d, %v", len(cas), err)
	}
	cf, err := os.Open("testdata/issuing-ca.crl")
	if err != nil {
		t.Fatal(err)
	}
	defer cf.Close()
	crl, err := ReadCRL(cf)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := registry.NewTrust(cas, nil); err != nil {
		t.Fatal(err)
	}
	if len(crl.RevokedCertificateEntries) == 0 {
		t.Error("CRL lists nothing")
	}
	if _, err := ReadCAs(strings.NewReader("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")); err == nil {
		t.Error("a private key in the CA file is accepted")
	}
	if _, err := ReadCAs(strings.NewReader("")); err == nil {
		t.Error("an empty CA file is accepted")
	}
	if _, err := ReadCRL(strings.NewReader("garbage")); err == nil {
		t.Error("a garbage CRL is accepted")
	}
}

// FuzzReadIndex: any input yields records or a structural error, never a
// panic, and a record either has an error or a usage and a certificate.
func FuzzReadIndex(f *testing.F) {
	good, err := os.ReadFile("testdata/index.jsonl")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"herId":1,"usage":"signature","registered":"2024-01-01T00:00:00Z","replacedAt":null,"certificate":"AAEC"}`))
	f.Add([]byte(`{"herId":1e99,"usage":7}` + "\n\n{}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = ReadIndex(bytes.NewReader(b), func(r *Record) error {
			if r.Err == nil && r.Missing == "" {
				if r.Usage != registry.CertEncryption && r.Usage != registry.CertSignature {
					t.Fatalf("line %d: usage %q accepted", r.Line, r.Usage)
				}
				if len(r.DER) == 0 || (r.Cert == nil) == (r.CertErr == nil) {
					t.Fatalf("line %d: certificate state inconsistent", r.Line)
				}
			}
			return nil
		})
	})
}
