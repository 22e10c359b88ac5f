package bench

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeGz(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(content))
	zw.Close()
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// testDataset writes a tiny dataset in the formats of docs/formats.md (only
// the fields the harness reads, plus a few it must skip) and returns the
// person numbers it holds.
func testDataset(t *testing.T, dir string) (persons, patients []string) {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 3))
	var ar, hpr, resh, flr, enh strings.Builder
	for i := range 30 {
		fmt.Fprintf(&ar, `{"herId":%d,"type":"Organization","name":"Legesenter %d","active":true}`+"\n", 80001+i, i)
		fmt.Fprintf(&hpr, `{"hprNumber":%d,"nin":null,"givenName":"Kari","familyName":"Nordmann","approvals":[]}`+"\n", 1000001+i)
		fmt.Fprintf(&resh, `{"reshId":%d,"name":"Enhet","level":{"oid":8628,"code":"1","text":"RHF"}}`+"\n", 100100+i)
	}
	ar.WriteString("not json\n")
	ar.WriteString(`{"herId":"80999"}` + "\n") // a string: the loader rejects it, we skip it
	for i := range 20 {
		if i > 0 {
			enh.WriteString(",")
		}
		fmt.Fprintf(&enh, `{"organisasjonsnummer":%q,"navn":"AS %d","organisasjonsform":{"kode":"AS"}}`, missID(RouteOrg, rng), i)
	}
	for i := range 10 {
		n := missID(RoutePerson, rng)
		patients = append(patients, n)
		fmt.Fprintf(&flr, `{"patientNin":%q,"gpContractId":300001,"period":{"from":"2019-08-01","to":null}}`+"\n", n)
		if i%3 == 0 { // an earlier GP: the same patient twice
			fmt.Fprintf(&flr, `{"patientNin":%q,"gpContractId":300002,"period":{"from":"2010-01-01","to":"2019-07-31"}}`+"\n", n)
		}
	}
	for f := range 4 {
		var b strings.Builder
		b.WriteString(`{"oppslag":[`)
		for i := range 5 {
			if i > 0 {
				b.WriteString(",\n")
			}
			n := missID(RoutePerson, rng)
			persons = append(persons, n)
			// The person's own identifikasjonsnummer repeats the number:
			// only the item's foedselsEllerDNummer counts.
			fmt.Fprintf(&b, `{"foedselsEllerDNummer":%q,"folkeregisterperson":{"identifikasjonsnummer":[{"foedselsEllerDNummer":"00000000000"}]}}`, n)
		}
		b.WriteString(`,{"foedselsEllerDNummer":"01010100000","feilmelding":{"kode":"ikke_funnet"}}]}`)
		writeGz(t, filepath.Join(dir, "freg", fmt.Sprintf("bulkoppslag-%06d.json.gz", f+1)), b.String())
	}
	writeGz(t, filepath.Join(dir, fileAR), ar.String())
	writeGz(t, filepath.Join(dir, fileHPR), hpr.String())
	writeGz(t, filepath.Join(dir, fileResh), resh.String())
	writeGz(t, filepath.Join(dir, filePatients), flr.String())
	writeGz(t, filepath.Join(dir, fileEnheter), "["+enh.String()+"]")
	return persons, patients
}

func TestLoadIDs(t *testing.T) {
	dir := t.TempDir()
	persons, patients := testDataset(t, dir)
	all, _ := ParseMix("her=1,org=1,person=1,hpr=1,gp=1,resh=1")
	ids, err := LoadIDs(dir, 1000, all)
	if err != nil {
		t.Fatal(err)
	}
	want := map[Route]int{RouteHer: 30, RouteOrg: 20, RoutePerson: 20, RouteHPR: 30, RouteGP: 10, RouteResh: 30}
	for r, n := range want {
		if ids.Count(r) != n {
			t.Errorf("%s: %d ids, want %d", r, ids.Count(r), n)
		}
	}
	if ids[RouteHer][0] != "80001" || ids[RouteHPR][29] != "1000030" {
		t.Errorf("serials: %v … %v", ids[RouteHer][:2], ids[RouteHPR][28:])
	}
	if strings.Join(ids[RoutePerson], ",") != strings.Join(persons, ",") {
		t.Errorf("persons %v, want %v", ids[RoutePerson], persons)
	}
	if strings.Join(ids[RouteGP], ",") != strings.Join(patients, ",") {
		t.Errorf("patients %v, want %v", ids[RouteGP], patients)
	}

	// Bounded: at most max per route; person files are spread (files 1
	// and 3 of 4 for 10 of 20 persons).
	ids, err = LoadIDs(dir, 10, all)
	if err != nil {
		t.Fatal(err)
	}
	for r := Route(0); r < NumRoutes; r++ {
		if ids.Count(r) != 10 {
			t.Errorf("max 10: %s has %d", r, ids.Count(r))
		}
	}
	if got, want := strings.Join(ids[RoutePerson], ","), strings.Join(append(persons[:5:5], persons[10:15]...), ","); got != want {
		t.Errorf("spread sample %s, want %s", got, want)
	}

	// Only the routes in the mix are read.
	herOnly, _ := ParseMix("her=1")
	if ids, err = LoadIDs(dir, 1000, herOnly); err != nil || ids.Count(RouteOrg) != 0 || ids.Count(RouteHer) != 30 {
		t.Errorf("her only: %v, %v", ids, err)
	}
}

func TestDatasetDir(t *testing.T) {
	data := t.TempDir()
	if err := os.WriteFile(filepath.Join(data, "ACTIVE"), []byte("000001\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := DatasetDir(data); err == nil || !strings.Contains(err.Error(), "--ids-from") {
		t.Errorf("snapshot without source: %v", err)
	}
	testDataset(t, filepath.Join(data, "source"))
	if got, err := DatasetDir(data); err != nil || got != filepath.Join(data, "source") {
		t.Errorf("snapshot with source: %q, %v", got, err)
	}
	if _, err := DatasetDir(t.TempDir()); err == nil {
		t.Error("empty directory accepted")
	}
	mix, _ := ParseMix(DefaultMix)
	if _, err := LoadIDs(filepath.Join(data, "nope"), 10, mix); err == nil {
		t.Error("missing directory accepted")
	}
}
