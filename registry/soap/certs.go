package soap

import (
	"errors"

	"github.com/grunndata/grunndata/registry"
)

// AR's certificate operations, from the certificates register (registry/cert.go):
// the party's current certificate of a slot, its own or the one it inherits
// from its organisation. NHN hands certificates out unvalidated; here a
// certificate that is not valid at the request's instant (expired, not yet
// valid, revoked, untrusted) is a fault that says so, never bytes a client
// would use.

const (
	nsCertDetails = "http://register.nhn.no/CertificateDetails"
	certDecl      = ` xmlns="` + nsAR + `" xmlns:d="` + nsCertDetails + `" xmlns:i="` + nsXSI + `"`
)

// currentCert returns the stored body of her's current certificate for u
// (nil when the party has none), following inheritance once.
func currentCert(b Backend, her uint64, u registry.CertUsage) ([]byte, *registry.CertEntry, error) {
	for hop := 0; hop < 2; hop++ {
		k := registry.SerialKey(registry.RegCertificates, her)
		v, err := b.Raw(&k)
		if errors.Is(err, registry.ErrNotFound) {
			return nil, nil, nil
		}
		if err != nil {
			return nil, nil, err
		}
		it, owner, mask, err := registry.OpenCertSet(v)
		if err != nil {
			return nil, nil, err
		}
		var e registry.CertEntry
		for it.Next(&e) {
			if e.Usage == u {
				return e.Body, &e, nil
			}
		}
		if err := it.Err(); err != nil {
			return nil, nil, err
		}
		if owner == 0 || mask&registry.CertMask(u) == 0 {
			return nil, nil, nil
		}
		her = uint64(owner)
	}
	return nil, nil, nil
}

var certStatusText = map[registry.CertStatus]string{
	registry.CertExpired:     "utløpt",
	registry.CertNotYetValid: "ikke gyldig ennå",
	registry.CertRevoked:     "tilbakekalt",
	registry.CertUntrusted:   "ikke tiltrodd (kjeden går ikke til en kjent utsteder)",
}

// certOp answers GetCertificateFor* (details false: base64Binary) and
// GetCertificateDetailsFor* (details: CertificateDetails{Certificate, LdapUrl}).
func certOp(op string, u registry.CertUsage, details bool) func(c *call) error {
	return func(c *call) error {
		s, ok := c.req.Value("herId")
		her, err := parseHerID(s, ok)
		if err != nil {
			return err
		}
		if _, err := arParty(c.b, her); err != nil {
			return err
		}
		body, e, err := currentCert(c.b, her, u)
		if err != nil {
			return err
		}
		if e != nil {
			if st := e.Times.StatusAt(c.b.Now().Unix()); st != registry.CertValid {
				slot := "kryptering"
				if u == registry.CertSignature {
					slot = "signaturvalidering"
				}
				return &Fault{Code: "CertificateNotValid", Message: "Sertifikatet for " + slot + " er " + certStatusText[st] + "; se GET /v1/communication-parties/{herId}/certificates."}
			}
		}
		w := &c.w
		w.raw("<" + op + "Response" + certDecl + ">")
		switch {
		case body == nil:
			w.nilElem("", op+"Result")
		case details:
			w.open("", op+"Result")
			w.text("d", "Certificate", member(body, "certificate"))
			w.text("d", "LdapUrl", member(body, "ldapUrl"))
			w.close("", op+"Result")
		default:
			w.text("", op+"Result", member(body, "certificate"))
		}
		w.raw("</" + op + "Response>")
		return nil
	}
}
