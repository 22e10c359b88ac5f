// Package certs parses Adresseregisteret certificates in grunndata's source
// format (docs/formats.md): the CA certificates (PEM), the CAs' revocation
// lists (DER or PEM), and the certificate index, one JSON line per
// certificate a communication party has registered, current or replaced,
// with the certificate as base64 DER. It is pure: io.Reader in, records out.
package certs

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"time"

	json "github.com/goccy/go-json"

	"github.com/grunndata/grunndata/loader/jsonl"
	"github.com/grunndata/grunndata/registry"
)

// Record is one line of the certificate index.
type Record struct {
	Line  int
	HerID int64
	Usage registry.CertUsage
	// UsageName is the usage as given (for reject reports).
	UsageName  string
	Registered time.Time
	// ReplacedAt is zero for the party's current certificate of the slot.
	ReplacedAt time.Time
	LdapURL    string
	// DER is the certificate as given; Cert is nil when it does not parse
	// (CertErr says why).
	DER     []byte
	Cert    *x509.Certificate
	CertErr error
	// Missing names a required field that is absent; Err a shape error
	// (unparseable JSON, bad usage or time).
	Missing string
	Err     error
}

type fields struct {
	HerID       *int64  `json:"herId"`
	Usage       *string `json:"usage"`
	Registered  *string `json:"registered"`
	ReplacedAt  *string `json:"replacedAt"`
	LdapURL     string  `json:"ldapUrl"`
	Certificate *string `json:"certificate"`
}

// Shape errors of the index.
var (
	ErrUsage = errors.New(`usage is not "encryption" or "signature"`)
	ErrTime  = errors.New("time is not RFC 3339")
	ErrDER   = errors.New("certificate is not base64")
)

// ReadIndex calls fn for each line of the certificate index. The record is
// valid only during the call.
func ReadIndex(r io.Reader, fn func(rec *Record) error) error {
	return jsonl.Lines(r, func(line int, b []byte) error {
		rec := Record{Line: line}
		parseLine(b, &rec)
		return fn(&rec)
	})
}

func parseLine(b []byte, rec *Record) {
	var f fields
	if err := json.Unmarshal(b, &f); err != nil {
		rec.Err = err
		return
	}
	switch {
	case f.HerID == nil:
		rec.Missing = "herId"
		return
	case f.Usage == nil:
		rec.Missing = "usage"
		return
	case f.Registered == nil:
		rec.Missing = "registered"
		return
	case f.Certificate == nil:
		rec.Missing = "certificate"
		return
	}
	rec.HerID, rec.UsageName, rec.LdapURL = *f.HerID, *f.Usage, f.LdapURL
	u, ok := registry.ParseCertUsage([]byte(*f.Usage))
	if !ok {
		rec.Err = ErrUsage
		return
	}
	rec.Usage = u
	var err error
	if rec.Registered, err = time.Parse(time.RFC3339, *f.Registered); err != nil {
		rec.Err = fmt.Errorf("registered: %w", ErrTime)
		return
	}
	if f.ReplacedAt != nil {
		if rec.ReplacedAt, err = time.Parse(time.RFC3339, *f.ReplacedAt); err != nil {
			rec.Err = fmt.Errorf("replacedAt: %w", ErrTime)
			return
		}
	}
	rec.DER, err = base64.StdEncoding.DecodeString(*f.Certificate)
	if err != nil || len(rec.DER) == 0 {
		rec.Err = ErrDER
		return
	}
	rec.Cert, rec.CertErr = x509.ParseCertificate(rec.DER)
}

// ReadCAs parses the CERTIFICATE blocks of a PEM file. Other block types are
// an error: a private key in the trust list is a mistake worth stopping for.
func ReadCAs(r io.Reader) ([]*x509.Certificate, error) {
	b, err := io.ReadAll(io.LimitReader(r, 16<<20))
	if err != nil {
		return nil, err
	}
	var out []*x509.Certificate
	for n := 1; ; n++ {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("PEM block %d is %q, not CERTIFICATE", n, blk.Type)
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("PEM block %d: %w", n, err)
		}
		if !c.IsCA {
			return nil, fmt.Errorf("PEM block %d (%s) is not a CA certificate", n, c.Subject)
		}
		out = append(out, c)
	}
	if len(bytes.TrimSpace(b)) > 0 {
		return nil, fmt.Errorf("trailing bytes after the last PEM block")
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no CERTIFICATE block")
	}
	return out, nil
}

// ReadCRL parses a revocation list, DER or PEM ("X509 CRL").
func ReadCRL(r io.Reader) (*x509.RevocationList, error) {
	b, err := io.ReadAll(io.LimitReader(r, 256<<20))
	if err != nil {
		return nil, err
	}
	if blk, _ := pem.Decode(b); blk != nil {
		if blk.Type != "X509 CRL" {
			return nil, fmt.Errorf("PEM block is %q, not X509 CRL", blk.Type)
		}
		b = blk.Bytes
	}
	return x509.ParseRevocationList(b)
}
