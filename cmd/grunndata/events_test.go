package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grunndata/grunndata/internal/testwait"
	"github.com/grunndata/grunndata/loader"
	"github.com/grunndata/grunndata/loader/loadertest"
	"github.com/grunndata/grunndata/loader/synth"
)

type feedPage struct {
	Items []struct {
		Seq    uint64          `json:"seq"`
		Type   string          `json:"type"`
		ID     json.RawMessage `json:"id"`
		Entity json.RawMessage `json:"entity"`
	} `json:"items"`
	LastSeq   uint64 `json:"lastSeq"`
	NextAfter uint64 `json:"nextAfter"`
}

func TestChangeFeeds(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src")
	cfg := synth.DefaultConfig()
	cfg.Out, cfg.Deltas = src, 1
	if _, err := synth.Generate(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(t.TempDir(), "data")
	loadertest.Load(t, src, data)
	m := MustRunMain(t, data, nil)
	api := "http://" + m.APIAddr()
	feed := func(reg, q string) (feedPage, response) {
		r := do(t, "GET", api+"/v1/events/"+reg+q, "", "")
		var p feedPage
		json.Unmarshal(r.body, &p)
		return p, r
	}
	if p, r := feed("communication-parties", ""); r.status != 200 || p.LastSeq != 0 || len(p.Items) != 0 {
		t.Fatalf("first load: feeds start empty: %d %s", r.status, r.body)
	}

	// A second bulk load in which one party is renamed and one HPR person
	// is gone: exactly those are the changes.
	lines := strings.Split(strings.TrimSpace(string(gunzip(t, filepath.Join(src, "ar.jsonl.gz")))), "\n")
	// Edit the bytes, not a re-encoding: the feed compares stored bytes, and
	// re-encoding would reorder keys that the children inherit.
	var party struct {
		DisplayName string `json:"displayName"`
	}
	json.Unmarshal([]byte(lines[0]), &party)
	old, _ := json.Marshal(party.DisplayName)
	lines[0] = strings.Replace(lines[0], `"displayName":`+string(old), `"displayName":"Omdøpt i generasjon to"`, 1)
	gzipTo(t, filepath.Join(src, "ar.jsonl.gz"), []byte(strings.Join(lines, "\n")+"\n"))
	hpr := strings.Split(strings.TrimSpace(string(gunzip(t, filepath.Join(src, "hpr.jsonl.gz")))), "\n")
	var dropped struct {
		HPR int64 `json:"hprNumber"`
	}
	// Drop an HPR person who is not a GP and not in AR (no references).
	for i := len(hpr) - 1; i >= 0; i-- {
		json.Unmarshal([]byte(hpr[i]), &dropped)
		if !strings.Contains(string(gunzip(t, filepath.Join(src, "ar.jsonl.gz"))), `"hprNumber":`+itoa64(dropped.HPR)) &&
			!strings.Contains(string(gunzip(t, filepath.Join(src, "flr_contracts.jsonl.gz"))), `"hprNumber":`+itoa64(dropped.HPR)) {
			hpr = append(hpr[:i], hpr[i+1:]...)
			break
		}
	}
	gzipTo(t, filepath.Join(src, "hpr.jsonl.gz"), []byte(strings.Join(hpr, "\n")+"\n"))
	loadertest.Load(t, src, data)
	waitFor(t, func() bool { return m.Store().Active().ID() == "000002" })

	p, r := feed("communication-parties", "?after=0")
	if r.status != 200 || p.LastSeq != 1 || len(p.Items) != 1 || p.Items[0].Type != "upsert" ||
		!strings.Contains(string(p.Items[0].Entity), "Omdøpt i generasjon to") {
		t.Fatalf("party feed after a reload: %s", r.body)
	}
	// The AR person children of the renamed party inherit nothing from its
	// displayName, so only the party itself changed.
	p, r = feed("personnel", "?after=0")
	if len(p.Items) != 1 || p.Items[0].Type != "delete" || string(p.Items[0].ID) != itoa64(dropped.HPR) {
		t.Fatalf("personnel feed: %s", r.body)
	}
	if p, _ := feed("persons", "?after=0"); p.LastSeq != 0 {
		t.Fatalf("persons changed though no person did: %d", p.LastSeq)
	}

	// A delta: every applied Freg and Brreg change is an event, gap-free,
	// resumable from any sequence number.
	dcfg := loader.DefaultConfig(filepath.Join(src, "deltas", "0001"), data)
	dcfg.Now = loadertest.Now
	if _, err := loader.RunDelta(context.Background(), dcfg); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return m.Store().Active().ID() == "000003" })
	all, r := feed("persons", "?after=0&limit=1000")
	if r.status != 200 || all.LastSeq == 0 || uint64(len(all.Items)) != all.LastSeq {
		t.Fatalf("persons feed after a delta: %.300s", r.body)
	}
	for i, it := range all.Items {
		if it.Seq != uint64(i+1) {
			t.Fatalf("gap: item %d has seq %d", i, it.Seq)
		}
		if it.Type == "upsert" && !strings.Contains(string(it.Entity), `"nin":`+string(it.ID)) {
			t.Fatalf("event %d: entity is not the person %s", it.Seq, it.ID)
		}
	}
	mid := all.LastSeq / 2
	rest, _ := feed("persons", "?after="+itoa64(int64(mid))+"&limit=1000")
	if len(rest.Items) == 0 || rest.Items[0].Seq != mid+1 || rest.NextAfter != all.LastSeq {
		t.Fatalf("resume after %d: %+v", mid, rest)
	}
	if o, r := feed("organisations", "?after=0&limit=1000"); r.status != 200 || o.LastSeq == 0 {
		t.Fatalf("organisations feed after a delta: %.300s", r.body)
	}
	if _, r := feed("nothing", ""); r.status != 404 {
		t.Fatalf("unknown feed: %d", r.status)
	}

	// Retention: a reload that keeps one event per register answers 410 to a
	// client further behind, with the oldest sequence number still there.
	lcfg := loader.DefaultConfig(src, data)
	lcfg.Now, lcfg.EventRetention, lcfg.SortBytes = loadertest.Now, 1, 8<<20
	if _, err := loader.Run(context.Background(), lcfg); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return m.Store().Active().ID() == "000004" })
	_, r = feed("persons", "?after=0")
	if r.status != 410 || !strings.Contains(string(r.body), `"oldestAvailable":`) {
		t.Fatalf("after older than retention: %d %s", r.status, r.body)
	}
}

// waitFor waits for cond within testwait.Bound.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	testwait.For(t, testwait.Bound, cond, nil)
}
