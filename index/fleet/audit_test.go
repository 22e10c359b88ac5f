package fleet_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/grunndata/grunndata/index/fleet"
	"github.com/grunndata/grunndata/internal/testwait"
	"github.com/grunndata/grunndata/registry/audit"
)

func auditEntry(i int) *audit.Entry {
	subjects := []string{"01810050019", "28929999942", "13916599804"}
	return &audit.Entry{Caller: audit.Caller{ClientID: fmt.Sprintf("epj-%d", i%3), OrgnrParent: "999999999"},
		Route: "person-lookup", Subject: []byte(subjects[i%len(subjects)]), Status: 200, Duration: time.Millisecond, Generation: "000001"}
}

func newAuditor(t testing.TB, c *fleet.Client, cfg fleet.AuditConfig) *fleet.Auditor {
	t.Helper()
	a, err := fleet.NewAuditor(c, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// recordAll records n entries concurrently.
func recordAll(t testing.TB, a *fleet.Auditor, n int) {
	t.Helper()
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if err := a.Record(auditEntry(i)); err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
}

func chainOf(t testing.TB, rep *fleet.AuditReport, replica string) fleet.ChainReport {
	t.Helper()
	for _, c := range rep.Chains {
		if c.Replica == replica {
			return c
		}
	}
	t.Fatalf("no chain of %s in %+v", replica, rep.Chains)
	return fleet.ChainReport{}
}

// TestAuditorChainAndBatching: records wait in one batch while the flusher
// is busy and go out as one message (split by MaxMessageBytes); each
// replica's chain continues across auditors; verify passes.
func TestAuditorChainAndBatching(t *testing.T) {
	ns := startNATS(t)
	c := connect(t, ns.ClientURL())
	ctx := context.Background()

	// Unnamed, the flusher holds every record: 100 records gather in one
	// batch, published as one message once the replica is named.
	a := newAuditor(t, c, fleet.AuditConfig{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); recordAll(t, a, 100) }()
	testwait.For(t, testwait.Bound, func() bool { return a.Pending() == 100 }, nil)
	if err := a.SetReplica("r1"); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	rep, err := c.VerifyAudit(ctx)
	if err != nil || !rep.OK() {
		t.Fatalf("verify: %+v %v", rep, err)
	}
	if cr := chainOf(t, rep, "r1"); cr.Records != 100 || cr.Messages != 1 || cr.LastSeq != 100 {
		t.Fatalf("one batch of 100: %+v", cr)
	}
	a.Close()

	// The chain continues in a new auditor of the same replica; a small
	// MaxMessageBytes splits a batch into several messages.
	a = newAuditor(t, c, fleet.AuditConfig{MaxMessageBytes: 2 << 10})
	wg.Add(1)
	go func() { defer wg.Done(); recordAll(t, a, 60) }()
	testwait.For(t, testwait.Bound, func() bool { return a.Pending() == 60 }, nil)
	a.SetReplica("r1")
	wg.Wait()
	a.Close()
	// Another replica, concurrently with two auditors of one name (a
	// misconfiguration): JetStream refuses the message that does not
	// follow the chain, the auditor reads the chain back and chains its
	// batch after it.
	b1 := newAuditor(t, c, fleet.AuditConfig{Replica: "r2"})
	b2 := newAuditor(t, c, fleet.AuditConfig{Replica: "r2"})
	wg.Add(2)
	go func() { defer wg.Done(); recordAll(t, b1, 300) }()
	go func() { defer wg.Done(); recordAll(t, b2, 300) }()
	wg.Wait()
	b1.Close()
	b2.Close()

	rep, err = c.VerifyAudit(ctx)
	if err != nil || !rep.OK() {
		t.Fatalf("verify: %+v %v", rep, err)
	}
	if cr := chainOf(t, rep, "r1"); cr.Records != 160 || cr.Messages < 1+4 || cr.LastSeq != 160 {
		t.Fatalf("r1: %+v", cr)
	}
	if cr := chainOf(t, rep, "r2"); cr.Records != 600 || cr.LastSeq != 600 {
		t.Fatalf("r2: %+v", cr)
	}

	// who-looked-up across the fleet: every record of the person, on both
	// replicas, also one made under an old number.
	a = newAuditor(t, c, fleet.AuditConfig{Replica: "r3"})
	e := auditEntry(1)
	e.Asked = []byte("41810050015") // an old D-number of the person
	if err := a.Record(e); err != nil {
		t.Fatal(err)
	}
	a.Close()
	per := map[string]int{}
	err = c.SearchAudit(ctx, []string{"41810050015"}, func(replica string, r *audit.Record) bool {
		if r.Subjects[0] != "28929999942" || r.Route != "person-lookup" {
			t.Fatalf("record %+v", r)
		}
		per[replica]++
		return true
	})
	// entries 1, 4, 7, … name 28929999942: 33 of 100, 20 of 60, 200 of 600.
	if err != nil || per["r1"] != 33+20 || per["r2"] != 200 || per["r3"] != 1 {
		t.Fatalf("search: %v %v", per, err)
	}
}

// TestAuditorUnavailable: while NATS does not answer, Record fails within
// the timeout (the request answers 503); once it is back, the chain
// continues where the stream's last record is.
func TestAuditorUnavailable(t *testing.T) {
	dir := t.TempDir()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	cfg := fleet.ServerConfig{StoreDir: dir, Addr: addr}
	ns, err := fleet.StartServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c, err := fleet.Connect(fleet.Config{URL: ns.ClientURL(), Timeout: 2 * time.Second, Retry: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	a := newAuditor(t, c, fleet.AuditConfig{Replica: "r1", Timeout: 500 * time.Millisecond})
	defer a.Close()
	recordAll(t, a, 20)
	ns.Shutdown()
	if err := a.Record(auditEntry(0)); !errors.Is(err, audit.ErrUnavailable) {
		t.Fatalf("record without NATS: %v", err)
	}
	if strings.Contains(fmt.Sprint(err), "01810050019") {
		t.Fatal("the error names the person")
	}
	if ns, err = fleet.StartServer(cfg); err != nil {
		t.Fatal(err)
	}
	defer ns.Shutdown()
	// Reconnected, records are acknowledged again.
	testwait.For(t, testwait.Bound, func() bool { return a.Record(auditEntry(1)) == nil },
		func() string { return "records still fail after NATS came back" })
	recordAll(t, a, 20)
	rep, err := c.VerifyAudit(context.Background())
	if err != nil || !rep.OK() {
		t.Fatalf("verify: %+v %v", rep, err)
	}
	if cr := chainOf(t, rep, "r1"); cr.Records < 41 {
		t.Fatalf("r1 after the outage: %+v", cr)
	}
}

// TestVerifyAuditDetects: a deleted message (on a stream created without
// the deny-delete guard), a record replaced by a modified copy, a forged
// record: verify names the replica and the sequence.
func TestVerifyAuditDetects(t *testing.T) {
	ns := startNATS(t)
	c := connect(t, ns.ClientURL())
	ctx := context.Background()
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	// An operator created the stream by hand, without the guard the
	// auditor sets.
	st, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: fleet.AuditStream, Subjects: []string{fleet.AuditSubject + ">"}})
	if err != nil {
		t.Fatal(err)
	}
	a := newAuditor(t, c, fleet.AuditConfig{Replica: "r1"})
	for i := 0; i < 5; i++ { // one record per message
		if err := a.Record(auditEntry(i)); err != nil {
			t.Fatal(err)
		}
	}
	a.Close()
	if rep, err := c.VerifyAudit(ctx); err != nil || !rep.OK() || chainOf(t, rep, "r1").Messages != 5 {
		t.Fatalf("verify before tampering: %+v %v", rep, err)
	}
	// Record 3 is replaced by a copy saying the lookup failed.
	m3, err := st.GetMsg(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteMsg(ctx, 3); err != nil {
		t.Fatal(err)
	}
	forged := strings.Replace(string(m3.Data), `"status":200`, `"status":404`, 1)
	if _, err := js.Publish(ctx, fleet.AuditSubject+"r1", []byte(forged)); err != nil {
		t.Fatal(err)
	}
	rep, err := c.VerifyAudit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cr := chainOf(t, rep, "r1")
	if rep.OK() || cr.Err == nil || !strings.Contains(cr.Err.Error(), "stream message 4: sequence 4 follows 2") || cr.LastSeq != 2 ||
		rep.Err == nil || !strings.Contains(rep.Err.Error(), "deleted") {
		t.Fatalf("after replacing a record: chain %+v, stream %v", cr, rep.Err)
	}
	// A forged chain on a replica subject of its own: its first record's
	// hash does not match its content.
	m1, _ := st.GetMsg(ctx, 1)
	fake := strings.Replace(string(m1.Data), `"clientId":"epj-0"`, `"clientId":"epj-9"`, 1)
	if _, err := js.Publish(ctx, fleet.AuditSubject+"x", []byte(fake)); err != nil {
		t.Fatal(err)
	}
	rep, _ = c.VerifyAudit(ctx)
	if cr := chainOf(t, rep, "x"); cr.Err == nil || !strings.Contains(cr.Err.Error(), "seq 1: hash mismatch") {
		t.Fatalf("forged record: %+v", cr)
	}
	for _, cr := range rep.Chains {
		if cr.Err != nil && strings.Contains(cr.Err.Error(), "0181005") {
			t.Fatal("a verify error names a person")
		}
	}
}

// TestAuditStreamGuarded: the stream the auditor creates refuses deletes.
func TestAuditStreamGuarded(t *testing.T) {
	ns := startNATS(t)
	c := connect(t, ns.ClientURL())
	a := newAuditor(t, c, fleet.AuditConfig{Replica: "r1"})
	if err := a.Record(auditEntry(0)); err != nil {
		t.Fatal(err)
	}
	a.Close()
	nc, _ := nats.Connect(ns.ClientURL())
	defer nc.Close()
	js, _ := jetstream.New(nc)
	st, err := js.Stream(context.Background(), fleet.AuditStream)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteMsg(context.Background(), 1); err == nil {
		t.Fatal("the audit stream let a record be deleted")
	}
	if err := st.Purge(context.Background()); err == nil {
		t.Fatal("the audit stream let itself be purged")
	}
	if st.CachedInfo().Config.Storage != jetstream.FileStorage {
		t.Fatal("the audit stream is not on file storage")
	}
}
