package loader

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/grunndata/grunndata/loader/freg"
	"github.com/grunndata/grunndata/loader/synth"
	"github.com/grunndata/grunndata/registry"
)

// TestSearchKeysOfViewMatchWrittenKeys: the keys a delta deletes for a
// replaced person are exactly the keys the load wrote for it, so a name
// change or a move leaves no stale search entry.
func TestSearchKeysOfViewMatchWrittenKeys(t *testing.T) {
	src := t.TempDir()
	cfg := synth.DefaultConfig()
	cfg.Out = src
	if _, err := synth.Generate(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(src, "freg", "bulkoppslag-000001.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, _ := gzip.NewReader(f)
	b, _ := io.ReadAll(zr)
	var resp struct {
		Oppslag []struct {
			Person json.RawMessage `json:"folkeregisterperson"`
		} `json:"oppslag"`
	}
	if err := json.Unmarshal(b, &resp); err != nil {
		t.Fatal(err)
	}
	for i, o := range resp.Oppslag[:200] {
		p, _, err := freg.ParsePerson(o.Person)
		if err != nil {
			t.Fatal(err)
		}
		full, _, sum := p.View(nil)
		n, _, err := registry.ParseNIN([]byte(sum.NIN))
		if err != nil {
			t.Fatal(err)
		}
		var written, derived [][]byte
		for _, e := range appendSearchKeys(nil, n, &sum) {
			written = append(written, e.key)
		}
		derived = searchKeysOfView(full, n)
		sortKeys := func(k [][]byte) { sort.Slice(k, func(a, b int) bool { return bytes.Compare(k[a], k[b]) < 0 }) }
		sortKeys(written)
		sortKeys(derived)
		if len(written) == 0 || len(written) != len(derived) {
			t.Fatalf("person %d: wrote %d keys, derived %d", i, len(written), len(derived))
		}
		for j := range written {
			if !bytes.Equal(written[j], derived[j]) {
				t.Fatalf("person %d: key %q written, %q derived", i, written[j], derived[j])
			}
		}
	}
}
