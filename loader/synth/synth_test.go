package synth

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/grunndata/grunndata/registry"
)

// smallDataset generates the small preset once per test binary.
var smallDataset = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "synth-small-")
	if err != nil {
		return "", err
	}
	cfg := DefaultConfig()
	cfg.Out, cfg.Seed, cfg.Workers = dir, 7, 3
	_, err = Generate(context.Background(), cfg)
	return dir, err
})

func TestMain(m *testing.M) {
	code := m.Run()
	if dir, err := smallDataset(); err == nil && strings.Contains(dir, "synth-small-") {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

func small(t *testing.T) string {
	t.Helper()
	dir, err := smallDataset()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func hashDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		rel, _ := filepath.Rel(dir, path)
		out[rel] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDeterministic(t *testing.T) {
	ref := hashDir(t, small(t)) // seed 7, 3 workers
	for _, workers := range []int{1, 5} {
		dir := t.TempDir()
		cfg := DefaultConfig()
		cfg.Out, cfg.Seed, cfg.Workers = dir, 7, workers
		if _, err := Generate(context.Background(), cfg); err != nil {
			t.Fatal(err)
		}
		got := hashDir(t, dir)
		if len(got) != len(ref) {
			t.Fatalf("workers=%d: %d files, want %d", workers, len(got), len(ref))
		}
		for name, h := range ref {
			if got[name] != h {
				t.Errorf("workers=%d: %s differs", workers, name)
			}
		}
	}
	// Another seed gives another dataset.
	dir := t.TempDir()
	cfg := DefaultConfig()
	cfg.Out, cfg.Seed = dir, 8
	if _, err := Generate(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if hashDir(t, dir)["hpr.jsonl.gz"] == ref["hpr.jsonl.gz"] {
		t.Error("seed 8 wrote the same HPR file as seed 7")
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cfg := DefaultConfig()
	cfg.Out = t.TempDir()
	if _, err := Generate(ctx, cfg); err == nil {
		t.Fatal("Generate with a cancelled context succeeded")
	}
	matches, _ := filepath.Glob(filepath.Join(cfg.Out, "*.tmp"))
	if len(matches) > 0 {
		t.Errorf("left temporary files: %v", matches)
	}
}

// openGzip opens a gzip file as a single member (our files must not rely on
// multistream gzip).
func openGzip(t *testing.T, path string) io.Reader {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	zr, err := gzip.NewReader(bufio.NewReader(f))
	if err != nil {
		t.Fatal(err)
	}
	zr.Multistream(false)
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if zr.Header.Name != "" || !zr.Header.ModTime.IsZero() {
		t.Errorf("%s: gzip header has a name or time", path)
	}
	return strings.NewReader(string(b))
}

func readArray[T any](t *testing.T, path string) []T {
	t.Helper()
	var out []T
	if err := json.NewDecoder(openGzip(t, path)).Decode(&out); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return out
}

func readLines[T any](t *testing.T, path string) []T {
	t.Helper()
	var out []T
	sc := bufio.NewScanner(openGzip(t, path))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s: %v: %s", path, err, sc.Text())
		}
		out = append(out, v)
	}
	return out
}

type brregAddr struct {
	Adresse       []*string `json:"adresse"`
	Postnummer    string    `json:"postnummer"`
	Kommunenummer string    `json:"kommunenummer"`
}

type brregUnit struct {
	Orgnr      string                                    `json:"organisasjonsnummer"`
	Navn       string                                    `json:"navn"`
	Form       struct{ Kode string }                     `json:"organisasjonsform"`
	Nace       struct{ Kode string }                     `json:"naeringskode1"`
	Parent     string                                    `json:"overordnetEnhet"`
	Ansatte    *int                                      `json:"antallAnsatte"`
	HarAnsatte bool                                      `json:"harRegistrertAntallAnsatte"`
	Forr       *brregAddr                                `json:"forretningsadresse"`
	Beli       *brregAddr                                `json:"beliggenhetsadresse"`
	Hist       []struct{ Navn, FraDato, TilDato string } `json:"historiskeNavn"`
	Kapital    *struct{ Belop json.Number }              `json:"kapital"`
	Paateg     []any                                     `json:"paategninger"`
}

type meta struct {
	ErGjeldende bool `json:"erGjeldende"`
	Kilde       string
}

type fregAddr struct {
	meta
	Vegadresse       *struct{ Kommunenummer string } `json:"vegadresse"`
	Matrikkeladresse *struct{}                       `json:"matrikkeladresse"`
	Postboksadresse  *struct{}                       `json:"postboksadresse"`
	Utenlandsk       *struct{}                       `json:"utenlandskAdresseIFrittFormat"`
	Adressegradering string                          `json:"adressegradering"`
}

type fregPerson struct {
	Ident []struct {
		meta
		Nr     string `json:"foedselsEllerDNummer"`
		Type   string `json:"identifikatortype"`
		Status string `json:"status"`
	} `json:"identifikasjonsnummer"`
	Status []struct {
		meta
		Status string `json:"status"`
	} `json:"status"`
	Navn []struct {
		meta
		Fornavn, Mellomnavn, Etternavn string
	} `json:"navn"`
	Foedsel []struct {
		meta
		Foedselsdato string `json:"foedselsdato"`
	} `json:"foedsel"`
	Bosted  []fregAddr `json:"bostedsadresse"`
	Opphold []fregAddr `json:"oppholdsadresse"`
	Post    []fregAddr `json:"postadresse"`
	PostUtl []fregAddr `json:"postadresseIUtlandet"`
	Beskytt []struct {
		meta
		Nivaa string `json:"graderingsnivaa"`
	} `json:"adressebeskyttelse"`
	Familie []struct {
		meta
		Relatert string `json:"relatertPerson"`
		Rolle    string `json:"relatertPersonsRolle"`
		Min      string `json:"minRolleForPerson"`
	} `json:"familierelasjon"`
	Doedsfall *struct{ Doedsdato string } `json:"doedsfall"`
}

type bulk struct {
	Oppslag []struct {
		Nr     string     `json:"foedselsEllerDNummer"`
		Person fregPerson `json:"folkeregisterperson"`
	} `json:"oppslag"`
}

type period struct{ From, To *string }

type hprRec struct {
	HPR       int     `json:"hprNumber"`
	NIN       *string `json:"nin"`
	Given     string  `json:"givenName"`
	Family    string  `json:"familyName"`
	Middle    *string `json:"middleName"`
	BirthDate string  `json:"birthDate"`
	Approvals []struct {
		Profession  struct{ Code string } `json:"profession"`
		Auth        struct{ Code string } `json:"authorization"`
		Valid       period
		Ended       bool
		Suspensions []period
		Requisition []struct {
			Suspensions []period
		} `json:"requisitionRights"`
	} `json:"approvals"`
}

type arRec struct {
	HerID  int    `json:"herId"`
	Type   string `json:"type"`
	Parent *int   `json:"parentHerId"`
	Name   string `json:"name"`
	Active *bool  `json:"active"`
	Orgnr  string `json:"organizationNumber"`
	Person *struct {
		HPR int `json:"hprNumber"`
	} `json:"person"`
	Service *struct {
		Code struct {
			OID  int
			Code string
		}
	} `json:"service"`
}

type reshRec struct {
	ID     int    `json:"reshId"`
	Parent *int   `json:"parentReshId"`
	Orgnr  string `json:"organizationNumber"`
	Name   string `json:"name"`
	Level  struct {
		OID  int
		Code string
	} `json:"level"`
}

type contractRec struct {
	ID        int                   `json:"id"`
	Orgnr     string                `json:"gpOfficeOrganizationNumber"`
	OfficeHer int                   `json:"gpOfficeHerId"`
	Muni      struct{ Code string } `json:"municipality"`
	Max       int                   `json:"maxPatients"`
	Doctors   []struct {
		HPR    int                   `json:"hprNumber"`
		Rel    struct{ Code string } `json:"relationship"`
		SubFor *int                  `json:"substituteForHprNumber"`
		Valid  period
	} `json:"doctors"`
}

type patientRec struct {
	NIN      string `json:"patientNin"`
	Contract int    `json:"gpContractId"`
	Period   period `json:"period"`
}

func current(p period) bool {
	ref := "2026-01-05"
	return (p.From == nil || *p.From <= ref) && (p.To == nil || *p.To > ref)
}

func TestConsistency(t *testing.T) {
	dir := small(t)

	// Enhetsregisteret.
	enheter := readArray[brregUnit](t, filepath.Join(dir, "enheter_alle.json.gz"))
	under := readArray[brregUnit](t, filepath.Join(dir, "underenheter_alle.json.gz"))
	orgs := map[string]*brregUnit{}
	health, hist, kapital := 0, 0, 0
	for i := range enheter {
		e := &enheter[i]
		orgs[e.Orgnr] = e
		if strings.HasPrefix(e.Nace.Kode, "86.") {
			health++
		}
		if len(e.Hist) > 0 {
			hist++
			if len(e.Hist[0].FraDato) != len("2006-01-02 15:04:05") {
				t.Errorf("historiskeNavn date %q", e.Hist[0].FraDato)
			}
		}
		if e.Kapital != nil {
			kapital++
			if !strings.HasSuffix(string(e.Kapital.Belop), ".00") {
				t.Errorf("kapital.belop %s", e.Kapital.Belop)
			}
		}
		if e.Paateg == nil {
			t.Errorf("%s: no paategninger", e.Orgnr)
		}
		if e.Ansatte != nil != e.HarAnsatte {
			t.Errorf("%s: antallAnsatte and harRegistrertAntallAnsatte disagree", e.Orgnr)
		}
	}
	if share := float64(health) / float64(len(enheter)); share < 0.04 || share > 0.07 {
		t.Errorf("health share %.3f", share)
	}
	if hist == 0 || kapital == 0 {
		t.Errorf("historiskeNavn %d, kapital %d", hist, kapital)
	}
	for i := range under {
		u := &under[i]
		if orgs[u.Orgnr] != nil {
			t.Errorf("orgnr %s is both enhet and underenhet", u.Orgnr)
		}
		if orgs[u.Parent] == nil {
			t.Errorf("underenhet %s: overordnetEnhet %q not in enheter", u.Orgnr, u.Parent)
		}
		if u.Form.Kode != "BEDR" && u.Form.Kode != "AAFY" {
			t.Errorf("underenhet %s: form %s", u.Orgnr, u.Form.Kode)
		}
	}
	for _, e := range enheter {
		if e.Parent != "" && orgs[e.Parent] == nil {
			t.Errorf("enhet %s: overordnetEnhet %s not in enheter", e.Orgnr, e.Parent)
		}
		if e.Form.Kode == "ORGL" && e.Parent == "" {
			t.Errorf("ORGL %s has no overordnetEnhet", e.Orgnr)
		}
	}
	allOrgs := map[string]bool{}
	for _, list := range [][]brregUnit{enheter, under} {
		for _, u := range list {
			if _, err := registry.ParseOrgnr([]byte(u.Orgnr)); err != nil || (u.Orgnr[0] != '8' && u.Orgnr[0] != '9') {
				t.Errorf("orgnr %s: %v", u.Orgnr, err)
			}
			if allOrgs[u.Orgnr] {
				t.Errorf("orgnr %s twice", u.Orgnr)
			}
			allOrgs[u.Orgnr] = true
		}
	}

	// Folkeregisteret.
	files, _ := filepath.Glob(filepath.Join(dir, "freg", "bulkoppslag-*.json.gz"))
	sort.Strings(files)
	persons := map[string]*fregPerson{}
	allNumbers := map[string]bool{}
	grad := map[string]int{}
	var dnr, doed, dToF, bosatt int
	for _, f := range files {
		var b bulk
		if err := json.NewDecoder(openGzip(t, f)).Decode(&b); err != nil {
			t.Fatal(err)
		}
		if len(b.Oppslag) > 1000 {
			t.Errorf("%s: %d persons", f, len(b.Oppslag))
		}
		for i := range b.Oppslag {
			o := &b.Oppslag[i]
			p := &o.Person
			persons[o.Nr] = p
			for _, id := range p.Ident {
				_, info, err := registry.ParseNIN([]byte(id.Nr))
				if err != nil || !info.Kind.Synthetic() || info.Rule2032 {
					t.Fatalf("%s: %v %v", id.Nr, info, err)
				}
				if (id.Type == "dNummer") != (info.Kind == registry.NINDnrTnr) {
					t.Errorf("%s: type %s kind %v", id.Nr, id.Type, info.Kind)
				}
				if allNumbers[id.Nr] {
					t.Errorf("number %s twice", id.Nr)
				}
				allNumbers[id.Nr] = true
			}
			if p.Ident[0].Nr != o.Nr || !p.Ident[0].ErGjeldende || p.Ident[0].Status != "iBruk" {
				t.Errorf("%s: first identifikasjonsnummer %+v", o.Nr, p.Ident[0])
			}
			if len(p.Ident) == 2 {
				dToF++
				if p.Ident[1].ErGjeldende || p.Ident[1].Status != "opphoert" || p.Ident[1].Type != "dNummer" || p.Ident[0].Type != "foedselsnummer" {
					t.Errorf("%s: D→fnr %+v", o.Nr, p.Ident)
				}
			}
			if p.Ident[0].Type == "dNummer" {
				dnr++
			}
			st := p.Status[0].Status
			if st == "bosatt" {
				bosatt++
			}
			if st == "doed" {
				doed++
				if p.Doedsfall == nil || p.Doedsfall.Doedsdato == "" {
					t.Errorf("%s: doed without doedsfall", o.Nr)
				}
			}
			level := "ugradert"
			if len(p.Beskytt) > 0 {
				level = p.Beskytt[0].Nivaa
			}
			grad[level]++
			addrs := append(append(append(append([]fregAddr{}, p.Bosted...), p.Opphold...), p.Post...), p.PostUtl...)
			for _, a := range addrs {
				switch level {
				case "strengtFortrolig":
					if a.Vegadresse != nil || a.Matrikkeladresse != nil || a.Postboksadresse != nil || a.Utenlandsk != nil || a.Adressegradering != "strengtFortrolig" {
						t.Errorf("%s: strengtFortrolig address with content: %+v", o.Nr, a)
					}
				case "fortrolig":
					if a.Adressegradering != "fortrolig" {
						t.Errorf("%s: fortrolig person, address %s", o.Nr, a.Adressegradering)
					}
				case "ugradert":
					if a.Adressegradering != "ugradert" {
						t.Errorf("%s: ugradert person, address %s", o.Nr, a.Adressegradering)
					}
				}
			}
			if level == "klientadresse" && len(p.Bosted) > 0 && p.Bosted[0].Adressegradering != "klientadresse" {
				t.Errorf("%s: klientadresse person, bostedsadresse %s", o.Nr, p.Bosted[0].Adressegradering)
			}
		}
	}
	if len(persons) != 20_000 {
		t.Errorf("%d persons", len(persons))
	}
	for _, g := range []string{"strengtFortrolig", "fortrolig", "klientadresse"} {
		if grad[g] < 4 {
			t.Errorf("%d persons with %s", grad[g], g)
		}
	}
	if share := float64(dnr) / float64(len(persons)); share < 0.2 || share > 0.24 {
		t.Errorf("D-number share %.3f", share)
	}
	if doed == 0 || dToF < 5 {
		t.Errorf("doed %d, D→fnr %d", doed, dToF)
	}
	rels := 0
	for nr, p := range persons {
		for _, f := range p.Familie {
			rels++
			q := persons[f.Relatert]
			if q == nil {
				t.Errorf("%s: familierelasjon to unknown %s", nr, f.Relatert)
				continue
			}
			back := false
			for _, g := range q.Familie {
				back = back || (g.Relatert == nr && g.Rolle == f.Min && g.Min == f.Rolle)
			}
			if !back {
				t.Errorf("%s → %s (%s) has no reverse relation", nr, f.Relatert, f.Rolle)
			}
		}
	}
	if rels == 0 {
		t.Error("no familierelasjon")
	}

	// HPR.
	hpr := readLines[hprRec](t, filepath.Join(dir, "hpr.jsonl.gz"))
	hprBy := map[int]*hprRec{}
	noNIN, suspended, ended := 0, 0, 0
	licenceFirst, reqSuspended := 0, 0 // history: a lisens before the autorisasjon, a suspended requisition right
	for i := range hpr {
		h := &hpr[i]
		if hprBy[h.HPR] != nil {
			t.Errorf("HPR %d twice", h.HPR)
		}
		hprBy[h.HPR] = h
		for k, a := range h.Approvals {
			if len(a.Suspensions) > 0 {
				suspended++
			}
			for _, rq := range a.Requisition {
				reqSuspended += min(len(rq.Suspensions), 1)
			}
			if k > 0 && a.Auth.Code == "1" && h.Approvals[k-1].Auth.Code == "4" && h.Approvals[k-1].Profession == a.Profession {
				prev := h.Approvals[k-1]
				if !prev.Ended || prev.Valid.To == nil || *prev.Valid.To >= *a.Valid.From {
					t.Errorf("HPR %d: lisens %+v before autorisasjon %+v", h.HPR, prev, a)
				}
				licenceFirst++
			}
			if a.Ended {
				ended++
			}
		}
		if h.NIN == nil {
			noNIN++
			continue
		}
		p := persons[*h.NIN]
		if p == nil {
			t.Errorf("HPR %d: nin %s is not a Freg person", h.HPR, *h.NIN)
			continue
		}
		if p.Navn[0].Fornavn != h.Given || p.Navn[0].Etternavn != h.Family || p.Foedsel[0].Foedselsdato != h.BirthDate {
			t.Errorf("HPR %d: %s %s %s, Freg %+v %s", h.HPR, h.Given, h.Family, h.BirthDate, p.Navn[0], p.Foedsel[0].Foedselsdato)
		}
		if p.Status[0].Status != "bosatt" || p.Ident[0].Type != "foedselsnummer" {
			t.Errorf("HPR %d: Freg person %s is %s", h.HPR, *h.NIN, p.Status[0].Status)
		}
	}
	if share := float64(noNIN) / float64(len(hpr)); share < 0.01 || share > 0.03 {
		t.Errorf("nin null share %.3f", share)
	}
	if suspended == 0 || ended == 0 {
		t.Errorf("suspended %d, ended %d", suspended, ended)
	}
	if licenceFirst == 0 || reqSuspended == 0 {
		t.Errorf("history: %d lisens before autorisasjon, %d suspended requisition rights; want some of each", licenceFirst, reqSuspended)
	}

	// AR.
	ar := readLines[arRec](t, filepath.Join(dir, "ar.jsonl.gz"))
	arBy := map[int]*arRec{}
	for i := range ar {
		a := &ar[i]
		if arBy[a.HerID] != nil {
			t.Errorf("HER-id %d twice", a.HerID)
		}
		switch a.Type {
		case "Organization":
			if a.Parent != nil || orgs[a.Orgnr] == nil {
				t.Errorf("AR org %d: orgnr %q", a.HerID, a.Orgnr)
			}
		case "Service", "Person":
			if a.Parent == nil || arBy[*a.Parent] == nil || arBy[*a.Parent].Type != "Organization" {
				t.Errorf("AR %d: parent not an earlier organisation", a.HerID)
			}
			if a.Type == "Person" && (a.Person == nil || hprBy[a.Person.HPR] == nil) {
				t.Errorf("AR person %d: not in HPR", a.HerID)
			}
			if a.Type == "Service" && (a.Service == nil || a.Service.Code.OID != 8666) {
				t.Errorf("AR service %d: no 8666 code", a.HerID)
			}
		default:
			t.Errorf("AR %d: type %q", a.HerID, a.Type)
		}
		if a.Active == nil || a.Name == "" {
			t.Errorf("AR %d: missing active or name", a.HerID)
		}
		arBy[a.HerID] = a
	}
	if len(ar) < 300 {
		t.Errorf("%d AR parties", len(ar))
	}

	// RESH.
	resh := readLines[reshRec](t, filepath.Join(dir, "resh.jsonl.gz"))
	seen := map[int]bool{}
	roots := 0
	for _, r := range resh {
		if r.Parent == nil {
			roots++
		} else if !seen[*r.Parent] {
			t.Errorf("RESH %d: parent %d not before it", r.ID, *r.Parent)
		}
		if r.Orgnr != "" && !allOrgs[r.Orgnr] {
			t.Errorf("RESH %d: orgnr %s not in Brreg", r.ID, r.Orgnr)
		}
		seen[r.ID] = true
	}
	if roots != 4 || len(resh) < 60 {
		t.Errorf("RESH: %d roots, %d units", roots, len(resh))
	}

	// FLR.
	contracts := readLines[contractRec](t, filepath.Join(dir, "flr_contracts.jsonl.gz"))
	contractBy := map[int]*contractRec{}
	branches := map[string]int{}
	for i := range contracts {
		c := &contracts[i]
		contractBy[c.ID] = c
		office := arBy[c.OfficeHer]
		if office == nil || office.Type != "Organization" || office.Orgnr != c.Orgnr {
			t.Errorf("contract %d: gpOfficeHerId %d is not the AR organisation of %s", c.ID, c.OfficeHer, c.Orgnr)
		}
		lf, lv := 0, 0
		for _, d := range c.Doctors {
			h := hprBy[d.HPR]
			if h == nil || h.NIN == nil || h.Approvals[len(h.Approvals)-1].Profession.Code != "LE" {
				t.Errorf("contract %d: doctor %d not an HPR LE with nin", c.ID, d.HPR)
			}
			found := false
			for _, a := range ar {
				found = found || (a.Type == "Person" && a.Person.HPR == d.HPR && *a.Parent == c.OfficeHer)
			}
			if !found {
				t.Errorf("contract %d: doctor %d has no AR person under %d", c.ID, d.HPR, c.OfficeHer)
			}
			if current(d.Valid) {
				switch d.Rel.Code {
				case "LF":
					lf++
				case "LV":
					lv++
				}
			}
		}
		switch {
		case lf > 0:
			branches["fastlege"]++
		case lv == 1:
			branches["one vikar"]++
		default:
			branches["null"]++
		}
	}
	if len(branches) != 3 {
		t.Errorf("GPHerId rule branches: %v", branches)
	}
	patients := readLines[patientRec](t, filepath.Join(dir, "flr_patients.jsonl.gz"))
	currentOf := map[string]int{}
	closed := 0
	for _, p := range patients {
		if persons[p.NIN] == nil {
			t.Errorf("patient %s not a Freg person", p.NIN)
		}
		if contractBy[p.Contract] == nil {
			t.Errorf("patient %s: unknown contract %d", p.NIN, p.Contract)
		}
		if current(p.Period) {
			currentOf[p.NIN]++
		} else {
			closed++
		}
	}
	for nr, p := range persons {
		st := p.Status[0].Status
		want := 0
		if st == "bosatt" || (p.Ident[0].Type == "dNummer" && st == "midlertidig") {
			want = 1
		}
		if currentOf[nr] != want {
			t.Errorf("%s (%s): %d current GP associations, want %d", nr, st, currentOf[nr], want)
		}
	}
	if closed == 0 {
		t.Error("no closed earlier GP period")
	}
	t.Logf("persons %d (bosatt %d, D %d, doed %d, D→fnr %d), grading %v, HPR %d (no nin %d), AR %d, RESH %d, contracts %d %v, patients %d (closed %d)",
		len(persons), bosatt, dnr, doed, dToF, grad, len(hpr), noNIN, len(ar), len(resh), len(contracts), branches, len(patients), closed)
}
