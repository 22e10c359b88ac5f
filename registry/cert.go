package registry

import (
	"crypto/x509"
	"encoding/binary"
	"errors"
	"math/big"
	"strings"
	"time"
)

// Adresseregisteret certificates: every virksomhet keeps an encryption and a
// signing certificate for its communication parties, and its services and
// persons inherit them. NHN hands them out unvalidated; grunndata evaluates
// them at the source. The load checks what does not depend on time (the
// chain to a loaded CA, the key usage against the slot, the CRL entry) and
// stores the instants at which the status changes; a request compares its
// own instant with them, so a certificate that expires at 12:00:00 is expired
// at 12:00:01 without a reload, and a cache hit stays a comparison and a copy.
//
// Key families:
//
//	'C' + HER-id → CertSet: the party's current certificates, or a pointer to
//	               the party it inherits them from (its parent organisation)
//	'V' + HER-id → CertSet: current and replaced certificates (history)
//	'q' + field + value (≤ 16 bytes, lower case) + 0 + HER-id + usage → CertSearch
//	'W' + orgnr (9 digits) → HER-id (uint32 BE) of the AR organisation with
//	               that number (the lowest HER-id when several): the point
//	               read behind the by-orgnr lookup
const (
	RegCertificates Register = 'C'
	IdxCertHistory  Register = 'V'
	IdxCertSearch   Register = 'q'
	IdxCertOrgnr    Register = 'W'
)

// CertOrgnrKey is the key of the organisation-number index.
func CertOrgnrKey(o Orgnr) Key { return digitsKey(IdxCertOrgnr, o[:]) }

// CertUsage is the slot a certificate is registered in.
type CertUsage byte

// Certificate slots. AR names them "for encryption" and "for validating
// signature" (E_KS and E_SS in the 9044 address types).
const (
	CertEncryption CertUsage = 'e'
	CertSignature  CertUsage = 's'
)

// String returns the slot's API name.
func (u CertUsage) String() string {
	switch u {
	case CertEncryption:
		return "encryption"
	case CertSignature:
		return "signature"
	}
	return "unknown"
}

// ParseCertUsage parses an API usage name.
func ParseCertUsage(b []byte) (CertUsage, bool) {
	switch string(b) {
	case "encryption":
		return CertEncryption, true
	case "signature":
		return CertSignature, true
	}
	return 0, false
}

// CertStatus is a certificate's evaluated status at one instant.
type CertStatus uint8

// Statuses, in the order they take precedence: an untrusted certificate is
// untrusted whatever its dates; a revoked one is revoked from its revocation
// time on, whether or not it has expired since.
const (
	CertValid CertStatus = iota
	CertExpired
	CertNotYetValid
	CertRevoked
	CertUntrusted
	numCertStatus
)

var certStatusNames = [numCertStatus]string{"valid", "expired", "notYetValid", "revoked", "untrusted"}

// String returns the status's API name.
func (s CertStatus) String() string {
	if s < numCertStatus {
		return certStatusNames[s]
	}
	return "unknown"
}

// CertTimes holds what a certificate's status depends on once the load has
// checked the chain: its validity period and revocation instant (Unix
// seconds; RevokedAt 0 when the CRL does not list it).
type CertTimes struct {
	NotBefore, NotAfter, RevokedAt int64
	Trusted                        bool
}

// StatusAt returns the status at now (Unix seconds). X.509 validity is
// inclusive at both ends (RFC 5280 4.1.2.5): a certificate with notAfter
// 12:00:00 is valid at 12:00:00 and expired at 12:00:01.
func (t *CertTimes) StatusAt(now int64) CertStatus {
	switch {
	case !t.Trusted:
		return CertUntrusted
	case t.RevokedAt != 0 && now >= t.RevokedAt:
		return CertRevoked
	case now < t.NotBefore:
		return CertNotYetValid
	case now > t.NotAfter:
		return CertExpired
	}
	return CertValid
}

// Revocation is a CRL entry.
type Revocation struct {
	Time   time.Time
	Reason string
}

// crlReasons are the RFC 5280 5.3.1 reason codes (7 is unused).
var crlReasons = [...]string{"unspecified", "keyCompromise", "cACompromise", "affiliationChanged",
	"superseded", "cessationOfOperation", "certificateHold", "", "removeFromCRL", "privilegeWithdrawn", "aACompromise"}

// CRLReason names an RFC 5280 reason code.
func CRLReason(code int) string {
	if code >= 0 && code < len(crlReasons) && crlReasons[code] != "" {
		return crlReasons[code]
	}
	return "unspecified"
}

// Trust is the set of CAs a load trusts and the revocations their CRLs list.
// It is built once per load and read-only afterwards.
type Trust struct {
	roots, intermediates *x509.CertPool
	revoked              map[string]Revocation // issuer DN + serial → entry
	CAs                  []*x509.Certificate
	// bySubject holds each CA whose own chain verified, with that chain
	// (the CA first, the root last), by subject DN.
	bySubject map[string][]caChain
}

type caChain struct {
	ca    *x509.Certificate
	chain []*x509.Certificate
}

// Errors of NewTrust.
var (
	ErrNoTrustAnchor = errors.New("no self-signed root among the CA certificates")
	ErrCRLSignature  = errors.New("CRL is not signed by a loaded CA")
)

// NewTrust builds the trust store: self-signed CAs are anchors, the others
// intermediates; every CRL must be signed by one of the CAs (an unsigned or
// foreign CRL would let anyone revoke or un-revoke).
func NewTrust(cas []*x509.Certificate, crls []*x509.RevocationList) (*Trust, error) {
	t := &Trust{roots: x509.NewCertPool(), intermediates: x509.NewCertPool(), revoked: map[string]Revocation{}, CAs: cas,
		bySubject: map[string][]caChain{}}
	anchors := 0
	for _, c := range cas {
		if c.CheckSignatureFrom(c) == nil && string(c.RawIssuer) == string(c.RawSubject) {
			t.roots.AddCert(c)
			anchors++
		} else {
			t.intermediates.AddCert(c)
		}
	}
	if anchors == 0 {
		return nil, ErrNoTrustAnchor
	}
	for _, c := range cas {
		chains, err := c.Verify(x509.VerifyOptions{Roots: t.roots, Intermediates: t.intermediates, CurrentTime: c.NotBefore,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
		if err == nil && !hasNameConstraints(chains[0]) {
			t.bySubject[string(c.RawSubject)] = append(t.bySubject[string(c.RawSubject)], caChain{c, chains[0]})
		}
	}
	for _, l := range crls {
		var issuer *x509.Certificate
		for _, c := range cas {
			if string(c.RawSubject) == string(l.RawIssuer) && l.CheckSignatureFrom(c) == nil {
				issuer = c
				break
			}
		}
		if issuer == nil {
			return nil, ErrCRLSignature
		}
		for _, e := range l.RevokedCertificateEntries {
			t.revoked[revocationKey(l.RawIssuer, e.SerialNumber)] = Revocation{Time: e.RevocationTime.UTC(), Reason: CRLReason(e.ReasonCode)}
		}
	}
	return t, nil
}

func revocationKey(issuer []byte, serial *big.Int) string {
	return string(issuer) + "\x00" + string(serial.Bytes())
}

// CertEval is the time-independent evaluation of one certificate.
type CertEval struct {
	// Chain is the path from the certificate's issuer to a trust anchor
	// (excluding the certificate itself); nil when untrusted.
	Chain []*x509.Certificate
	// Untrusted says why no chain was found ("" when trusted).
	Untrusted string
	// UsageMatches says the key usage fits the slot.
	UsageMatches bool
	// Revocation is the CRL entry, nil when not listed.
	Revocation *Revocation
	Times      CertTimes
}

// Evaluate checks c for slot u: the chain to a loaded CA (verified at the
// certificate's own notBefore, so expiry does not make it untrusted: expiry
// is a status of its own), the key usage, and the CRLs.
func (t *Trust) Evaluate(c *x509.Certificate, u CertUsage) CertEval {
	ev := CertEval{UsageMatches: UsageMatches(c.KeyUsage, u)}
	ev.Times = CertTimes{NotBefore: c.NotBefore.Unix(), NotAfter: c.NotAfter.Unix()}
	if chain := t.issuerChain(c); chain != nil {
		ev.Chain = chain
		ev.Times.Trusted = true
	} else {
		chains, err := c.Verify(x509.VerifyOptions{
			Roots: t.roots, Intermediates: t.intermediates, CurrentTime: c.NotBefore,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
		})
		if err != nil {
			ev.Untrusted = untrustedReason(err)
		} else {
			ev.Chain = chains[0][1:]
			ev.Times.Trusted = true
		}
	}
	if r, ok := t.revoked[revocationKey(c.RawIssuer, c.SerialNumber)]; ok {
		ev.Revocation = &r
		ev.Times.RevokedAt = r.Time.Unix()
		if ev.Times.RevokedAt == 0 {
			ev.Times.RevokedAt = 1
		}
	}
	return ev
}

// issuerChain is the fast path of Evaluate for the common case, an end
// certificate issued directly by a loaded CA: the CA chains were verified
// once by x509 in NewTrust, so what is left is the certificate's own
// signature (CheckSignatureFrom also requires the issuer to be a CA allowed
// to sign certificates) and every chain element being valid at the
// certificate's notBefore. Anything else (no such CA, unhandled critical
// extensions, name constraints) returns nil and goes to x509's full path
// validation, which also says why a chain fails.
func (t *Trust) issuerChain(c *x509.Certificate) []*x509.Certificate {
	if len(c.UnhandledCriticalExtensions) > 0 {
		return nil
	}
	at := c.NotBefore
	for _, cc := range t.bySubject[string(c.RawIssuer)] {
		if c.CheckSignatureFrom(cc.ca) != nil {
			continue
		}
		ok := true
		for _, x := range cc.chain {
			ok = ok && !at.Before(x.NotBefore) && !at.After(x.NotAfter)
		}
		if ok {
			return cc.chain
		}
	}
	return nil
}

func hasNameConstraints(chain []*x509.Certificate) bool {
	for _, c := range chain {
		if len(c.PermittedDNSDomains)+len(c.ExcludedDNSDomains)+len(c.PermittedIPRanges)+len(c.ExcludedIPRanges)+
			len(c.PermittedEmailAddresses)+len(c.ExcludedEmailAddresses)+len(c.PermittedURIDomains)+len(c.ExcludedURIDomains) > 0 {
			return true
		}
	}
	return false
}

func untrustedReason(err error) string {
	var ua x509.UnknownAuthorityError
	var ci x509.CertificateInvalidError
	switch {
	case errors.As(err, &ua):
		return "issuer is not a loaded CA"
	case errors.As(err, &ci):
		return "chain invalid: " + ci.Error()
	}
	return err.Error()
}

// UsageMatches says whether key usage ku fits slot u: encryption needs
// keyEncipherment or dataEncipherment, signature digitalSignature or
// nonRepudiation (contentCommitment).
func UsageMatches(ku x509.KeyUsage, u CertUsage) bool {
	switch u {
	case CertEncryption:
		return ku&(x509.KeyUsageKeyEncipherment|x509.KeyUsageDataEncipherment) != 0
	case CertSignature:
		return ku&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) != 0
	}
	return false
}

// KeyUsageNames lists the key usage bits of ku by their RFC 5280 names.
func KeyUsageNames(ku x509.KeyUsage) []string {
	names := [...]string{"digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment",
		"keyAgreement", "keyCertSign", "cRLSign", "encipherOnly", "decipherOnly"}
	var out []string
	for i, n := range names {
		if ku&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// A CertSet value is what the server writes for a party's certificates:
//
//	ValueVersion, 's', owner HER-id (uint32 BE, 0: none), inherit mask,
//	uvarint n, then n entries of
//	  usage byte, notBefore, notAfter, revokedAt (int64 BE), flags
//	  (1: trusted, 2: usage mismatch),
//	  uvarint len, body: a JSON object, everything but usage, status and
//	  inherited
//
// A party that lacks a slot of its own inherits it from its parent
// organisation (the owner): the mask says which slots (CertMaskEncryption,
// CertMaskSignature) come from the owner's own set. The server writes each
// entry as {"usage":…,"status":…,"inherited":…, + the body after its '{';
// only the status is computed per request.
const (
	certSetKind    = 's'
	certSetHeader  = 2 + 4 + 1
	certEntryFixed = 1 + 8 + 8 + 8 + 1
)

// Inherit masks.
const (
	CertMaskEncryption byte = 1 << iota
	CertMaskSignature
)

// CertMask returns the inherit-mask bit of slot u.
func CertMask(u CertUsage) byte {
	switch u {
	case CertEncryption:
		return CertMaskEncryption
	case CertSignature:
		return CertMaskSignature
	}
	return 0
}

// CertEntry is one certificate of a CertSet.
type CertEntry struct {
	Usage CertUsage
	Times CertTimes
	// UsageMismatch says the key usage does not fit the slot.
	UsageMismatch bool
	// Body is a JSON object (see CertSet); it aliases the value.
	Body []byte
}

// AppendCertSet encodes a CertSet value: own entries, and the slots in mask
// inherited from owner.
func AppendCertSet(dst []byte, owner uint32, mask byte, entries []CertEntry) []byte {
	dst = append(dst, ValueVersion, certSetKind)
	dst = binary.BigEndian.AppendUint32(dst, owner)
	dst = append(dst, mask)
	dst = binary.AppendUvarint(dst, uint64(len(entries)))
	for i := range entries {
		e := &entries[i]
		if len(e.Body) < 2 || e.Body[0] != '{' {
			panic("BUG: certificate entry body is not a JSON object")
		}
		flags := byte(0)
		if e.Times.Trusted {
			flags |= 1
		}
		if e.UsageMismatch {
			flags |= 2
		}
		dst = append(dst, byte(e.Usage))
		dst = binary.BigEndian.AppendUint64(dst, uint64(e.Times.NotBefore))
		dst = binary.BigEndian.AppendUint64(dst, uint64(e.Times.NotAfter))
		dst = binary.BigEndian.AppendUint64(dst, uint64(e.Times.RevokedAt))
		dst = append(dst, flags)
		dst = binary.AppendUvarint(dst, uint64(len(e.Body)))
		dst = append(dst, e.Body...)
	}
	return dst
}

// CertIter walks the entries of a CertSet value without copying.
type CertIter struct {
	v   []byte
	n   uint64
	err error
}

// OpenCertSet starts reading a CertSet value: its own entries, and the owner
// and mask of the slots it inherits (owner 0: none).
func OpenCertSet(v []byte) (it CertIter, owner uint32, mask byte, err error) {
	if len(v) < certSetHeader+1 || v[0] != ValueVersion || v[1] != certSetKind {
		return it, 0, 0, ErrBadValue
	}
	owner, mask = binary.BigEndian.Uint32(v[2:]), v[6]
	n, w := binary.Uvarint(v[certSetHeader:])
	if w <= 0 {
		return it, 0, 0, ErrBadValue
	}
	return CertIter{v: v[certSetHeader+w:], n: n}, owner, mask, nil
}

// Next decodes the next entry into e; false at the end or on a malformed
// value (then Err is set).
func (it *CertIter) Next(e *CertEntry) bool {
	if it.n == 0 || it.err != nil {
		return false
	}
	v := it.v
	if len(v) < certEntryFixed {
		it.err = ErrBadValue
		return false
	}
	e.Usage = CertUsage(v[0])
	e.Times.NotBefore = int64(binary.BigEndian.Uint64(v[1:]))
	e.Times.NotAfter = int64(binary.BigEndian.Uint64(v[9:]))
	e.Times.RevokedAt = int64(binary.BigEndian.Uint64(v[17:]))
	e.Times.Trusted = v[25]&1 != 0
	e.UsageMismatch = v[25]&2 != 0
	l, w := binary.Uvarint(v[certEntryFixed:])
	if w <= 0 || uint64(len(v)-certEntryFixed-w) < l {
		it.err = ErrBadValue
		return false
	}
	start := certEntryFixed + w
	e.Body = v[start : start+int(l)]
	if len(e.Body) < 2 || e.Body[0] != '{' {
		it.err = ErrBadValue
		return false
	}
	it.v = v[start+int(l):]
	it.n--
	return true
}

// Err reports a malformed value met by Next.
func (it *CertIter) Err() error { return it.err }

// AppendCertEntry appends the JSON object of entry e as served at now:
// usage, status and inherited, then the stored body.
func AppendCertEntry(dst []byte, e *CertEntry, now int64, inherited bool) []byte {
	dst = append(dst, `{"usage":"`...)
	dst = append(dst, e.Usage.String()...)
	dst = append(dst, `","status":"`...)
	dst = append(dst, e.Times.StatusAt(now).String()...)
	dst = append(dst, `","inherited":`...)
	if inherited {
		dst = append(dst, "true,"...)
	} else {
		dst = append(dst, "false,"...)
	}
	return append(dst, e.Body[1:]...)
}

// AppendCertEntries appends the entries of CertSet value v whose usage
// matches u (0: all) and whose inherit bit is in mask (0xff: own entries),
// each preceded by a comma unless *first. It returns the owner and mask of
// the slots v inherits.
func AppendCertEntries(dst, v []byte, u CertUsage, mask byte, now int64, inherited bool, first *bool) ([]byte, uint32, byte, error) {
	it, owner, imask, err := OpenCertSet(v)
	if err != nil {
		return dst, 0, 0, err
	}
	var e CertEntry
	for it.Next(&e) {
		if (u != 0 && e.Usage != u) || CertMask(e.Usage)&mask == 0 {
			continue
		}
		if !*first {
			dst = append(dst, ',')
		}
		*first = false
		dst = AppendCertEntry(dst, &e, now, inherited)
	}
	return dst, owner, imask, it.Err()
}

// Search fields of IdxCertSearch (SearchCertificatesFor*(sn, cn, ou)).
const (
	CertFieldCN     = 'n'
	CertFieldOU     = 'o'
	CertFieldSerial = 's'
	// CertSearchKeyLen is how much of a field value the key holds; longer
	// values and queries are compared in full against the value.
	CertSearchKeyLen = 16
)

// CertSearchPrefix appends the search key prefix for field and the
// normalised (lower-case) value's first CertSearchKeyLen bytes.
func CertSearchPrefix(dst []byte, field byte, norm []byte) []byte {
	dst = append(dst, byte(IdxCertSearch), field)
	if len(norm) > CertSearchKeyLen {
		norm = norm[:CertSearchKeyLen]
	}
	return append(dst, norm...)
}

// AppendCertSearchValue encodes a search hit: the full normalised field value,
// then a one-entry CertSet whose body is the hit's summary.
func AppendCertSearchValue(dst, norm []byte, e *CertEntry) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(norm)))
	dst = append(dst, norm...)
	return AppendCertSet(dst, 0, 0, []CertEntry{*e})
}

// DecodeCertSearchValue splits a search hit value.
func DecodeCertSearchValue(v []byte) (norm []byte, e CertEntry, err error) {
	l, w := binary.Uvarint(v)
	if w <= 0 || uint64(len(v)-w) < l {
		return nil, e, ErrBadValue
	}
	norm = v[w : w+int(l)]
	it, _, _, err := OpenCertSet(v[w+int(l):])
	if err != nil || !it.Next(&e) {
		return nil, e, ErrBadValue
	}
	return norm, e, nil
}

// NormaliseCertField lower-cases and folds runs of white space, so that
// "Legevakt  Bergen" and "LEGEVAKT BERGEN" find the same certificate.
func NormaliseCertField(dst []byte, s string) []byte {
	return append(dst, strings.ToLower(strings.Join(strings.Fields(s), " "))...)
}
