package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/internal/testwait"
	"github.com/grunndata/grunndata/loader/loadertest"
	"github.com/grunndata/grunndata/registry"
	"github.com/grunndata/grunndata/registry/audit"
)

// TestBackupRestoreUnderLoad backs up a running server's AIN store and
// audit log while AIN allocations and person lookups are in flight
// (`grunndata backup --data DIR --out FILE`, which finds the server through
// DATADIR/SERVING), restores into an empty directory, and checks that every
// AIN allocated and every audit record written before the backup began is
// there, byte for byte, and that `grunndata audit verify` and `grunndata ain
// verify` pass on the restored directory. It also checks that a damaged or
// cut-off archive is refused and that restore never overwrites.
func TestBackupRestoreUnderLoad(t *testing.T) {
	data, _ := loadertest.Snapshot(t)
	m := MustRunMain(t, data, nil)
	id := findIDs(t, m)
	api := "http://" + m.APIAddr()
	client := &http.Client{}
	post := func(path, body string) (int, []byte) {
		res, err := client.Post(api+path, "application/json", strings.NewReader(body))
		if err != nil {
			return 0, nil
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
	}
	var (
		mu        sync.Mutex
		allocated []string // AINs whose 201 arrived
		lookups   atomic.Int64
		stop      atomic.Bool
		wg        sync.WaitGroup
	)
	for w := 0; w < 2; w++ {
		wg.Add(2)
		go func() { // AIN allocations
			defer wg.Done()
			for !stop.Load() {
				st, b := post("/v1/ain", `{"givenName":"Test","familyName":"Backup","birthYear":1980,"gender":"ukjent"}`)
				if st != 201 {
					t.Errorf("allocate AIN: %d %s", st, b)
					return
				}
				var r struct {
					NIN string `json:"nin"`
				}
				if err := json.Unmarshal(b, &r); err != nil || r.NIN == "" {
					t.Errorf("allocate AIN: %s", b)
					return
				}
				mu.Lock()
				allocated = append(allocated, r.NIN)
				mu.Unlock()
			}
		}()
		go func() { // audited person lookups
			defer wg.Done()
			for !stop.Load() {
				if st, b := post("/v1/persons/lookup", `{"nin":"`+id.gpPatient+`"}`); st != 200 {
					t.Errorf("person lookup: %d %s", st, b)
					return
				}
				lookups.Add(1)
			}
		}()
	}
	// Let the load run, then note what was answered before the backup.
	testwait.For(t, testwait.Bound, func() bool {
		mu.Lock()
		n := len(allocated)
		mu.Unlock()
		return (n >= 100 && lookups.Load() >= 100) || t.Failed()
	}, func() string { return "the load did not reach 100 AINs and 100 lookups" })
	mu.Lock()
	before := append([]string(nil), allocated...)
	mu.Unlock()
	auditDir := filepath.Join(data, "audit")
	auditBefore := auditLines(t, auditDir) // records durable before the backup began

	out := filepath.Join(t.TempDir(), "backup.tar.gz")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"backup", "--data", data, "--out", out}, &stdout, &stderr)
	stop.Store(true)
	wg.Wait()
	if code != 0 {
		t.Fatalf("backup: exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "through the server") || !strings.Contains(stdout.String(), "verified") {
		t.Fatalf("backup did not go through the running server: %s", stdout.String())
	}
	t.Logf("%s (%d AINs answered and %d audit records durable before it began)", strings.TrimSpace(stdout.String()), len(before), len(auditBefore))

	restored := filepath.Join(t.TempDir(), "restored")
	stdout.Reset()
	stderr.Reset()
	if code := run(context.Background(), []string{"restore", "--from", out, "--data", restored}, &stdout, &stderr); code != 0 {
		t.Fatalf("restore: exit %d: %s", code, stderr.String())
	}
	// Every AIN answered before the backup is in the restored store.
	ain, err := index.OpenAINStore(restored, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range before {
		n, _, err := registry.ParseNIN([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		k := registry.PersonKey(n)
		if v, err := ain.Get(nil, &k); err != nil || !bytes.Contains(v, []byte(s)) {
			t.Errorf("AIN allocated before the backup is not restored: %v", err)
		}
	}
	ain.Close()
	// Every audit record durable before the backup is restored unchanged,
	// and the restored log is the live log's prefix.
	restoredLines := auditLines(t, filepath.Join(restored, "audit"))
	if len(restoredLines) < len(auditBefore) {
		t.Fatalf("restored audit log has %d records, %d were durable before the backup", len(restoredLines), len(auditBefore))
	}
	live := auditLines(t, auditDir)
	for i, l := range restoredLines {
		if i >= len(live) || l != live[i] {
			t.Fatalf("restored audit record %d differs from the live log's", i+1)
		}
	}
	var ainRecords int
	for _, l := range restoredLines {
		if strings.Contains(l, `"route":"ain"`) {
			ainRecords++
		}
	}
	if ainRecords < len(before) {
		t.Errorf("restored audit log has %d AIN allocation records, %d AINs were answered before the backup", ainRecords, len(before))
	}
	for _, args := range [][]string{{"audit", "verify", "--data", restored}, {"ain", "verify", "--data", restored}} {
		stdout.Reset()
		stderr.Reset()
		if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
			t.Fatalf("%s on the restored directory: exit %d: %s", strings.Join(args, " "), code, stderr.String())
		}
	}

	// Restore never overwrites.
	stderr.Reset()
	if code := run(context.Background(), []string{"restore", "--from", out, "--data", restored}, io.Discard, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), "not empty") {
		t.Fatalf("restore over a restored directory: exit %d: %s", code, stderr.String())
	}
	// A cut-off or altered archive is refused and restores nothing.
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string][]byte{
		"cut-off": b[:len(b)*2/3],
		"altered": alterBackup(t, b),
	} {
		p := filepath.Join(t.TempDir(), name+".tar.gz")
		os.WriteFile(p, bad, 0o600)
		dst := filepath.Join(t.TempDir(), "d")
		stderr.Reset()
		if code := run(context.Background(), []string{"restore", "--from", p, "--data", dst}, io.Discard, &stderr); code != 1 {
			t.Errorf("%s archive restored: exit %d", name, code)
		}
		if _, err := os.Stat(index.AINDir(dst)); err == nil {
			t.Errorf("%s archive left an AIN store behind", name)
		}
		t.Logf("%s: %s", name, strings.TrimSpace(stderr.String()))
	}
}

// TestBackupOffline backs up a data directory no server holds (the command
// opens the AIN store itself) and restores it.
func TestBackupOffline(t *testing.T) {
	data := t.TempDir()
	s, err := index.OpenAINStore(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		if _, _, err := s.Allocate(func(n registry.NIN) []byte { return []byte(`{"nin":"` + string(n[:]) + `"}`) }, nil); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	a, err := audit.Open(audit.Config{Dir: filepath.Join(data, "audit")})
	if err != nil {
		t.Fatal(err)
	}
	p := audit.Caller{ClientID: "epj-1"}
	for i := 0; i < 5; i++ {
		if err := a.Record(&audit.Entry{Caller: p, Route: "person-lookup", Subject: []byte("01810050019"), Status: 200}); err != nil {
			t.Fatal(err)
		}
	}
	a.Close()
	out := filepath.Join(t.TempDir(), "b.tar.gz")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"backup", "--data", data, "--out", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("backup: %d %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "directly") || !strings.Contains(stdout.String(), "10 AINs, 5 audit records") {
		t.Fatalf("backup: %s", stdout.String())
	}
	dst := filepath.Join(t.TempDir(), "r")
	if code := run(context.Background(), []string{"restore", "--from", out, "--data", dst}, &stdout, &stderr); code != 0 {
		t.Fatalf("restore: %d %s", code, stderr.String())
	}
	if n, err := audit.Verify(filepath.Join(dst, "audit")); err != nil || n != 5 {
		t.Fatalf("restored audit: %d %v", n, err)
	}
}

func auditLines(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents { // ReadDir sorts by name: audit-000001.jsonl, …
		if !strings.HasPrefix(e.Name(), "audit-") {
			continue
		}
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(f)
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				break // EOF, or a torn tail being written
			}
			out = append(out, l)
		}
		f.Close()
	}
	return out
}

// alterBackup changes one audit record's client inside the archive, in the
// uncompressed tar (so gzip and tar still read it), and compresses it again.
func alterBackup(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(raw, []byte(`"clientId":"`))
	if i < 0 {
		t.Fatal("no audit record in the archive")
	}
	raw[i+len(`"clientId":"`)] ^= 0x01
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(raw)
	zw.Close()
	return buf.Bytes()
}
