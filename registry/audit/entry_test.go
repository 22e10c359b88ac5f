package audit

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// TestRecordFields: what each kind of entry puts in its record (the single
// lookup, an old number asked, bulk and search requests, a caller's fields
// needing JSON escaping).
func TestRecordFields(t *testing.T) {
	for _, c := range []struct {
		name string
		e    Entry
		want Record
	}{
		{"lookup",
			Entry{Caller: Caller{ClientID: "epj-1", OrgnrParent: "999999999"}, Route: "person-lookup", Subject: []byte("01810050019"),
				Asked: []byte("01810050019"), Status: 200, Duration: 1500 * time.Microsecond, Generation: "000007"},
			Record{ClientID: "epj-1", OrgnrParent: "999999999", Route: "person-lookup", Subjects: []string{"01810050019"},
				Status: 200, DurationUs: 1500, Generation: "000007"}},
		{"old-number-asked",
			Entry{Caller: Caller{ClientID: "epj-1"}, Route: "gp-lookup", Subject: []byte("01810050019"), Asked: []byte("41810050011"), Status: 200},
			Record{ClientID: "epj-1", Route: "gp-lookup", Subjects: []string{"01810050019"}, Asked: []string{"41810050011"}, Status: 200}},
		{"bulk",
			Entry{Caller: Caller{ClientID: "epj-2", OrgnrChild: "974589095", OrgnrSupplier: "123456785"}, Route: "person-bulk",
				Subjects: [][]byte{[]byte("01810050019"), []byte("28929999942")}, AskedAll: [][]byte{[]byte("41810050011")}, Status: 200},
			Record{ClientID: "epj-2", OrgnrChild: "974589095", OrgnrSupplier: "123456785", Route: "person-bulk",
				Subjects: []string{"01810050019", "28929999942"}, Asked: []string{"41810050011"}, Status: 200}},
		{"subject-and-subjects",
			Entry{Caller: Caller{ClientID: "c"}, Route: "soap", Subject: []byte("01810050019"), Subjects: [][]byte{[]byte("28929999942")}, Status: 404},
			Record{ClientID: "c", Route: "soap", Subjects: []string{"01810050019", "28929999942"}, Status: 404}},
		{"nobody-answered",
			Entry{Caller: Caller{ClientID: "c"}, Route: "person-search", Status: 200},
			Record{ClientID: "c", Route: "person-search", Subjects: []string{}, Status: 200}},
		{"escaped-caller",
			Entry{Caller: Caller{ClientID: "a\"b\\c\n<d>", OrgnrParent: "\u00e6\u00f8\u00e5"}, Route: "person-lookup", Status: 400},
			Record{ClientID: "a\"b\\c\n<d>", OrgnrParent: "\u00e6\u00f8\u00e5", Route: "person-lookup", Subjects: []string{}, Status: 400}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			l, err := Open(Config{Dir: dir, NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			if err := l.Record(&c.e); err != nil {
				t.Fatal(err)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			recs := readAll(t, dir)
			if len(recs) != 1 {
				t.Fatalf("%d records", len(recs))
			}
			got := recs[0]
			if got.Seq != 1 || got.Time.IsZero() || len(got.Hash) != 64 || got.Prev != "0000000000000000000000000000000000000000000000000000000000000000" {
				t.Fatalf("chain fields: seq %d time %v prev %q hash %q", got.Seq, got.Time, got.Prev, got.Hash)
			}
			got.Seq, got.Time, got.Prev, got.Hash = 0, time.Time{}, "", ""
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("record\n got %+v\nwant %+v", got, c.want)
			}
			if n, err := Verify(dir); err != nil || n != 1 {
				t.Fatalf("verify: %d, %v", n, err)
			}
		})
	}
}

func readAll(t *testing.T, dir string) []Record {
	t.Helper()
	files, err := auditFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []Record
	for _, name := range files {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var r Record
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Fatalf("%s: %v: %s", name, err, sc.Bytes())
			}
			out = append(out, r)
		}
		f.Close()
	}
	return out
}

// TestReopenAfterTornTail: a crash mid-write leaves a partial last line (no
// client was answered for it); reopening cuts it off and continues the
// chain.
func TestReopenAfterTornTail(t *testing.T) {
	dir := t.TempDir()
	writeAuditRecords(t, dir, 5, 1<<20)
	files, _ := auditFiles(dir)
	last := filepath.Join(dir, files[len(files)-1])
	f, err := os.OpenFile(last, os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"seq":6,"time":"2026-`)
	f.Close()
	if n, err := Verify(dir); err != nil || n != 5 {
		t.Fatalf("verify with a torn tail: %d, %v", n, err)
	}
	writeAuditRecords(t, dir, 3, 1<<20)
	if n, err := Verify(dir); err != nil || n != 8 {
		t.Fatalf("verify after reopening: %d, %v", n, err)
	}
}

// TestSearchFollowsLinkedNumbers: a lookup by an old number records the
// person under their current number with the number asked, so searching
// either number finds every access to the person, and an unrelated person's
// records are not returned.
func TestSearchFollowsLinkedNumbers(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(Config{Dir: dir, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	const cur, old, other = "01810050019", "41810050011", "28929999942"
	for _, e := range []Entry{
		{Caller: Caller{ClientID: "by-current"}, Route: "person-lookup", Subject: []byte(cur), Status: 200},
		{Caller: Caller{ClientID: "by-old"}, Route: "person-lookup", Subject: []byte(cur), Asked: []byte(old), Status: 200},
		{Caller: Caller{ClientID: "other"}, Route: "person-lookup", Subject: []byte(other), Status: 200},
		{Caller: Caller{ClientID: "bulk"}, Route: "person-bulk", Subjects: [][]byte{[]byte(other), []byte(cur)}, Status: 200},
	} {
		if err := l.Record(&e); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	for _, c := range []struct {
		numbers []string
		want    []string
	}{
		{[]string{cur}, []string{"by-current", "by-old", "bulk"}},
		{[]string{old}, []string{"by-current", "by-old", "bulk"}},
		{[]string{other}, []string{"other", "bulk"}},
		{[]string{"31899999911"}, nil},
	} {
		var got []string
		if err := Search(dir, c.numbers, func(r *Record) bool { got = append(got, r.ClientID); return true }); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("search %v: %v, want %v", c.numbers, got, c.want)
		}
	}
	// fn returning false stops the search.
	n := 0
	Search(dir, []string{cur}, func(*Record) bool { n++; return false })
	if n != 1 {
		t.Fatalf("search went on after fn returned false: %d", n)
	}
}

// TestRecordAfterClose: a closed (or failed) log refuses records, so the
// request fails instead of answering unaudited.
func TestRecordAfterClose(t *testing.T) {
	var a Auditor
	l, err := Open(Config{Dir: t.TempDir(), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	a = l
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.Record(&Entry{Caller: Caller{ClientID: "x"}, Route: "person-lookup", Status: 200}); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("record after close: %v", err)
	}
}

func TestVerifyRejectsBadHead(t *testing.T) {
	for _, c := range []struct{ name, head string }{
		{"one-field", "7\n"},
		{"not-a-number", "x " + "00" + "\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeAuditRecords(t, dir, 2, 1<<20)
			os.WriteFile(filepath.Join(dir, auditHead), []byte(c.head), 0o600)
			if _, err := Verify(dir); err == nil {
				t.Fatal("malformed HEAD accepted")
			}
		})
	}
}
