package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/loader/loadertest"
	"github.com/grunndata/grunndata/loader/synth"
	"github.com/grunndata/grunndata/registry"
	"github.com/grunndata/grunndata/registry/audit"
	"github.com/grunndata/grunndata/registry/server"
	"github.com/grunndata/grunndata/registry/soap"
)

// withheldGPKeys are the only keys a GP answer about a protected patient may
// carry for a caller without grunndata:person.read-protected.
var withheldGPKeys = map[string]bool{"patientNin": true, "gpWithheld": true, "patientAddressProtected": true}

// checkWithheldGP fails unless gp is the withheld GP answer: nothing that
// identifies or locates the GP (contract, office, doctors, contract id,
// HER-id, period).
func checkWithheldGP(t *testing.T, where string, gp json.RawMessage) {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(gp, &m); err != nil {
		t.Fatalf("%s: %v: %s", where, err, gp)
	}
	for k := range m {
		if !withheldGPKeys[k] {
			t.Fatalf("%s: the GP answer of a protected patient carries %q for a caller without read-protected: %s", where, k, gp)
		}
	}
	if string(m["gpWithheld"]) != "true" {
		t.Fatalf("%s: no gpWithheld:true: %s", where, gp)
	}
}

// personCandidates scans the active generation for protected and ordinary
// GP patients and for persons found under an earlier number (the key is an
// old D-number, the record's nin the current fødselsnummer).
type personCandidates struct {
	protectedPatients []string
	ordinaryPatient   string
	oldNumber         map[string]string // old number -> current, for persons whose current number has a GP
}

func findCandidates(t *testing.T, m *Main) personCandidates {
	t.Helper()
	v, err := m.Store().Acquire()
	if err != nil {
		t.Fatal(err)
	}
	defer v.Release()
	return candidatesIn(t, v)
}

func candidatesIn(t *testing.T, v registry.View) personCandidates {
	t.Helper()
	var c personCandidates
	c.oldNumber = map[string]string{}
	hasGP := map[string]bool{}
	v.Scan([]byte{byte(registry.RegGPPatient)}, nil, func(k, _ []byte) bool {
		hasGP[string(k[1:])] = true
		return true
	})
	v.Scan([]byte{byte(registry.RegPerson)}, nil, func(k, val []byte) bool {
		flags, full, _, err := registry.DecodeValue(val)
		if err != nil {
			return true
		}
		key := string(k[1:])
		cur, ok := registry.CurrentNIN(full)
		switch {
		case ok && string(cur[:]) != key && hasGP[string(cur[:])]:
			c.oldNumber[key] = string(cur[:])
		case ok && string(cur[:]) == key && hasGP[key] && flags&registry.FlagRestricted != 0:
			c.protectedPatients = append(c.protectedPatients, key)
		case ok && string(cur[:]) == key && hasGP[key] && c.ordinaryPatient == "":
			c.ordinaryPatient = key
		}
		return true
	})
	if len(c.protectedPatients) == 0 || c.ordinaryPatient == "" || len(c.oldNumber) == 0 {
		t.Fatalf("dataset lacks candidates: %d protected GP patients, ordinary %q, %d old numbers",
			len(c.protectedPatients), c.ordinaryPatient, len(c.oldNumber))
	}
	return c
}

// TestGPAnswerOfProtectedPatients: defect 1 of issue 11. A gp.read caller
// learns that a protected patient has a GP and nothing that identifies or
// locates it, on lookup and bulk alike.
func TestGPAnswerOfProtectedPatients(t *testing.T) {
	data, _ := loadertest.Snapshot(t)
	m, mint := authMain(t, data)
	api := "http://" + m.APIAddr()
	c := findCandidates(t, m)
	gp := mint("grunndata:gp.read")
	for _, nin := range c.protectedPatients {
		r := doAuth(t, "POST", api+"/v1/gp/lookup", gp, `{"nin":"`+nin+`"}`)
		if r.status != 200 {
			t.Fatalf("gp lookup %d %s", r.status, r.body)
		}
		checkWithheldGP(t, "/v1/gp/lookup", r.body)
		var bulk struct {
			Items []struct {
				GP json.RawMessage `json:"gp"`
			} `json:"items"`
		}
		r = doAuth(t, "POST", api+"/v1/gp/bulk", gp, `{"nins":["`+nin+`"]}`)
		json.Unmarshal(r.body, &bulk)
		if r.status != 200 || len(bulk.Items) != 1 {
			t.Fatalf("gp bulk %d %s", r.status, r.body)
		}
		checkWithheldGP(t, "/v1/gp/bulk", bulk.Items[0].GP)
	}
	// An ordinary patient's GP answer is complete for gp.read (the control).
	r := doAuth(t, "POST", api+"/v1/gp/lookup", gp, `{"nin":"`+c.ordinaryPatient+`"}`)
	if r.status != 200 || !bytes.Contains(r.body, []byte(`"gpContractId":`)) || bytes.Contains(r.body, []byte(`gpWithheld`)) {
		t.Fatalf("ordinary patient: %d %s", r.status, r.body)
	}
	t.Logf("%d protected GP patients checked", len(c.protectedPatients))
}

// TestGPFullAnswerForReadProtected: defect 3 of issue 11. A caller with
// grunndata:person.read-protected gets a protected patient's full GP answer,
// on lookup and bulk.
func TestGPFullAnswerForReadProtected(t *testing.T) {
	data, _ := loadertest.Snapshot(t)
	m, mint := authMain(t, data)
	api := "http://" + m.APIAddr()
	c := findCandidates(t, m)
	full := mint("grunndata:gp.read", "grunndata:person.read-protected")
	for _, nin := range c.protectedPatients {
		r := doAuth(t, "POST", api+"/v1/gp/lookup", full, `{"nin":"`+nin+`"}`)
		if r.status != 200 || !bytes.Contains(r.body, []byte(`"gpContractId":`)) || !bytes.Contains(r.body, []byte(`"contract":{`)) {
			t.Fatalf("read-protected caller does not get the full GP answer: %d %s", r.status, r.body)
		}
		r = doAuth(t, "POST", api+"/v1/gp/bulk", full, `{"nins":["`+nin+`"]}`)
		if !bytes.Contains(r.body, []byte(`"gpContractId":`)) || !bytes.Contains(r.body, []byte(`"contract":{`)) {
			t.Fatalf("read-protected caller does not get the full GP answer in bulk: %s", r.body)
		}
	}
}

// TestGPLookupByOldNumber: defect 10 of issue 11. A GP lookup by a person's
// old D-number answers like the lookup by their current number (as the
// person lookup does), on lookup and bulk.
func TestGPLookupByOldNumber(t *testing.T) {
	data, _ := loadertest.Snapshot(t)
	m := MustRunMain(t, data, nil)
	api := "http://" + m.APIAddr()
	c := findCandidates(t, m)
	n := 0
	for old, cur := range c.oldNumber {
		want := do(t, "POST", api+"/v1/gp/lookup", "application/json", `{"nin":"`+cur+`"}`)
		got := do(t, "POST", api+"/v1/gp/lookup", "application/json", `{"nin":"`+old+`"}`)
		if want.status != 200 || got.status != 200 || !bytes.Equal(want.body, got.body) {
			t.Fatalf("gp lookup by the old number: %d %s, by the current: %d %s", got.status, got.body, want.status, want.body)
		}
		b := do(t, "POST", api+"/v1/gp/bulk", "application/json", `{"nins":["`+old+`"]}`)
		if !bytes.Contains(b.body, []byte(`"status":200,"gp":`)) {
			t.Fatalf("gp bulk by the old number: %s", b.body)
		}
		if n++; n == 5 {
			break
		}
	}
}

// TestAuditFindsEveryNumberOfAPerson: defect 4 of issue 11. A lookup by an
// old D-number is recorded under the person answered (the current number)
// and the number asked; who-looked-up by either number finds both accesses.
func TestAuditFindsEveryNumberOfAPerson(t *testing.T) {
	data, _ := loadertest.Snapshot(t)
	m, mint := authMain(t, data)
	api := "http://" + m.APIAddr()
	c := findCandidates(t, m)
	var old, cur string
	for o, c := range c.oldNumber {
		old, cur = o, c
		break
	}
	person := mint("grunndata:person.read")
	for _, n := range []string{old, cur} {
		if r := doAuth(t, "POST", api+"/v1/persons/lookup", person, `{"nin":"`+n+`"}`); r.status != 200 ||
			!bytes.Contains(r.body, []byte(`"nin":"`+cur+`"`)) {
			t.Fatalf("lookup %d %s", r.status, r.body)
		}
	}
	for _, n := range []string{old, cur} {
		var out bytes.Buffer
		var errOut bytes.Buffer
		if code := run(context.Background(), []string{"audit", "who-looked-up", "--data", data, "--nin", n, "--json"}, &out, &errOut); code != 0 {
			t.Log(errOut.String())
			t.Fatalf("who-looked-up exit %d", code)
		}
		var recs []audit.Record
		for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			var r audit.Record
			if json.Unmarshal([]byte(line), &r) == nil {
				recs = append(recs, r)
			}
		}
		if len(recs) != 2 {
			t.Fatalf("who-looked-up --nin %s finds %d accesses, want 2:\n%s", n, len(recs), out.String())
		}
		for _, r := range recs {
			if len(r.Subjects) != 1 || r.Subjects[0] != cur {
				t.Fatalf("record names %v, want the person answered %s: %+v", r.Subjects, cur, r)
			}
		}
		if len(recs[0].Asked) != 1 || recs[0].Asked[0] != old || len(recs[1].Asked) != 0 {
			t.Fatalf("asked numbers: %v, %v", recs[0].Asked, recs[1].Asked)
		}
		// The admin listener answers the same.
		r := doAuth(t, "GET", "http://"+m.AdminAddr()+"/admin/audit?subject="+n, mint("grunndata:admin"), "")
		var adm []audit.Record
		if json.Unmarshal(r.body, &adm); r.status != 200 || len(adm) != 2 {
			t.Fatalf("/admin/audit?subject= %d %s", r.status, r.body)
		}
	}
}

// loadSecondDataset generates the small preset with another seed and loads
// it over data, so that every feed has a page of changes (persons, GP
// patients and HPR records of the new dataset). It returns the source.
func loadSecondDataset(t *testing.T, data string) string {
	t.Helper()
	src := filepath.Join(t.TempDir(), "source2")
	cfg := synth.DefaultConfig()
	cfg.Out, cfg.Seed = src, 2
	if _, err := synth.Generate(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	loadertest.Load(t, src, data)
	return src
}

// feedItems pages through a feed and returns every item.
func feedItems(t *testing.T, api, feed, token string) []json.RawMessage {
	t.Helper()
	var out []json.RawMessage
	after := "0"
	for page := 0; page < 10000; page++ {
		r := doAuth(t, "GET", api+"/v1/events/"+feed+"?limit=1000&after="+after, token, "")
		if r.status != 200 {
			t.Fatalf("%s feed: %d %s", feed, r.status, r.body)
		}
		var p struct {
			Items     []json.RawMessage `json:"items"`
			LastSeq   uint64            `json:"lastSeq"`
			NextAfter uint64            `json:"nextAfter"`
		}
		json.Unmarshal(r.body, &p)
		out = append(out, p.Items...)
		if len(p.Items) == 0 || p.NextAfter >= p.LastSeq {
			return out
		}
		after = itoa64(int64(p.NextAfter))
	}
	t.Fatal("feed does not end")
	return nil
}

// auditedSubjects reads the audit log of data and returns, per route, the
// numbers its records name (subjects and asked).
func auditedSubjects(t *testing.T, data string) map[string]map[string]bool {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(data, "audit", "audit-*.jsonl"))
	out := map[string]map[string]bool{}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			var r audit.Record
			if json.Unmarshal(sc.Bytes(), &r) != nil {
				continue
			}
			if out[r.Route] == nil {
				out[r.Route] = map[string]bool{}
			}
			for _, s := range append(r.Subjects, r.Asked...) {
				out[r.Route][s] = true
			}
		}
		fh.Close()
	}
	return out
}

// TestPersonFeedsNeedTheirScope: defect 5 of issue 11. The persons and GP
// feeds need grunndata:person.feed; person.read or gp.read alone is 403.
func TestPersonFeedsNeedTheirScope(t *testing.T) {
	data, _ := loadertest.Snapshot(t)
	m, mint := authMain(t, data)
	api := "http://" + m.APIAddr()
	for _, c := range []struct {
		feed   string
		scopes []string
		status int
	}{
		{"persons", []string{"grunndata:person.read"}, 403},
		{"persons", []string{"grunndata:person.read", "grunndata:person.read-protected"}, 403},
		{"gp", []string{"grunndata:gp.read"}, 403},
		{"gp", []string{"grunndata:person.feed"}, 403},
		{"persons", []string{"grunndata:person.feed"}, 200},
		{"gp", []string{"grunndata:gp.read", "grunndata:person.feed"}, 200},
		{"organisations", []string{"grunndata:organisation.read"}, 200},
	} {
		r := doAuth(t, "GET", api+"/v1/events/"+c.feed, mint(c.scopes...), "")
		if r.status != c.status || c.status == 403 && !bytes.Contains(r.body, []byte("grunndata:person.feed")) {
			t.Fatalf("%s feed with %v: %d %s, want %d", c.feed, c.scopes, r.status, r.body, c.status)
		}
	}
}

var elevenDigits = regexp.MustCompile(`^[0-9]{11}$`)

var xmlNIN = regexp.MustCompile(`<(?:NIN|PatientNIN|CitizenId)>([0-9]{11})<`)

// subjectsOf returns the persons a response is about: the nin or patientNin
// of every object in it (a person, a GP answer, an HPR record, an AIN) and
// the id of every feed item that is a person number, but not the numbers a
// person record lists as its own earlier identifiers or its relatives'.
func subjectsOf(body []byte) []string {
	var out []string
	if bytes.HasPrefix(bytes.TrimSpace(body), []byte("<")) {
		for _, m := range xmlNIN.FindAllSubmatch(body, -1) {
			out = append(out, string(m[1]))
		}
		return out
	}
	var walk func(raw json.RawMessage)
	walk = func(raw json.RawMessage) {
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) == nil {
			for _, k := range []string{"nin", "patientNin", "id"} {
				var n string
				if json.Unmarshal(obj[k], &n) == nil && elevenDigits.MatchString(n) {
					out = append(out, n)
				}
			}
			for k, c := range obj {
				if k != "identifiers" && k != "family" {
					walk(c)
				}
			}
			return
		}
		var arr []json.RawMessage
		if json.Unmarshal(raw, &arr) == nil {
			for _, c := range arr {
				walk(c)
			}
		}
	}
	walk(body)
	return out
}

// TestEveryPersonRouteIsAudited walks the server's route table (server.Routes, the
// table dispatch reads; and every
// feed) with a sample request each, as a caller with every scope but
// read-protected. Whenever a response carries a person number, the audit
// log must name it under that route; whenever it carries a protected
// person, none of that person's address values may be in the object about
// them, and a person or GP object must say it is withheld. A route without
// a sample fails the test: a new route must say what it returns.
func TestEveryPersonRouteIsAudited(t *testing.T) {
	data, _ := loadertest.Snapshot(t)
	src := loadSecondDataset(t, data)
	m, mint := authMain(t, data)
	api := "http://" + m.APIAddr()
	waitFor(t, func() bool { return m.Store().Active().ID() == "000002" })
	id := findIDs(t, m)
	protected := protectedAddressValues(t, src)
	protectedPatient := findCandidates(t, m).protectedPatients[0]
	var anyProtected string
	for n := range protected {
		if anyProtected == "" || n < anyProtected {
			anyProtected = n
		}
	}
	var family struct {
		Name struct {
			Family string `json:"family"`
		} `json:"name"`
	}
	all := []string{"grunndata:organisation.read", "grunndata:personnel.read", "grunndata:person.read", "grunndata:gp.read",
		"grunndata:ain.write", "grunndata:person.feed"}
	tok := mint(all...)
	json.Unmarshal(doAuth(t, "POST", api+"/v1/persons/lookup", tok, `{"nin":"`+anyProtected+`"}`).body, &family)
	type sample struct{ method, path, body string }
	soapEnv := func(svc *soap.Service, op, inner string) string {
		return `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><` + op + ` xmlns="` + svc.NS + `">` +
			inner + `</` + op + `></s:Body></s:Envelope>`
	}
	const ct12 = "application/soap+xml; charset=utf-8"
	nin := func(n string) string { return `{"nin":"` + n + `"}` }
	samples := map[string][]sample{
		"communication-party":              {{"GET", "/v1/communication-parties/" + u(id.her), ""}},
		"organisation":                     {{"GET", "/v1/organisations/" + id.orgnr, ""}},
		"resh":                             {{"GET", "/v1/resh/" + u(id.resh) + "?children=true&ancestors=true", ""}},
		"personnel":                        {{"GET", "/v1/personnel/" + u(id.hpr), ""}},
		"gp-contract":                      {{"GET", "/v1/gp-contracts/" + u(id.contract), ""}},
		"person-lookup":                    {{"POST", "/v1/persons/lookup", nin(anyProtected)}, {"POST", "/v1/persons/lookup", nin(id.gpPatient)}},
		"personnel-lookup":                 {{"POST", "/v1/personnel/lookup", nin(id.hprNIN)}},
		"gp-lookup":                        {{"POST", "/v1/gp/lookup", nin(id.gpPatient)}, {"POST", "/v1/gp/lookup", nin(anyProtected)}},
		"communication-party-children":     {{"GET", "/v1/communication-parties/" + u(id.her) + "/children", ""}},
		"communication-party-search":       {{"GET", "/v1/communication-parties?name=legesenter", ""}},
		"organisation-subunits":            {{"GET", "/v1/organisations/" + id.orgnr + "/subunits", ""}},
		"person-bulk":                      {{"POST", "/v1/persons/bulk", `{"nins":["` + anyProtected + `","` + id.gpPatient + `"]}`}},
		"gp-bulk":                          {{"POST", "/v1/gp/bulk", `{"nins":["` + anyProtected + `","` + id.gpPatient + `"]}`}},
		"codes":                            {{"GET", "/v1/codes/9060", ""}},
		"ain":                              {{"POST", "/v1/ain", `{"givenName":"Ukjent","familyName":"Pasient"}`}},
		"gp-contract-list":                 {{"GET", "/v1/gp-contracts?limit=50", ""}},
		"person-search":                    {{"POST", "/v1/persons/search", `{"familyName":"` + family.Name.Family + `","limit":1000}`}},
		"personnel-search":                 {{"POST", "/v1/personnel/search", `{"category":"LE","limit":50}`}},
		"events":                           nil, // one sample per feed, below
		"communication-party-certificates": {{"GET", "/v1/communication-parties/" + u(id.her) + "/certificates", ""}},
		"communication-party-certificate-history":  {{"GET", "/v1/communication-parties/" + u(id.her) + "/certificates/history", ""}},
		"communication-party-certificate-fallback": {{"GET", "/v1/communication-parties/" + u(id.her) + "/certificates/fallback", ""}},
		"organisation-certificates":                {{"GET", "/v1/organisations/" + id.arOrgnr + "/certificates", ""}},
		"certificate-search":                       {{"GET", "/v1/certificates?cn=a&limit=1000", ""}},
		"cp-communication-party":                   {{"GET", "/cp/communicationparty/" + u(id.her), ""}},
		"cp-event":                                 {{"GET", "/cp/event?fromSequenceNumber=1&limit=1000", ""}},
		"openapi":                                  {{"GET", "/openapi.json", ""}},
		"personnel-history":                        {{"GET", "/v1/personnel/" + u(id.hpr) + "/history", ""}},
		"personnel-bulk":                           {{"POST", "/v1/personnel/bulk", `{"hprNumbers":[` + u(id.hpr) + `]}`}},
		"soap-ar":                                  {{"POST", "/v1/AR", soapEnv(soap.AR(), "GetCommunicationPartyDetails", "<herId>"+u(id.her)+"</herId>")}},
		"soap-hpr": {{"POST", "/v2/HPR", soapEnv(soap.HPR(), "HentPerson", "<hprNummer>"+u(id.hpr)+"</hprNummer>")},
			{"POST", "/v2/HPR", soapEnv(soap.HPR(), "HentPersonMedPersonnummer", "<personNummer>"+id.hprNIN+"</personNummer>")}},
		"soap-flr": {{"POST", "/v2/flr", soapEnv(soap.FLR(), "GetPatientGPDetails", "<patientNin>"+id.gpPatient+"</patientNin>")},
			{"POST", "/v2/flr", soapEnv(soap.FLR(), "GetPatientGPDetails", "<patientNin>"+protectedPatient+"</patientNin>")}},
	}
	for _, er := range registry.EventRegisters {
		samples["events"] = append(samples["events"], sample{"GET", "/v1/events/" + er.Name + "?limit=1000", ""})
	}
	persons := map[string]string{} // every number of a person -> their current number
	v, err := m.Store().Acquire()
	if err != nil {
		t.Fatal(err)
	}
	v.Scan([]byte{byte(registry.RegPerson)}, nil, func(k, val []byte) bool {
		if _, full, _, err := registry.DecodeValue(val); err == nil {
			if cur, ok := registry.CurrentNIN(full); ok {
				persons[string(k[1:])] = string(cur[:])
			}
		}
		return true
	})
	v.Release()
	var personRoutes []string
	for _, rt := range server.Routes() {
		name := rt.Name
		ss, ok := samples[name]
		if !ok || len(ss) == 0 {
			t.Fatalf("route %q has no sample request: add one to this test", name)
		}
		for _, s := range ss {
			var r response
			if strings.HasPrefix(name, "soap-") {
				r = soapPost(t, api+s.path, tok, ct12, "", s.body)
			} else {
				r = doAuth(t, s.method, api+s.path, tok, s.body)
			}
			if r.status != 200 && r.status != 201 {
				t.Fatalf("%s %s: %d %s", s.method, s.path, r.status, r.body)
			}
			named := subjectsOf(r.body)
			if len(named) == 0 {
				continue
			}
			personRoutes = append(personRoutes, s.path)
			if !rt.Audited {
				t.Fatalf("%s %s returns person data but route %q is not marked audited in the route table", s.method, s.path, name)
			}
			audited := auditedSubjects(t, data)
			route := name
			switch {
			case name == "events":
				route = "events-" + strings.TrimPrefix(strings.SplitN(s.path, "?", 2)[0], "/v1/events/")
			case strings.HasPrefix(name, "soap-"):
				// SOAP records are per operation (soap-hpr/HentPerson).
				merged := map[string]bool{}
				for rt, subs := range audited {
					if strings.HasPrefix(rt, name+"/") {
						for n := range subs {
							merged[n] = true
						}
					}
				}
				audited[name] = merged
			}
			for _, n := range named {
				if !audited[route][n] && !audited[route][persons[n]] {
					t.Fatalf("%s %s returns person %s but no audit record of route %q names them", s.method, s.path, n, route)
				}
			}
			checkProtectedObjects(t, s.path, r.body, protected)
			if name == "soap-flr" && strings.Contains(s.body, protectedPatient) &&
				(bytes.Contains(r.body, []byte("<GPContract")) || regexp.MustCompile(`<GPHerId>\d`).Match(r.body)) {
				t.Fatalf("SOAP GetPatientGPDetails identifies a protected patient's GP: %s", r.body)
			}
		}
	}
	sort.Strings(personRoutes)
	t.Logf("person data on %d sampled requests, all audited: %v", len(personRoutes), personRoutes)
}

// checkProtectedObjects walks a JSON response; every object about a
// protected person (by "nin" or "patientNin") must not carry their address
// values, and a person or GP answer must say what it withholds.
func checkProtectedObjects(t *testing.T, where string, body []byte, protected map[string][]string) {
	t.Helper()
	var walk func(raw json.RawMessage)
	walk = func(raw json.RawMessage) {
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) == nil {
			var n string
			key := ""
			for _, k := range []string{"nin", "patientNin"} {
				if json.Unmarshal(obj[k], &n) == nil && protected[n] != nil {
					key = k
					break
				}
			}
			if key != "" {
				for _, v := range protected[n] {
					if bytes.Contains(raw, []byte(v)) {
						t.Fatalf("%s leaks %s of protected person %s", where, v, n)
					}
				}
				switch {
				case key == "patientNin":
					checkWithheldGP(t, where, raw)
				case obj["addressProtection"] != nil && string(obj["addressesWithheld"]) != "true":
					t.Fatalf("%s: a protected person's view does not say addressesWithheld: %.300s", where, raw)
				}
			}
			for _, c := range obj {
				walk(c)
			}
			return
		}
		var arr []json.RawMessage
		if json.Unmarshal(raw, &arr) == nil {
			for _, c := range arr {
				walk(c)
			}
		}
	}
	walk(body)
}

// TestWhoLookedUpReadsTheGeneration: defect 4 of issue 11, offline. Records
// that name a person only under an earlier number (written before the
// person got their fødselsnummer, or by an older version) are found by the
// current number and vice versa, through the numbers the generation's person
// record lists.
func TestWhoLookedUpReadsTheGeneration(t *testing.T) {
	data, _ := loadertest.Snapshot(t)
	st, err := index.Open(index.DefaultConfig(data))
	if err != nil {
		t.Fatal(err)
	}
	v, err := st.Acquire()
	if err != nil {
		t.Fatal(err)
	}
	c := candidatesIn(t, v)
	v.Release()
	st.Close() // the generation is free, as with a stopped server
	var old, cur string
	for o, c := range c.oldNumber {
		old, cur = o, c
		break
	}
	dir := t.TempDir()
	a, err := audit.Open(audit.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	p := audit.Caller{ClientID: "epj-old"}
	for _, n := range []string{old, cur} {
		if err := a.Record(&audit.Entry{Caller: p, Route: "person-lookup", Subject: []byte(n), Status: 200}); err != nil {
			t.Fatal(err)
		}
	}
	a.Close()
	for _, n := range []string{old, cur} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), []string{"audit", "who-looked-up", "--data", data, "--audit-dir", dir, "--nin", n}, &out, &errOut); code != 0 {
			t.Fatalf("who-looked-up exit %d: %s", code, errOut.String())
		}
		if got := strings.Count(out.String(), "\n"); got != 2 {
			t.Fatalf("who-looked-up --nin %s finds %d accesses, want 2:\n%s%s", n, got, out.String(), errOut.String())
		}
	}
}
