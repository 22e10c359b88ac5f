package registry

import (
	"bytes"
	"fmt"
	"sort"
	"testing"
	"time"
)

// memView is a sorted in-memory generation.
type memView struct{ kv map[string][]byte }

func (m *memView) ID() string  { return "000007" }
func (m *memView) Seq() uint64 { return 7 }
func (m *memView) Release()    {}
func (m *memView) Get(dst []byte, k *Key) ([]byte, error) {
	v, ok := m.kv[string(k.Bytes())]
	if !ok {
		return nil, ErrNotFound
	}
	return append(dst, v...), nil
}
func (m *memView) Scan(prefix, from []byte, fn func(k, v []byte) bool) error {
	var keys []string
	for k := range m.kv {
		if bytes.HasPrefix([]byte(k), prefix) && bytes.Compare([]byte(k), append(append([]byte{}, prefix...), from...)) >= 0 {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !fn([]byte(k), m.kv[k]) {
			break
		}
	}
	return nil
}

func TestBuildCertReport(t *testing.T) {
	at := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	day := int64(86400)
	now := at.Unix()
	m := &memView{kv: map[string][]byte{}}
	party := func(her uint32, typ, name string, active bool) {
		k := SerialKey(RegParty, uint64(her))
		m.kv[string(k.Bytes())] = AppendValue(nil, 0, fmt.Appendf(nil, `{"herId":%d,"type":%q,"name":%q,"active":%t}`, her, typ, name, active), nil)
	}
	certs := func(her, owner uint32, mask byte, es ...CertEntry) {
		k := SerialKey(RegCertificates, uint64(her))
		m.kv[string(k.Bytes())] = AppendCertSet(nil, owner, mask, es)
	}
	entry := func(u CertUsage, nb, na, rev int64, trusted, mismatch bool) CertEntry {
		return CertEntry{Usage: u, Times: CertTimes{NotBefore: nb, NotAfter: na, RevokedAt: rev, Trusted: trusted}, UsageMismatch: mismatch, Body: []byte(`{}`)}
	}
	party(1, "Organization", "Legesenteret", true)
	certs(1, 0, 0, entry(CertEncryption, now-100*day, now+10*day, 0, true, false), entry(CertSignature, now-100*day, now+900*day, now-day, true, false))
	party(2, "Service", "Fastlegetjeneste", true)
	certs(2, 1, CertMaskEncryption|CertMaskSignature)
	party(3, "Person", "Kari Lege", true)
	certs(3, 1, CertMaskEncryption|CertMaskSignature)
	party(4, "Organization", "Uten sertifikat AS", true)
	party(5, "Organization", "Nedlagt AS", false)
	party(6, "Organization", "Feil AS", true)
	certs(6, 0, 0, entry(CertEncryption, now-day, now+900*day, 0, false, false), entry(CertSignature, now-900*day, now-day, 0, true, true))
	party(7, "Organization", "Tidlig AS", true)
	certs(7, 0, 0, entry(CertEncryption, now+day, now+900*day, 0, true, false), entry(CertSignature, now-day, now+900*day, 0, true, false))
	party(8, "Service", "Egen EDI", true) // own encryption; its signature slot would come from 4, which has none
	certs(8, 4, CertMaskSignature, entry(CertEncryption, now-day, now+30*day, 0, true, false))

	rep, err := BuildCertReport(m, at, 30)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range rep.Findings {
		got = append(got, fmt.Sprintf("%s %d %s dependants=%d", f.Problem, f.HerID, f.Usage, f.Dependants))
	}
	want := []string{
		"revoked 1 signature dependants=2",
		"untrusted 6 encryption dependants=0",
		"expired 6 signature dependants=0",
		"usageMismatch 6 signature dependants=0",
		"missing 4 encryption dependants=0",
		"missing 4 signature dependants=0",
		"missing 8 signature dependants=0",
		"notYetValid 7 encryption dependants=0",
		"expiringSoon 1 encryption dependants=2",
		"expiringSoon 8 encryption dependants=0",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("findings:\n%s\nwant:\n%s", join(got), join(want))
	}
	if rep.Summary["parties"] != 8 || rep.Summary["holding"] != 4 || rep.Summary["inheriting"] != 2 || rep.Summary["certificates"] != 7 {
		t.Errorf("summary %v", rep.Summary)
	}

	ts, err := CollectCertTimes(m)
	if err != nil || len(ts) != 7 {
		t.Fatalf("CollectCertTimes: %d, %v", len(ts), err)
	}
	if soon, revoked := CountCerts(ts, at, 30*24*time.Hour); soon != 2 || revoked != 1 {
		t.Errorf("CountCerts = %d expiring, %d revoked; want 2, 1", soon, revoked)
	}
	// A second later nothing changes; 11 days later party 1's encryption
	// certificate has expired and no longer counts as expiring.
	if soon, _ := CountCerts(ts, at.Add(11*24*time.Hour), 30*24*time.Hour); soon != 1 {
		t.Errorf("11 days later: %d expiring, want 1", soon)
	}
}

func join(s []string) string {
	var b bytes.Buffer
	for _, x := range s {
		b.WriteString("  " + x + "\n")
	}
	return b.String()
}
