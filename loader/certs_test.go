package loader_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/loader"
	"github.com/grunndata/grunndata/loader/loadertest"
	"github.com/grunndata/grunndata/registry"
)

// renderCerts renders what GET /v1/communication-parties/{her}/certificates
// answers at now: own entries, then the slots inherited from the owner.
func renderCerts(t *testing.T, v registry.View, fam registry.Register, her uint32, now int64) (string, bool) {
	t.Helper()
	k := registry.SerialKey(fam, uint64(her))
	val, err := v.Get(nil, &k)
	if errors.Is(err, registry.ErrNotFound) {
		return "", false
	}
	if err != nil {
		t.Fatal(err)
	}
	first := true
	out, owner, mask, err := registry.AppendCertEntries([]byte(`[`), val, 0, 0xff, now, false, &first)
	if err != nil {
		t.Fatal(err)
	}
	if owner != 0 {
		ok := registry.SerialKey(fam, uint64(owner))
		ov, err := v.Get(nil, &ok)
		if err != nil {
			t.Fatalf("owner %d of %d: %v", owner, her, err)
		}
		if out, _, _, err = registry.AppendCertEntries(out, ov, 0, mask, now, true, &first); err != nil {
			t.Fatal(err)
		}
	}
	return string(out) + "]", true
}

type servedCert struct {
	Usage        string `json:"usage"`
	Status       string `json:"status"`
	Inherited    bool   `json:"inherited"`
	OwnerHerID   uint32 `json:"ownerHerId"`
	UsageMatches bool   `json:"usageMatches"`
	ReplacedAt   string `json:"replacedAt"`
	Revocation   *struct {
		Time, Reason string
	} `json:"revocation"`
	Certificate string `json:"certificate"`
	PEM         string `json:"pem"`
	Chain       []struct {
		Subject string `json:"subject"`
	} `json:"chain"`
}

// TestCertificatesLoad loads the small preset and checks the certificate
// register: every status appears at the test clock, children inherit their
// organisation's certificates (inherited: true, owner = parent), a revoked
// certificate carries the CRL's time and reason, the history holds the
// replaced ones; a golden file keeps the response bytes of a few parties.
func TestCertificatesLoad(t *testing.T) {
	data, _ := loadertest.Snapshot(t)
	st, err := index.Open(index.Config{Dir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	v, err := st.Acquire()
	if err != nil {
		t.Fatal(err)
	}
	defer v.Release()
	now := loadertest.Now().Unix()

	statuses := map[string]int{}
	var owners, inheriting, withHistory []uint32
	golden := map[string]uint32{}
	err = v.Scan([]byte{byte(registry.RegCertificates)}, nil, func(k, val []byte) bool {
		her := binary.BigEndian.Uint32(k[1:])
		_, owner, _, err := registry.OpenCertSet(val)
		if err != nil {
			t.Fatalf("party %d: %v", her, err)
		}
		if owner != 0 {
			inheriting = append(inheriting, her)
		} else {
			owners = append(owners, her)
		}
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(owners) < 50 || len(inheriting) < 50 {
		t.Fatalf("%d parties with certificates of their own, %d inheriting: want many of both", len(owners), len(inheriting))
	}
	for _, her := range owners {
		body, _ := renderCerts(t, v, registry.RegCertificates, her, now)
		var cs []servedCert
		if err := json.Unmarshal([]byte(body), &cs); err != nil {
			t.Fatalf("party %d: %v\n%s", her, err, body)
		}
		for _, c := range cs {
			statuses[c.Status]++
			if c.Inherited || c.OwnerHerID != her {
				t.Errorf("party %d: own certificate marked inherited %v, owner %d", her, c.Inherited, c.OwnerHerID)
			}
			if _, ok := golden[c.Status]; !ok {
				golden[c.Status] = her
			}
			if !c.UsageMatches {
				golden["usage mismatch"] = her
			}
			if c.Status == "revoked" && (c.Revocation == nil || c.Revocation.Reason == "" || c.Revocation.Time == "") {
				t.Errorf("party %d: revoked without the CRL's time and reason", her)
			}
			if c.Status != "untrusted" && len(c.Chain) != 2 {
				t.Errorf("party %d: chain of %d, want issuing CA and root", her, len(c.Chain))
			}
			if !strings.HasPrefix(c.PEM, "-----BEGIN CERTIFICATE-----\n") || len(c.Certificate) < 500 {
				t.Errorf("party %d: no DER/PEM", her)
			}
		}
		h, _ := renderCerts(t, v, registry.IdxCertHistory, her, now)
		if strings.Contains(h, `"replacedAt"`) {
			withHistory = append(withHistory, her)
		}
	}
	for _, s := range []string{"valid", "expired", "notYetValid", "revoked", "untrusted"} {
		if statuses[s] == 0 {
			t.Errorf("no %s certificate at %s: %v", s, loadertest.Now(), statuses)
		}
	}
	if len(withHistory) == 0 {
		t.Error("no party has a replaced certificate in its history")
	}
	for _, her := range inheriting[:5] {
		body, _ := renderCerts(t, v, registry.RegCertificates, her, now)
		var cs []servedCert
		if err := json.Unmarshal([]byte(body), &cs); err != nil {
			t.Fatal(err)
		}
		if len(cs) != 2 {
			t.Fatalf("inheriting party %d: %d certificates, want 2", her, len(cs))
		}
		for _, c := range cs {
			if !c.Inherited || c.OwnerHerID == her {
				t.Errorf("party %d: inherited %v owner %d", her, c.Inherited, c.OwnerHerID)
			}
			// The owner is the parent: the children index says so.
			ck := registry.PairKey(registry.IdxPartyChildren, u32(c.OwnerHerID), u32(her))
			if _, err := v.Get(nil, &ck); err != nil {
				t.Errorf("party %d inherits from %d, which is not its parent: %v", her, c.OwnerHerID, err)
			}
		}
	}
	golden["inherited"] = inheriting[0]
	golden["history"] = withHistory[0]

	var g bytes.Buffer
	for _, what := range []string{"valid", "expired", "notYetValid", "revoked", "untrusted", "usage mismatch", "inherited", "history"} {
		her := golden[what]
		fam := registry.RegCertificates
		if what == "history" {
			fam = registry.IdxCertHistory
		}
		body, _ := renderCerts(t, v, fam, her, now)
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, []byte(body), "", "  "); err != nil {
			t.Fatal(err)
		}
		g.WriteString("## " + what + ": herId " + itoa(int(her)) + "\n")
		g.Write(pretty.Bytes())
		g.WriteString("\n\n")
	}
	checkGolden(t, "certificates.golden", g.Bytes())
}

func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the load's output (go test ./loader -run %s -update to accept):\n%s", path, t.Name(), firstDiff(want, got))
	}
}

func firstDiff(a, b []byte) string {
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; i < len(la) || i < len(lb); i++ {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y {
			return "line " + itoa(i+1) + ":\n- " + x + "\n+ " + y
		}
	}
	return ""
}

// TestCertificatesRejects: bad index lines are rejected with their rule;
// the rest loads.
func TestCertificatesRejects(t *testing.T) {
	src := loadertest.Dataset(t)
	path := filepath.Join(src, "certs", "certificates.jsonl.gz")
	lines := readGzipLines(t, path)
	bad := []string{
		strings.Replace(lines[1], `"herId":80001`, `"herId":999999`, 1), // no such party
		lines[2], // 80001 again, after other parties
		`{"herId":80002,"usage":"signature","registered":"2024-01-01T00:00:00Z","certificate":"AAEC"}`, // not a certificate
		`{"herId":80001,"usage":"signature","registered":"2024-01-01T00:00:00Z"}`,                      // no certificate
	}
	// A second current encryption certificate right after the first.
	dup := append([]string{}, lines[:2]...)
	dup = append(dup, lines[1])
	dup = append(dup, lines[2:]...)
	writeGzipLines(t, path, append(dup, bad...))

	cfg := loader.DefaultConfig(src, t.TempDir())
	cfg.Now = loadertest.Now
	cfg.MaxRejectRatio = 1
	cfg.SortBytes = 8 << 20
	rep, err := loader.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var got loader.Stats
	for _, s := range rep.Registers {
		if s.Register == loader.RegCertificates {
			got = s
		}
	}
	if got.Rejects != 5 || got.Records != int64(len(lines)) {
		t.Errorf("certificates: %d records %d rejects, want %d and 5", got.Records, got.Rejects, len(lines))
	}
	report, err := os.ReadFile(rep.RejectFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"rule":"certificate-duplicate-slot"`, `"rule":"dangling-reference"`,
		`"rule":"certificate-order"`, `"rule":"certificate-parse"`, `"rule":"required-field"`, `"position":"line 3"`} {
		if !bytes.Contains(report, []byte(want)) {
			t.Errorf("reject report lacks %s:\n%s", want, report)
		}
	}
}

// TestCertificatesNeedCAs: an index without the CA file fails the load
// (it would otherwise load every certificate as untrusted).
func TestCertificatesNeedCAs(t *testing.T) {
	src := loadertest.Dataset(t)
	if err := os.Remove(filepath.Join(src, "certs", "ca.pem")); err != nil {
		t.Fatal(err)
	}
	cfg := loader.DefaultConfig(src, t.TempDir())
	cfg.SortBytes = 8 << 20
	if _, err := loader.Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "ca.pem") {
		t.Fatalf("load without ca.pem: %v", err)
	}
}

func readGzipLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	sc := bufio.NewScanner(zr)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func writeGzipLines(t *testing.T, path string, lines []string) {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(strings.Join(lines, "\n") + "\n"))
	zw.Close()
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCertificateChangesInFeed: a reload whose certificate index drops one
// party's certificates and another's signing certificate gives
// communication-parties events keyed by the certificate family: a delete
// and an upsert.
func TestCertificateChangesInFeed(t *testing.T) {
	src := loadertest.Dataset(t)
	data := t.TempDir()
	loadertest.Load(t, src, data)
	path := filepath.Join(src, "certs", "certificates.jsonl.gz")
	lines := readGzipLines(t, path)
	var keep []string
	dropped, changed := uint32(0), uint32(0)
	for _, l := range lines {
		var rec struct {
			HerID uint32 `json:"herId"`
			Usage string `json:"usage"`
		}
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatal(err)
		}
		switch {
		case dropped == 0 || rec.HerID == dropped:
			dropped = rec.HerID // the first party loses its certificates
			continue
		case (changed == 0 || rec.HerID == changed) && rec.Usage == "signature":
			changed = rec.HerID // the next party loses its signing certificate
			continue
		}
		keep = append(keep, l)
	}
	writeGzipLines(t, path, keep)
	loadertest.Load(t, src, data)

	st, err := index.Open(index.Config{Dir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	v, err := st.Acquire()
	if err != nil {
		t.Fatal(err)
	}
	defer v.Release()
	got := map[string]bool{}
	err = v.Scan([]byte{byte(registry.IdxEvents), 'A'}, nil, func(k, val []byte) bool {
		typ, pk, ok := registry.DecodeEventValue(val)
		if ok && registry.Register(pk[0]) == registry.RegCertificates {
			got[string(typ)+itoa(int(binary.BigEndian.Uint32(pk[1:])))] = true
		}
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	if !got["d"+itoa(int(dropped))] {
		t.Errorf("no delete event for party %d: %v", dropped, got)
	}
	if !got["u"+itoa(int(changed))] {
		t.Errorf("no upsert event for party %d: %v", changed, got)
	}
	if len(got) > 20 {
		t.Errorf("%d certificate events for two changed parties (and the children of the first): %v", len(got), got)
	}
}
