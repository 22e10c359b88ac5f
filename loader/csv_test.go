package loader_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/grunndata/grunndata/loader"
	"github.com/grunndata/grunndata/loader/brreg"
)

// normalise decodes a served enhet and drops what Brreg's CSV does not
// carry (links, historiskeNavn, respons_klasse); null address lines become
// empty ones, as a CSV cell cannot tell them apart.
func normalise(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	for _, k := range []string{"_links", "links", "historiskeNavn", "respons_klasse"} {
		delete(m, k)
	}
	for _, v := range m {
		o, ok := v.(map[string]any)
		if !ok {
			continue
		}
		delete(o, "_links")
		delete(o, "links")
		if lines, ok := o["adresse"].([]any); ok {
			for i, l := range lines {
				if l == nil {
					lines[i] = ""
				}
			}
		}
	}
	return m
}

// TestCSVRoundTrip writes the generated JSON totalbestand as Brreg's CSV
// (AppendCSV), loads the CSV, and checks every record is served as the
// JSON load serves it, but for the fields the CSV does not carry.
func TestCSVRoundTrip(t *testing.T) {
	f, err := deltaFixture()
	if err != nil {
		t.Fatal(err)
	}
	src, data := t.TempDir(), t.TempDir()
	var orgnrs []string
	for _, kind := range []brreg.Kind{brreg.Enheter, brreg.Underenheter} {
		base := kind.String() + "_alle"
		csv := brreg.AppendCSVHeader(nil, kind)
		err := brreg.Read(bytes.NewReader(readMaybeGz(t, filepath.Join(f.src, base+".json.gz"))), func(rec *brreg.Record) error {
			var err error
			csv, err = brreg.AppendCSV(csv, kind, rec.JSON)
			orgnrs = append(orgnrs, rec.Orgnr)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		writeGz(t, filepath.Join(src, base+".csv.gz"), csv)
	}
	rep, err := loadDir(t, src, data)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range rep.Registers {
		if s.Rejects != 0 || (s.Register == loader.RegEnheter && s.Records != 4000) {
			t.Fatalf("%+v", s)
		}
	}
	fromCSV, done1 := openView(t, data)
	defer done1()
	fromJSON, done2 := openView(t, f.data)
	defer done2()
	for _, o := range orgnrs {
		k := orgKey(t, o)
		_, c, _, ok1 := fromCSV(k)
		_, j, _, ok2 := fromJSON(k)
		if !ok1 || !ok2 {
			t.Fatalf("%s: found in CSV load %v, JSON load %v", o, ok1, ok2)
		}
		if a, b := normalise(t, c), normalise(t, j); !reflect.DeepEqual(a, b) {
			t.Fatalf("%s differs:\nCSV  %s\nJSON %s", o, c, j)
		}
	}
}
