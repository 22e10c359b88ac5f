package registry

import (
	"encoding/binary"
	"encoding/json"
	"sort"
	"time"
)

// Certificate problems a report lists: what a virksomhet must fix before its
// EDI breaks.
const (
	CertProblemMissing       = "missing"       // an active organisation or service has no certificate, own or inherited, in a slot
	CertProblemExpiringSoon  = "expiringSoon"  // valid now, expires within the horizon
	CertProblemExpired       = "expired"       // current certificate past notAfter
	CertProblemNotYetValid   = "notYetValid"   // current certificate before notBefore
	CertProblemRevoked       = "revoked"       // listed in a loaded CRL
	CertProblemUntrusted     = "untrusted"     // no chain to a loaded CA
	CertProblemUsageMismatch = "usageMismatch" // key usage does not fit the slot
)

// certProblemOrder is the report's order: what breaks EDI now first.
var certProblemOrder = map[string]int{CertProblemRevoked: 0, CertProblemUntrusted: 1, CertProblemExpired: 2,
	CertProblemUsageMismatch: 3, CertProblemMissing: 4, CertProblemNotYetValid: 5, CertProblemExpiringSoon: 6}

// CertFinding is one problem of one party's slot.
type CertFinding struct {
	HerID   uint32 `json:"herId"`
	Name    string `json:"name"`
	Type    string `json:"type"`
	Problem string `json:"problem"`
	Usage   string `json:"usage"`
	// NotAfter is the certificate's expiry (absent for missing).
	NotAfter *time.Time `json:"notAfter,omitempty"`
	// RevokedAt is the CRL's revocation time (revoked only).
	RevokedAt *time.Time `json:"revokedAt,omitempty"`
	// Dependants counts the parties that inherit this slot from the party.
	Dependants int `json:"dependants"`
}

// CertReport is the certificate report of a generation at one instant.
type CertReport struct {
	Generation string         `json:"generation"`
	At         time.Time      `json:"at"`
	WithinDays int            `json:"withinDays"`
	Summary    map[string]int `json:"summary"`
	Findings   []CertFinding  `json:"findings"`
}

type reportParty struct {
	Type   string `json:"type"`
	Name   string `json:"name"`
	Active *bool  `json:"active"`
}

// BuildCertReport lists the certificate problems of generation v at instant
// at, with expiry horizon withinDays: for each party holding certificates,
// each current certificate that is revoked, untrusted, expired, not yet
// valid, in the wrong slot or expiring within the horizon (with how many
// parties inherit it), and each active organisation or service that lacks a
// slot. It reads every communication party: a cold path for operators.
func BuildCertReport(v View, at time.Time, withinDays int) (*CertReport, error) {
	rep := &CertReport{Generation: v.ID(), At: at.UTC(), WithinDays: withinDays, Summary: map[string]int{}, Findings: []CertFinding{}}
	parties := map[uint32]reportParty{}
	var scanErr error
	err := v.Scan([]byte{byte(RegParty)}, nil, func(k, val []byte) bool {
		_, full, _, err := DecodeValue(val)
		if err != nil || len(k) != 5 {
			scanErr = ErrBadValue
			return false
		}
		var p reportParty
		if err := json.Unmarshal(full, &p); err != nil {
			scanErr = err
			return false
		}
		parties[binary.BigEndian.Uint32(k[1:])] = p
		return true
	})
	if err == nil {
		err = scanErr
	}
	if err != nil {
		return nil, err
	}
	type slotRef struct {
		her  uint32
		mask byte
	}
	have := map[uint32]byte{}       // party → slots it holds itself
	dependants := map[slotRef]int{} // owner slot → parties inheriting it
	type owned struct {
		her uint32
		e   CertEntry
	}
	var own []owned
	var inherits []slotRef // (owner, mask) per inheriting party, in the order of heirs
	var heirs []uint32
	err = v.Scan([]byte{byte(RegCertificates)}, nil, func(k, val []byte) bool {
		her := binary.BigEndian.Uint32(k[1:])
		it, owner, mask, err := OpenCertSet(val)
		if err != nil {
			scanErr = err
			return false
		}
		var e CertEntry
		for it.Next(&e) {
			have[her] |= CertMask(e.Usage)
			own = append(own, owned{her, CertEntry{Usage: e.Usage, Times: e.Times, UsageMismatch: e.UsageMismatch}})
		}
		if it.Err() != nil {
			scanErr = it.Err()
			return false
		}
		if have[her] != 0 {
			rep.Summary["holding"]++
		}
		if owner != 0 && mask != 0 {
			inherits = append(inherits, slotRef{owner, mask})
			heirs = append(heirs, her)
		}
		return true
	})
	if err == nil {
		err = scanErr
	}
	if err != nil {
		return nil, err
	}
	usable := make(map[uint32]byte, len(have))
	for her, m := range have {
		usable[her] = m
	}
	for i, in := range inherits {
		eff := in.mask & have[in.her] // only what the owner holds itself
		if eff == 0 {
			continue
		}
		usable[heirs[i]] |= eff
		rep.Summary["inheriting"]++
		for _, u := range []CertUsage{CertEncryption, CertSignature} {
			if eff&CertMask(u) != 0 {
				dependants[slotRef{in.her, CertMask(u)}]++
			}
		}
	}
	now := at.Unix()
	horizon := at.Add(time.Duration(withinDays) * 24 * time.Hour).Unix()
	add := func(her uint32, problem string, u CertUsage, e *CertEntry) {
		p := parties[her]
		f := CertFinding{HerID: her, Name: p.Name, Type: p.Type, Problem: problem, Usage: u.String(),
			Dependants: dependants[slotRef{her, CertMask(u)}]}
		if e != nil {
			na := time.Unix(e.Times.NotAfter, 0).UTC()
			f.NotAfter = &na
			if e.Times.RevokedAt != 0 && problem == CertProblemRevoked {
				ra := time.Unix(e.Times.RevokedAt, 0).UTC()
				f.RevokedAt = &ra
			}
		}
		rep.Findings = append(rep.Findings, f)
		rep.Summary[problem]++
	}
	for i := range own {
		o := &own[i]
		rep.Summary["certificates"]++
		switch o.e.Times.StatusAt(now) {
		case CertRevoked:
			add(o.her, CertProblemRevoked, o.e.Usage, &o.e)
		case CertUntrusted:
			add(o.her, CertProblemUntrusted, o.e.Usage, &o.e)
		case CertExpired:
			add(o.her, CertProblemExpired, o.e.Usage, &o.e)
		case CertNotYetValid:
			add(o.her, CertProblemNotYetValid, o.e.Usage, &o.e)
		case CertValid:
			if o.e.Times.NotAfter <= horizon {
				add(o.her, CertProblemExpiringSoon, o.e.Usage, &o.e)
			}
		}
		if o.e.UsageMismatch {
			add(o.her, CertProblemUsageMismatch, o.e.Usage, &o.e)
		}
	}
	for her, p := range parties {
		rep.Summary["parties"]++
		if p.Type == "Person" || (p.Active != nil && !*p.Active) {
			continue // persons message through their organisation; inactive parties do not message
		}
		for _, u := range []CertUsage{CertEncryption, CertSignature} {
			if usable[her]&CertMask(u) == 0 {
				add(her, CertProblemMissing, u, nil)
			}
		}
	}
	sort.Slice(rep.Findings, func(i, j int) bool {
		a, b := &rep.Findings[i], &rep.Findings[j]
		if a.Problem != b.Problem {
			return certProblemOrder[a.Problem] < certProblemOrder[b.Problem]
		}
		if a.HerID != b.HerID {
			return a.HerID < b.HerID
		}
		return a.Usage < b.Usage
	})
	return rep, nil
}

// CollectCertTimes returns the times of every current certificate a party
// holds itself (inherited slots are not counted twice): the input of the
// certificate gauges, kept per generation so that a scrape is a loop of
// comparisons.
func CollectCertTimes(v View) ([]CertTimes, error) {
	var out []CertTimes
	var bad error
	err := v.Scan([]byte{byte(RegCertificates)}, nil, func(_, val []byte) bool {
		it, _, _, err := OpenCertSet(val)
		if err != nil {
			bad = err
			return false
		}
		var e CertEntry
		for it.Next(&e) {
			out = append(out, e.Times)
		}
		bad = it.Err()
		return bad == nil
	})
	if err == nil {
		err = bad
	}
	return out, err
}

// CountCerts counts, at now, the certificates that are valid and expire
// within the horizon (grunndata_certificates_expiring_soon) and those that
// are revoked (grunndata_certificates_revoked).
func CountCerts(ts []CertTimes, now time.Time, within time.Duration) (expiringSoon, revoked int) {
	n, h := now.Unix(), now.Add(within).Unix()
	for i := range ts {
		switch ts[i].StatusAt(n) {
		case CertValid:
			if ts[i].NotAfter <= h {
				expiringSoon++
			}
		case CertRevoked:
			revoked++
		}
	}
	return expiringSoon, revoked
}
