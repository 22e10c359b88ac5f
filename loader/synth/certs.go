package synth

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Certificates: a synthetic PKI in the shapes of the Norwegian
// virksomhetssertifikat CAs (a root and an issuing CA, Buypass-like but
// clearly named as synthetic), and for every communication party with an
// EDI address of its own — every organisation, and the services that have
// their own EDI address — an encryption certificate (keyEncipherment,
// dataEncipherment) and a signing certificate (digitalSignature,
// nonRepudiation). Persons and the other services inherit their
// organisation's certificates, as in Adresseregisteret.
//
// Determinism: since Go 1.26 crypto/rsa and crypto/ecdsa ignore the random
// reader they are given, so neither their keys nor ECDSA signatures can be
// derived from the seed. Ed25519 can: keys come from a 32-byte seed and
// signatures are deterministic. The CAs therefore sign with Ed25519 keys
// derived from the dataset seed, and the certificates carry RSA-2048 public
// keys from a fixed pool of four (generated once, private keys discarded:
// only the certificates matter to a lookup service, and nobody can decrypt
// with or sign as these certificates). Issuing ~50 k certificates at the
// national preset (≈ 57 k certificates) costs an Ed25519 signature and the
// verification x509.CreateCertificate does after it, ≈ 130 µs of CPU each
// (BenchmarkCertificates): ≈ 4 s on two workers.
//
// Shares (per slot, decided by the party's own random stream): 3 % of the
// organisations have no certificates at all; of the current certificates
// 4 % are expired, 2 % not yet valid, 2 % revoked (listed, with a time and
// a reason, in the CRL the issuing CA signs), 0.5 % issued by a CA that is
// not in the trust list, 0.5 % sit in the wrong slot (usage mismatch); 30 %
// replaced an earlier certificate (the history).

// Certificate file names inside the dataset directory (docs/formats.md).
const (
	CertDir       = "certs"
	CertCAFile    = "certs/ca.pem"
	CertCRLFile   = "certs/issuing-ca.crl"
	CertIndexFile = "certs/certificates.jsonl.gz"
)

// Subject distinguished names of the synthetic CAs.
var (
	caRootName   = pkix.Name{Country: []string{"NO"}, Organization: []string{"Grunndata Syntetisk PKI AS (TEST)"}, CommonName: "Grunndata Syntetisk Class 3 Root CA"}
	caIssuerName = pkix.Name{Country: []string{"NO"}, Organization: []string{"Grunndata Syntetisk PKI AS (TEST)"}, CommonName: "Grunndata Syntetisk Class 3 CA 3"}
	caRogueName  = pkix.Name{Country: []string{"NO"}, Organization: []string{"Ikke godkjent utsteder (TEST)"}, CommonName: "Ukjent Syntetisk CA"}
)

const certLDAPBase = "ldap://ldap.pki.grunndata.test/dc=Grunndata,dc=TEST?usercertificate;binary?sub?(certificateSerialNumber="

// certKeyPool are the RSA-2048 public keys the certificates carry.
const certKeyPool = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAxJNZcFRB62ux4IHPXXiP
fcsIdi/6ARZGvaL2qRd80nNdO8qk2sZdgKZftFmOpJkAFfpKZgXJFzcXCdEboyhF
2t0E7PVeAxEScwIg86NWw73wp63Dugf0DMi053Asg69qksGnzRhNwiuH3AjAq45F
HHojlUWi9M1IX4Y4bIdqvboRO9u1/cUiRTKAmdaaITBwDABtyxrmpb0lakfyEPKW
WcGBm+McwdSVIX9KooNZcTkVGGj7QipuDIFQB1xOBiWrVWHp34P1PPseMjBulopG
8+ibyPU03ZGFGgoPbY5ebp4tDcQGfy2Fnj3lspwO3SWbhPJzf56I0ZbWAL9yw2mc
VwIDAQAB
-----END PUBLIC KEY-----
-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA3DutilZ3WyPq+DcW3chR
lzXgnSThyLpyqJq6drmyowTc9sDjBv4iGT9V6u0+hg3uEpN96N5n8MVbKAsmtH/l
D2cJ0kITh3WxyrDc1uzKua21k+yjiDBUSJ1fJNfl7OlRMCEClsqO6pv91A7JtJB9
aRAxOyO2txIj+POtoSW9wzbWvDDwHIkX7ilGUwyjl3kfZVdFQ9n/FYtSNE38GbFV
vtjD09L3B7epi3QFiFSALAeLfQYgvUH/iQzIjQJ/2vsfdmxYupdzkVLyWvC6uNB/
ppLxXy28cChAGrCKyIuoa8W+3ZqIcTQ3AaeI9c0d8vvl29V3ISNaZCpdPLpZaj12
7wIDAQAB
-----END PUBLIC KEY-----
-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA2kG8ZhXNk9F2vBskg8XX
5cWn0+6d2DiHPvosto7599gqvnTwJTL1BUIrE/Sm1hIhUzfgrx2R9eS3s6hELLtp
ELt/U7qWx6WAp5MgmjDVe7bLN+Na3bvikHIOpbTLXuhATH+LycP5DMj/kbuWyv6N
OtQoe30WNjEjfu9Buq1vq7Seul5yHqY1ZwqLi1jtKkZgYa7Mz1OiOb9CIiFm5dSo
U7VBHo1SyeT+G/L4ThB/ggHV+1j2/LSya6ImKAE+FlXYISAKdWiQEduBwkM+p87z
Auz8QKp2Y1meEfuW13XJo9oRWu7Yz9X4yHqSgI0L9L7spQwXK/MdqcpUjMs27OrI
3QIDAQAB
-----END PUBLIC KEY-----
-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA0tmLbx0bwu/nBEGYlYhq
Is9shc0hf6zJstAUWPw5uk5GiVYaay0/PiziV9omyqFox8g5/5exUrxxdCODOuC4
zF9/2mPrzq4oqlQt6qTXlA7jXpB9dqdUasw4wmUHAe/mipWUFOxesf14MJ2PG+yT
g+sfwKmJm7u2SzZ35EXYUMTvG16PTcyXAviahxmsi9Hwz9GznDk5japoFZeB64c/
Q4g8nQZt77QjFNGunrEi+ypAVajAT3QnM9ALYcisLvy1fmcP3v8zi8UZ4zbKXYxm
JBteYeP9DUDlFVfkRHxlvy9OzwIug8D2E+YROlsENAoGhAKwYWm1S12Btj+XrPv3
JQIDAQAB
-----END PUBLIC KEY-----
`

// certCA is a signing CA.
type certCA struct {
	cert *x509.Certificate
	der  []byte
	key  ed25519.PrivateKey
}

// pki is the generated PKI of one dataset.
type pki struct {
	root, issuer, rogue certCA
	pool                []any
}

// caKey derives a CA's Ed25519 key from the dataset seed.
func caKey(seed uint64, label string) ed25519.PrivateKey {
	h := sha256.Sum256(fmt.Appendf(nil, "grunndata synthetic pki %d %s", seed, label))
	return ed25519.NewKeyFromSeed(h[:])
}

func (t day) instant(sec int) time.Time {
	y, m, d := t.civil()
	return time.Date(y, time.Month(m), d, 0, 0, sec, 0, time.UTC)
}

func newCA(name pkix.Name, key ed25519.PrivateKey, serial int64, from, to time.Time, parent *certCA, maxPath int) (certCA, error) {
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: name, NotBefore: from, NotAfter: to,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, BasicConstraintsValid: true, IsCA: true,
		MaxPathLen: maxPath, MaxPathLenZero: maxPath == 0,
	}
	signer, parentCert := key, tmpl
	if parent != nil {
		signer, parentCert = parent.key, parent.cert
	}
	der, err := x509.CreateCertificate(nil, tmpl, parentCert, key.Public(), signer)
	if err != nil {
		return certCA{}, err
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return certCA{}, err
	}
	return certCA{cert: c, der: der, key: key}, nil
}

func (w *world) newPKI() (*pki, error) {
	p := &pki{}
	var err error
	if p.root, err = newCA(caRootName, caKey(w.seed, "root"), 1, dayOf(2012, 9, 1).instant(0), dayOf(2042, 9, 1).instant(0), nil, 1); err != nil {
		return nil, err
	}
	if p.issuer, err = newCA(caIssuerName, caKey(w.seed, "issuer"), 3, dayOf(2014, 3, 1).instant(0), dayOf(2040, 3, 1).instant(0), &p.root, 0); err != nil {
		return nil, err
	}
	if p.rogue, err = newCA(caRogueName, caKey(w.seed, "rogue"), 7, dayOf(2015, 1, 1).instant(0), dayOf(2045, 1, 1).instant(0), nil, 0); err != nil {
		return nil, err
	}
	rest := []byte(certKeyPool)
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		k, err := x509.ParsePKIXPublicKey(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate key pool: %w", err)
		}
		p.pool = append(p.pool, k)
	}
	if len(p.pool) == 0 {
		return nil, fmt.Errorf("certificate key pool is empty")
	}
	return p, nil
}

// certParty is what a certificate needs of a communication party.
type certParty struct {
	her     int
	name    string // the party's name (CN)
	orgName string // the organisation's name (O)
	orgnr   [9]byte
}

// certParty returns the party of AR record k when it holds certificates of
// its own: organisations (but the 3 % without any) and services with their
// own EDI address.
func (w *world) certParty(k int) (certParty, bool) {
	b := w.arBlockOf(k)
	pos := k - b.first
	if pos > b.services {
		return certParty{}, false // persons inherit
	}
	if pos > 0 && !w.arServiceOwnEDI(k) {
		return certParty{}, false
	}
	org := newRNG(w.seed, streamCert, uint64(b.first)<<8|0x01)
	if org.chance(0.03) {
		return certParty{}, false // no certificates registered: the organisation and its children go without
	}
	var x enhet
	w.deriveEnhet(b.enhet, &x)
	cp := certParty{her: w.herID(k), orgName: titleCase(x.name), orgnr: w.enhetOrgnr(b.enhet)}
	cp.name = cp.orgName
	if pos > 0 {
		_, cp.name = w.arService(b, pos-1, &x)
	}
	return cp, true
}

// Certificate kinds of a slot's current certificate.
const (
	certNormal = iota
	certExpired
	certNotYet
	certRevoked
	certUntrusted
	certMismatch
)

// certSlot is the plan for one slot of one party.
type certSlot struct {
	kind      int
	from      day // notBefore of the current certificate
	sec       int
	replaced  bool // has a replaced predecessor
	prevFrom  day
	revokedAt day
	reason    int
}

var revocationReasons = []int{1, 3, 4, 5} // keyCompromise, affiliationChanged, superseded, cessationOfOperation

// certValidity is the lifetime of a virksomhetssertifikat (three years).
const certValidity = 3 * 365

func (w *world) certSlot(k int, slot int) certSlot {
	r := newRNG(w.seed, streamCert, uint64(k)<<8|uint64(0x10+slot))
	s := certSlot{sec: r.intn(86_400)}
	x := r.float()
	switch {
	case x < 0.04:
		s.kind = certExpired
	case x < 0.06:
		s.kind = certNotYet
	case x < 0.08:
		s.kind = certRevoked
	case x < 0.085:
		s.kind = certUntrusted
	case x < 0.09:
		s.kind = certMismatch
	}
	switch s.kind {
	case certExpired:
		s.from = refDay - certValidity - day(r.between(1, 300))
	case certNotYet:
		s.from = refDay + day(r.between(400, 700))
	default:
		s.from = refDay - day(r.between(1, certValidity-1))
	}
	if s.kind == certRevoked {
		s.revokedAt = s.from + day(r.intn(int(refDay-s.from)))
		s.reason = revocationReasons[r.intn(len(revocationReasons))]
	}
	if r.chance(0.30) {
		s.replaced = true
		s.prevFrom = s.from - certValidity + day(r.between(0, 60))
	}
	return s
}

// certSerial is a certificate's serial number: 16 bytes from the party, the
// slot and the generation (0 current, 1 replaced).
func (w *world) certSerial(k, slot, gen int) *big.Int {
	var b [16]byte
	a := hash3(w.seed, streamCert, uint64(k)<<8|uint64(slot<<1|gen))
	c := mix64(a ^ 0x5bd1e995)
	for i := range 8 {
		b[i], b[8+i] = byte(a>>(8*i)), byte(c>>(8*i))
	}
	b[0] &= 0x7f
	b[0] |= 0x01
	return new(big.Int).SetBytes(b[:])
}

var slotUsages = [2]string{"encryption", "signature"}

func (w *world) issueCert(p *pki, cp *certParty, k, slot, gen int, from day, sec int, kind int) ([]byte, error) {
	ku := x509.KeyUsageKeyEncipherment | x509.KeyUsageDataEncipherment
	if slot == 1 {
		ku = x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment
	}
	if kind == certMismatch { // the other slot's certificate registered in this one
		ku = x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment
		if slot == 1 {
			ku = x509.KeyUsageKeyEncipherment | x509.KeyUsageDataEncipherment
		}
	}
	serial := w.certSerial(k, slot, gen)
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			Country: []string{"NO"}, Organization: []string{strings.ToUpper(cp.orgName)},
			OrganizationalUnit: []string{"HER-id:" + itoa(cp.her)},
			CommonName:         strings.ToUpper(cp.name), SerialNumber: string(cp.orgnr[:]),
		},
		NotBefore: from.instant(sec), NotAfter: (from + certValidity).instant(sec),
		KeyUsage:              ku,
		BasicConstraintsValid: true,
		CRLDistributionPoints: []string{"http://crl.pki.grunndata.test/issuing-ca.crl"},
	}
	ca := &p.issuer
	if kind == certUntrusted {
		ca = &p.rogue
	}
	pub := p.pool[(k*2+slot+gen)%len(p.pool)]
	return x509.CreateCertificate(nil, tmpl, ca.cert, pub, ca.key)
}

// appendCertLine appends one line of certificates.jsonl.
func appendCertLine(dst []byte, her int, usage string, registered time.Time, replacedAt time.Time, serial *big.Int, der []byte) []byte {
	dst = append(dst, `{"herId":`...)
	dst = appendInt(dst, her)
	dst = append(dst, `,"usage":"`...)
	dst = append(dst, usage...)
	dst = append(dst, `","registered":"`...)
	dst = registered.AppendFormat(dst, time.RFC3339)
	dst = append(dst, `","replacedAt":`...)
	if replacedAt.IsZero() {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '"')
		dst = replacedAt.AppendFormat(dst, time.RFC3339)
		dst = append(dst, '"')
	}
	dst = append(dst, `,"ldapUrl":`...)
	dst = appendString(dst, certLDAPBase+serial.String()+")")
	dst = append(dst, `,"certificate":"`...)
	dst = base64.StdEncoding.AppendEncode(dst, der)
	return append(dst, "\"}\n"...)
}

// encodeCerts writes the certificate lines of AR records [lo, hi): per party
// and slot the replaced certificate (if any) and then the current one.
func (w *world) encodeCerts(p *pki) encodeFunc {
	return func(dst []byte, lo, hi int, _ *scratch) ([]byte, int) {
		n := 0
		for k := lo; k < hi; k++ {
			cp, ok := w.certParty(k)
			if !ok {
				continue
			}
			for slot := range 2 {
				s := w.certSlot(k, slot)
				// Registered in AR a few days after issue (the current one
				// possibly before its notBefore: pre-registered renewals).
				reg := (s.from + 3).instant(s.sec)
				if s.kind == certNotYet {
					reg = (refDay - 20).instant(s.sec)
				}
				if s.replaced {
					der, err := w.issueCert(p, &cp, k, slot, 1, s.prevFrom, s.sec, certNormal)
					if err != nil {
						panic("BUG: issue certificate: " + err.Error())
					}
					dst = appendCertLine(dst, cp.her, slotUsages[slot], (s.prevFrom + 2).instant(s.sec), reg, w.certSerial(k, slot, 1), der)
					n++
				}
				der, err := w.issueCert(p, &cp, k, slot, 0, s.from, s.sec, s.kind)
				if err != nil {
					panic("BUG: issue certificate: " + err.Error())
				}
				dst = appendCertLine(dst, cp.her, slotUsages[slot], reg, time.Time{}, w.certSerial(k, slot, 0), der)
				n++
			}
		}
		return dst, n
	}
}

// writePKI writes the CA certificates and the issuing CA's CRL: the revoked
// current certificates with their time and reason.
func (w *world) writePKI(dir string, p *pki) ([]FileSummary, error) {
	if err := os.MkdirAll(filepath.Join(dir, CertDir), 0o755); err != nil {
		return nil, err
	}
	var ca []byte
	for _, c := range []*certCA{&p.root, &p.issuer} {
		ca = append(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.der})...)
	}
	if err := writeAtomic(filepath.Join(dir, CertCAFile), ca); err != nil {
		return nil, err
	}
	var revoked []x509.RevocationListEntry
	for k := 0; k < w.arTotal; k++ {
		if _, ok := w.certParty(k); !ok {
			continue
		}
		for slot := range 2 {
			if s := w.certSlot(k, slot); s.kind == certRevoked {
				revoked = append(revoked, x509.RevocationListEntry{SerialNumber: w.certSerial(k, slot, 0),
					RevocationTime: s.revokedAt.instant(s.sec), ReasonCode: s.reason})
			}
		}
	}
	crl, err := x509.CreateRevocationList(nil, &x509.RevocationList{
		Number: big.NewInt(int64(refDay)), ThisUpdate: refDay.instant(0), NextUpdate: (refDay + 7).instant(0),
		RevokedCertificateEntries: revoked,
	}, p.issuer.cert, p.issuer.key)
	if err != nil {
		return nil, err
	}
	if err := writeAtomic(filepath.Join(dir, CertCRLFile), crl); err != nil {
		return nil, err
	}
	return []FileSummary{
		{Name: CertCAFile, Files: 1, Records: 2, Bytes: int64(len(ca))},
		{Name: CertCRLFile, Files: 1, Records: int64(len(revoked)), Bytes: int64(len(crl))},
	}, nil
}

// writeCerts writes the PKI, the CRL and the certificate index.
func (w *world) writeCerts(ctx context.Context, dir string, workers int, progress io.Writer, sum *Summary) error {
	p, err := w.newPKI()
	if err != nil {
		return fmt.Errorf("certificates: %w", err)
	}
	fss, err := w.writePKI(dir, p)
	if err != nil {
		return fmt.Errorf("certificates: %w", err)
	}
	sum.Files = append(sum.Files, fss...)
	fs, err := writeFile(ctx, dir, fileJob{name: CertIndexFile, units: w.arTotal, chunk: 200, encode: w.encodeCerts(p)}, workers, progress)
	if err != nil {
		return fmt.Errorf("write %s: %w", CertIndexFile, err)
	}
	sum.Files = append(sum.Files, fs)
	return nil
}
