package loader

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/grunndata/grunndata/loader/certs"
	"github.com/grunndata/grunndata/registry"
)

// RegCertificates is the certificates register in reports and manifests.
const RegCertificates = "certificates"

// Certificate source files (docs/formats.md).
const (
	certCAFile    = "certs/ca.pem"
	certIndexFile = "certs/certificates.jsonl.gz"
)

// Certificate rules. Rejected: the line is skipped. Warned: the certificate
// is stored, its problem is part of its evaluation (status untrusted,
// usageMatches false) and `grunndata certs report` lists it.
const (
	ruleCertParse     = registry.Rule("certificate-parse")
	ruleCertOrder     = registry.Rule("certificate-order")
	ruleCertSlot      = registry.Rule("certificate-duplicate-slot")
	ruleCertUntrusted = registry.Rule("certificate-untrusted")
	ruleCertUsage     = registry.Rule("certificate-usage")
	ruleCertSubject   = registry.Rule("certificate-subject")
)

// certGroup collects the lines of one party (the index keeps them together).
type certGroup struct {
	her     uint32
	current []registry.CertEntry
	history []registry.CertEntry
	search  [][2][]byte // key, value
	have    byte        // slots with a current certificate
}

// loadCerts loads the certificate register: the CAs and CRLs into a trust
// store, then the index, one party at a time (its lines are consecutive, in
// the order the generator writes them): each certificate is parsed, chained
// to a loaded CA, checked against its slot and the CRLs, and stored with the
// instants its status changes at. A party without a slot of its own
// inherits it from its parent organisation, as in AR.
func (r *run) loadCerts() error {
	if !r.exists(certIndexFile) {
		return nil
	}
	if !r.exists(certCAFile) {
		return fmt.Errorf("%s without %s: no CA to chain the certificates to", certIndexFile, certCAFile)
	}
	trust, err := r.loadTrust()
	if err != nil {
		return err
	}
	parents, orgnrs, err := r.partyTree()
	if err != nil {
		return err
	}
	if err := r.addOrgnrIndex(orgnrs); err != nil {
		return err
	}
	owners := map[uint32]byte{} // party → slots it holds itself
	warned := map[registry.Rule]int{}
	warn := func(rule registry.Rule, line int, her uint32, detail string) {
		warned[rule]++
		if warned[rule] <= 20 {
			r.log.Warn("certificate", "rule", string(rule), "file", certIndexFile, "line", line, "herId", her, "detail", detail)
		}
	}
	const reg = RegCertificates
	var g *certGroup
	flush := func() error {
		if g == nil {
			return nil
		}
		owners[g.her] = g.have
		if err := r.addCertGroup(g, parents); err != nil {
			return err
		}
		g = nil
		return nil
	}
	err = r.loadFile(certIndexFile, reg, func(s *source) error {
		return certs.ReadIndex(s.r, func(rec *certs.Record) error {
			p := pos("line", rec.Line)
			if r.rejectShape(reg, certIndexFile, p, itoa(rec.HerID), rec.Missing, rec.Err) {
				return nil
			}
			id, rule, ok := serial(registry.IDHerID, rec.HerID)
			if !ok {
				r.reject(reg, certIndexFile, p, itoa(rec.HerID), rule, "herId")
				return nil
			}
			her := uint32(id)
			if rec.CertErr != nil {
				r.reject(reg, certIndexFile, p, itoa(rec.HerID), ruleCertParse, rec.CertErr.Error())
				return nil
			}
			if g == nil || g.her != her {
				if err := flush(); err != nil {
					return err
				}
				if _, seen := owners[her]; seen {
					r.reject(reg, certIndexFile, p, itoa(rec.HerID), ruleCertOrder, "lines of a party must be consecutive")
					return nil
				}
				ok, err := r.has(registry.SerialKey(registry.RegParty, uint64(her)))
				if err != nil {
					return err
				}
				if !ok {
					owners[her] = 0
					r.reject(reg, certIndexFile, p, itoa(rec.HerID), ruleReference, "herId is not in Adresseregisteret")
					return nil
				}
				g = &certGroup{her: her}
			}
			current := rec.ReplacedAt.IsZero()
			if current && g.have&registry.CertMask(rec.Usage) != 0 {
				r.reject(reg, certIndexFile, p, itoa(rec.HerID), ruleCertSlot, "a second current "+rec.Usage.String()+" certificate")
				return nil
			}
			ev := trust.Evaluate(rec.Cert, rec.Usage)
			if ev.Untrusted != "" {
				warn(ruleCertUntrusted, rec.Line, her, ev.Untrusted)
			}
			if !ev.UsageMatches {
				warn(ruleCertUsage, rec.Line, her, fmt.Sprintf("%s slot, key usage %v", rec.Usage, registry.KeyUsageNames(rec.Cert.KeyUsage)))
			}
			orgnr := orgnrs[her]
			if orgnr == "" {
				orgnr = orgnrs[parents[her]]
			}
			if sn := rec.Cert.Subject.SerialNumber; orgnr != "" && sn != orgnr {
				warn(ruleCertSubject, rec.Line, her, "subject serialNumber "+sn+" is not the party's organisation number "+orgnr)
			}
			e := registry.CertEntry{Usage: rec.Usage, Times: ev.Times, UsageMismatch: !ev.UsageMatches, Body: appendCertBody(nil, her, rec, &ev)}
			g.history = append(g.history, e)
			if current {
				g.have |= registry.CertMask(rec.Usage)
				g.current = append(g.current, e)
				g.search = appendCertSearch(g.search, her, rec, &e)
			}
			r.stats[reg].Records++
			return nil
		})
	})
	if err != nil {
		return err
	}
	if err := flush(); err != nil {
		return err
	}
	for rule, n := range warned {
		r.log.Warn("certificate warnings", "rule", string(rule), "count", n)
	}
	// Inheritance: a party lacking a slot takes its parent's.
	for child, parent := range parents {
		have := owners[child]
		want := owners[parent] &^ have
		if want == 0 {
			continue
		}
		if have != 0 {
			continue // has its own set; it records the inherited slots (addCertGroup)
		}
		for _, fam := range []registry.Register{registry.RegCertificates, registry.IdxCertHistory} {
			k := registry.SerialKey(fam, uint64(child))
			if err := r.b.Add(k.Bytes(), registry.AppendCertSet(nil, parent, want, nil)); err != nil {
				return err
			}
		}
	}
	return nil
}

// addCertGroup stores one party's certificates: current set, history and
// search entries. A child with its own certificates records the slots it
// inherits from its parent.
func (r *run) addCertGroup(g *certGroup, parents map[uint32]uint32) error {
	var owner uint32
	var mask byte
	if p, ok := parents[g.her]; ok {
		if want := (registry.CertMaskEncryption | registry.CertMaskSignature) &^ g.have; want != 0 {
			owner, mask = p, want
		}
	}
	sortEntries(g.current)
	sortEntries(g.history)
	k := registry.SerialKey(registry.RegCertificates, uint64(g.her))
	if err := r.b.Add(k.Bytes(), registry.AppendCertSet(nil, owner, mask, g.current)); err != nil {
		return err
	}
	k = registry.SerialKey(registry.IdxCertHistory, uint64(g.her))
	if err := r.b.Add(k.Bytes(), registry.AppendCertSet(nil, owner, mask, g.history)); err != nil {
		return err
	}
	for _, kv := range g.search {
		if err := r.b.Add(kv[0], kv[1]); err != nil {
			return err
		}
	}
	return nil
}

// sortEntries orders encryption before signature, then by notBefore, newest
// first (the history reads from the current certificate back).
func sortEntries(es []registry.CertEntry) {
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].Usage != es[j].Usage {
			return es[i].Usage == registry.CertEncryption
		}
		return es[i].Times.NotBefore > es[j].Times.NotBefore
	})
}

// addOrgnrIndex writes orgnr → HER-id of the AR organisation (the lowest
// HER-id when several organisations share a number).
func (r *run) addOrgnrIndex(orgnrs map[uint32]string) error {
	first := map[string]uint32{}
	for her, o := range orgnrs {
		if cur, ok := first[o]; !ok || her < cur {
			first[o] = her
		}
	}
	for o, her := range first {
		n, err := registry.ParseOrgnr([]byte(o))
		if err != nil {
			continue // the AR stage checked it; an index entry without a valid number is not ours to serve
		}
		k := registry.CertOrgnrKey(n)
		if err := r.b.Add(k.Bytes(), binary.BigEndian.AppendUint32(nil, her)); err != nil {
			return err
		}
	}
	return nil
}

// loadTrust reads the CA certificates and every CRL in certs/.
func (r *run) loadTrust() (*registry.Trust, error) {
	var cas []*x509.Certificate
	if err := r.readWhole(certCAFile, func(s *source) (err error) {
		cas, err = certs.ReadCAs(s.r)
		return err
	}); err != nil {
		return nil, err
	}
	names, err := filepath.Glob(filepath.Join(r.cfg.From, "certs", "*.crl"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var crls []*x509.RevocationList
	for _, n := range names {
		rel := filepath.Join("certs", filepath.Base(n))
		if err := r.readWhole(rel, func(s *source) error {
			l, err := certs.ReadCRL(s.r)
			if err != nil {
				return err
			}
			if now := r.cfg.Now(); now.After(l.NextUpdate) && !l.NextUpdate.IsZero() {
				r.log.Warn("CRL is past its nextUpdate: revocations after it are unknown", "file", rel, "nextUpdate", l.NextUpdate)
			}
			crls = append(crls, l)
			return nil
		}); err != nil {
			return nil, err
		}
	}
	t, err := registry.NewTrust(cas, crls)
	if err != nil {
		return nil, fmt.Errorf("certificate trust: %w", err)
	}
	return t, nil
}

// readWhole opens one small source file, parses it and records it in the
// manifest; a parse error fails the load (a trust list that does not parse
// must not load as an empty one).
func (r *run) readWhole(name string, parse func(s *source) error) error {
	s, err := r.open(name)
	if err != nil {
		return err
	}
	if err := parse(s); err != nil {
		s.f.Close()
		return parseErr(name, err)
	}
	return r.finish(s, nil)
}

// partyTree reads the AR parent index and the organisations' numbers from
// the generation: child → parent, organisation → orgnr (~100 k parties).
func (r *run) partyTree() (map[uint32]uint32, map[uint32]string, error) {
	parents := map[uint32]uint32{}
	orgnrs := map[uint32]string{}
	it, err := r.b.Iter([]byte{byte(registry.IdxPartyChildren)})
	if err != nil {
		return nil, nil, err
	}
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		if len(k) == 9 {
			parents[binary.BigEndian.Uint32(k[5:])] = binary.BigEndian.Uint32(k[1:])
		}
	}
	if err := it.Close(); err != nil {
		return nil, nil, err
	}
	it, err = r.b.Iter([]byte{byte(registry.IdxPartyByOrgnr)})
	if err != nil {
		return nil, nil, err
	}
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		if len(k) == 14 {
			orgnrs[binary.BigEndian.Uint32(k[10:])] = string(k[1:10])
		}
	}
	return parents, orgnrs, it.Close()
}

func appendTime(dst []byte, t time.Time) []byte {
	dst = append(dst, '"')
	dst = t.UTC().AppendFormat(dst, time.RFC3339)
	return append(dst, '"')
}

// appendCertBody encodes a certificate's stored JSON: everything the
// response says but usage, status and inherited.
func appendCertBody(dst []byte, her uint32, rec *certs.Record, ev *registry.CertEval) []byte {
	c := rec.Cert
	dst = append(dst, `{"ownerHerId":`...)
	dst = fmt.Appendf(dst, "%d", her)
	dst = append(dst, `,"subject":`...)
	dst = registry.AppendJSONString(dst, c.Subject.String())
	dst = append(dst, `,"commonName":`...)
	dst = registry.AppendJSONString(dst, c.Subject.CommonName)
	dst = append(dst, `,"organizationNumber":`...)
	dst = registry.AppendJSONString(dst, c.Subject.SerialNumber)
	dst = append(dst, `,"issuer":`...)
	dst = registry.AppendJSONString(dst, c.Issuer.String())
	dst = append(dst, `,"serialNumber":"`...)
	dst = append(dst, strings.ToUpper(c.SerialNumber.Text(16))...)
	dst = append(dst, `","notBefore":`...)
	dst = appendTime(dst, c.NotBefore)
	dst = append(dst, `,"notAfter":`...)
	dst = appendTime(dst, c.NotAfter)
	dst = append(dst, `,"keyUsage":[`...)
	for i, n := range registry.KeyUsageNames(c.KeyUsage) {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = registry.AppendJSONString(dst, n)
	}
	dst = append(dst, `],"usageMatches":`...)
	dst = fmt.Appendf(dst, "%t", ev.UsageMatches)
	dst = append(dst, `,"registered":`...)
	dst = appendTime(dst, rec.Registered)
	if !rec.ReplacedAt.IsZero() {
		dst = append(dst, `,"replacedAt":`...)
		dst = appendTime(dst, rec.ReplacedAt)
	}
	if ev.Revocation != nil {
		dst = append(dst, `,"revocation":{"time":`...)
		dst = appendTime(dst, ev.Revocation.Time)
		dst = append(dst, `,"reason":`...)
		dst = registry.AppendJSONString(dst, ev.Revocation.Reason)
		dst = append(dst, '}')
	}
	if ev.Untrusted != "" {
		dst = append(dst, `,"untrustedReason":`...)
		dst = registry.AppendJSONString(dst, ev.Untrusted)
	}
	if rec.LdapURL != "" {
		dst = append(dst, `,"ldapUrl":`...)
		dst = registry.AppendJSONString(dst, rec.LdapURL)
	}
	sum := sha256.Sum256(rec.DER)
	dst = append(dst, `,"sha256":"`...)
	dst = hex.AppendEncode(dst, sum[:])
	dst = append(dst, `","certificate":"`...)
	dst = base64.StdEncoding.AppendEncode(dst, rec.DER)
	dst = append(dst, `","pem":`...)
	dst = registry.AppendJSONString(dst, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: rec.DER})))
	dst = append(dst, `,"chain":[`...)
	for i, ca := range ev.Chain {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"subject":`...)
		dst = registry.AppendJSONString(dst, ca.Subject.String())
		dst = append(dst, `,"notAfter":`...)
		dst = appendTime(dst, ca.NotAfter)
		dst = append(dst, `,"certificate":"`...)
		dst = base64.StdEncoding.AppendEncode(dst, ca.Raw)
		dst = append(dst, `"}`...)
	}
	return append(dst, "]}"...)
}

// appendCertSearch adds the search entries of a current certificate: its
// subject's cn, each ou and serialNumber (SearchCertificatesFor*(sn, cn, ou)).
func appendCertSearch(out [][2][]byte, her uint32, rec *certs.Record, e *registry.CertEntry) [][2][]byte {
	c := rec.Cert
	sum := []byte(`{"herId":`)
	sum = fmt.Appendf(sum, "%d", her)
	sum = append(sum, `,"subject":`...)
	sum = registry.AppendJSONString(sum, c.Subject.String())
	sum = append(sum, `,"serialNumber":"`...)
	sum = append(sum, strings.ToUpper(c.SerialNumber.Text(16))...)
	sum = append(sum, `","notBefore":`...)
	sum = appendTime(sum, c.NotBefore)
	sum = append(sum, `,"notAfter":`...)
	sum = appendTime(sum, c.NotAfter)
	if rec.LdapURL != "" {
		sum = append(sum, `,"ldapUrl":`...)
		sum = registry.AppendJSONString(sum, rec.LdapURL)
	}
	sum = append(sum, '}')
	hit := registry.CertEntry{Usage: e.Usage, Times: e.Times, UsageMismatch: e.UsageMismatch, Body: sum}
	add := func(field byte, v string) {
		norm := registry.NormaliseCertField(nil, v)
		if len(norm) == 0 || bytes.IndexByte(norm, 0) >= 0 {
			return
		}
		k := registry.CertSearchPrefix(nil, field, norm)
		k = append(k, 0)
		k = binary.BigEndian.AppendUint32(k, her)
		k = append(k, byte(e.Usage))
		out = append(out, [2][]byte{k, registry.AppendCertSearchValue(nil, norm, &hit)})
	}
	add(registry.CertFieldCN, c.Subject.CommonName)
	for _, ou := range c.Subject.OrganizationalUnit {
		add(registry.CertFieldOU, ou)
	}
	add(registry.CertFieldSerial, c.Subject.SerialNumber)
	return out
}
