package synth

import (
	"crypto/x509"
	"encoding/base64"
	"path/filepath"
	"testing"
)

type certLine struct {
	HerID       int     `json:"herId"`
	Usage       string  `json:"usage"`
	ReplacedAt  *string `json:"replacedAt"`
	Certificate string  `json:"certificate"`
}

type arLine struct {
	HerID       int    `json:"herId"`
	Type        string `json:"type"`
	ParentHerID int    `json:"parentHerId"`
	Orgnr       string `json:"organizationNumber"`
	Electronic  []struct {
		Type struct {
			Code string `json:"code"`
		} `json:"type"`
	} `json:"electronicAddresses"`
}

// TestCertificatesFollowAR: certificates belong to the parties with an EDI
// address of their own (organisations; services with their own E_EDI), each
// such party has a current certificate per slot (or none at all: the 3 %
// without), the subject carries the orgnr and the HER-id, and persons have
// none of their own.
func TestCertificatesFollowAR(t *testing.T) {
	dir := small(t)
	parties := map[int]arLine{}
	for _, p := range readLines[arLine](t, filepath.Join(dir, "ar.jsonl.gz")) {
		parties[p.HerID] = p
	}
	current := map[int]map[string]int{}
	for _, c := range readLines[certLine](t, filepath.Join(dir, CertIndexFile)) {
		p, ok := parties[c.HerID]
		if !ok {
			t.Fatalf("certificate of unknown party %d", c.HerID)
		}
		der, err := base64.StdEncoding.DecodeString(c.Certificate)
		if err != nil {
			t.Fatal(err)
		}
		x, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		orgnr := p.Orgnr
		if p.Type != "Organization" {
			orgnr = parties[p.ParentHerID].Orgnr
		}
		if x.Subject.SerialNumber != orgnr || len(x.Subject.OrganizationalUnit) != 1 || x.Subject.OrganizationalUnit[0] != "HER-id:"+itoa(c.HerID) {
			t.Errorf("party %d (orgnr %s): subject %s", c.HerID, orgnr, x.Subject)
		}
		if c.ReplacedAt == nil {
			if current[c.HerID] == nil {
				current[c.HerID] = map[string]int{}
			}
			current[c.HerID][c.Usage]++
		}
	}
	orgs, with := 0, 0
	for her, p := range parties {
		ownEDI := false
		for _, a := range p.Electronic {
			ownEDI = ownEDI || a.Type.Code == "E_EDI"
		}
		cur := current[her]
		switch {
		case p.Type == "Person" && cur != nil:
			t.Errorf("person %d has certificates of its own", her)
		case p.Type == "Service" && (cur != nil) != (ownEDI && current[p.ParentHerID] != nil):
			t.Errorf("service %d: own EDI %v, certificates %v, parent's %v", her, ownEDI, cur, current[p.ParentHerID])
		case cur != nil && (cur["encryption"] != 1 || cur["signature"] != 1):
			t.Errorf("party %d: current certificates %v, want one per slot", her, cur)
		}
		if p.Type == "Organization" {
			orgs++
			if cur != nil {
				with++
			}
		}
	}
	if with == orgs || with < orgs*9/10 {
		t.Errorf("%d of %d organisations have certificates: want most, not all", with, orgs)
	}
}

// BenchmarkCertificates issues the certificates of the first AR records of
// the national preset and reports the cost per certificate, and how many
// certificates the whole preset holds (b.ReportMetric), so the national
// generation time can be read off: certs × ns/cert ÷ workers.
func BenchmarkCertificates(b *testing.B) {
	p, err := LookupPreset("national")
	if err != nil {
		b.Fatal(err)
	}
	w, err := newWorld(p, 1)
	if err != nil {
		b.Fatal(err)
	}
	pk, err := w.newPKI()
	if err != nil {
		b.Fatal(err)
	}
	total := 0
	for k := 0; k < w.arTotal; k++ {
		if _, ok := w.certParty(k); ok {
			total += 2
			for slot := range 2 {
				if w.certSlot(k, slot).replaced {
					total++
				}
			}
		}
	}
	enc := w.encodeCerts(pk)
	var buf []byte
	n := 0
	for i := 0; b.Loop(); i++ {
		lo := (i * 50) % w.arTotal
		var c int
		buf, c = enc(buf[:0], lo, min(lo+50, w.arTotal), nil)
		n += c
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(max(n, 1)), "ns/cert")
	b.ReportMetric(float64(total), "certs-national")
}
