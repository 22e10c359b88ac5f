package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grunndata/grunndata/loader/loadertest"
	"github.com/grunndata/grunndata/registry"
)

// soapIDs are records the SOAP end-to-end test asks for.
type soapIDs struct {
	Org          uint64 `json:"org"`
	Service      uint64 `json:"service"`
	Person       uint64 `json:"person"`
	Orgnr        string `json:"orgnr"`
	HPR          uint64 `json:"hpr"`
	HPRNIN       string `json:"hprNIN"`
	GPPatient    string `json:"gpPatient"`
	Contract     uint64 `json:"contract"`
	ContractOrg  string `json:"contractOrgnr"`
	Municipality string `json:"municipality"`
	CertHer      uint64 `json:"certHer"`
	protectedGP  string
}

func findSOAPIDs(t *testing.T, m *Main) soapIDs {
	t.Helper()
	v, err := m.Store().Acquire()
	if err != nil {
		t.Fatal(err)
	}
	defer v.Release()
	var id soapIDs
	field := func(rec []byte, name string) string {
		var m map[string]json.RawMessage
		_ = json.Unmarshal(rec, &m)
		return strings.Trim(string(m[name]), `"`)
	}
	_ = v.Scan([]byte{byte(registry.IdxPartyChildren)}, nil, func(k, _ []byte) bool {
		parent, child := uint64(binary.BigEndian.Uint32(k[1:5])), uint64(binary.BigEndian.Uint32(k[5:9]))
		ck := registry.SerialKey(registry.RegParty, child)
		val, _ := v.Get(nil, &ck)
		_, rec, _, _ := registry.DecodeValue(val)
		switch field(rec, "type") {
		case "Service":
			if id.Service == 0 {
				id.Service, id.Org = child, parent
			}
		case "Person":
			if id.Person == 0 {
				id.Person = child
			}
		}
		return id.Service == 0 || id.Person == 0
	})
	ok := registry.SerialKey(registry.RegParty, id.Org)
	val, _ := v.Get(nil, &ok)
	_, rec, _, _ := registry.DecodeValue(val)
	id.Orgnr = field(rec, "organizationNumber")
	_ = v.Scan([]byte{byte(registry.IdxPersonnelByNIN)}, nil, func(k, val []byte) bool {
		id.HPRNIN, id.HPR = string(k[1:]), uint64(binary.BigEndian.Uint32(val))
		return false
	})
	_ = v.Scan([]byte{byte(registry.RegGPPatient)}, nil, func(k, val []byte) bool {
		flags, _, _, _ := registry.DecodeValue(val)
		if flags&registry.FlagRestricted != 0 {
			if id.protectedGP == "" {
				id.protectedGP = string(k[1:])
			}
		} else if id.GPPatient == "" {
			id.GPPatient = string(k[1:])
		}
		return id.GPPatient == "" || id.protectedGP == ""
	})
	_ = v.Scan([]byte{byte(registry.RegGPContract)}, nil, func(k, val []byte) bool {
		_, rec, _, _ := registry.DecodeValue(val)
		id.Contract = binary.BigEndian.Uint64(k[1:])
		id.ContractOrg = field(rec, "gpOfficeOrganizationNumber")
		var c struct {
			Municipality struct{ Code string } `json:"municipality"`
		}
		_ = json.Unmarshal(rec, &c)
		id.Municipality = c.Municipality.Code
		return false
	})
	// A party with its own encryption certificate, valid now.
	_ = v.Scan([]byte{byte(registry.RegCertificates)}, nil, func(k, val []byte) bool {
		it, _, _, err := registry.OpenCertSet(val)
		if err != nil {
			return true
		}
		var e registry.CertEntry
		for it.Next(&e) {
			if e.Usage == registry.CertEncryption && e.Times.StatusAt(time.Now().Unix()) == registry.CertValid {
				id.CertHer = uint64(binary.BigEndian.Uint32(k[1:5]))
				return false
			}
		}
		return true
	})
	if id.Org == 0 || id.CertHer == 0 || id.Person == 0 || id.HPR == 0 || id.GPPatient == "" || id.protectedGP == "" || id.Contract == 0 {
		t.Fatalf("dataset lacks a record kind: %+v", id)
	}
	return id
}

func soapPost(t *testing.T, url, token, ctype, action, body string) response {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", ctype)
	if action != "" {
		req.Header.Set("SOAPAction", `"`+action+`"`)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	checkContract(t, res)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{res.StatusCode, res.Header.Get("Content-Type"), b}
}

const flrEnv = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><GetPatientGPDetails xmlns="http://schemas.nhn.no/reg/flr"><patientNin>NIN</patientNin></GetPatientGPDetails></s:Body></s:Envelope>`

// TestSOAPEndToEnd runs the SOAP façades in the daemon with authentication
// on: scopes as on the native routes, the audit log, address protection,
// the WSDL with our address, and zeep (a WSDL-driven SOAP client) calling
// every implemented operation over SOAP 1.1 and SOAP 1.2 + WS-Addressing.
func TestSOAPEndToEnd(t *testing.T) {
	data, _ := loadertest.Snapshot(t)
	m, mint := authMain(t, data)
	id := findSOAPIDs(t, m)
	api := "http://" + m.APIAddr()
	gp := mint("grunndata:gp.read")
	all := mint("grunndata:organisation.read", "grunndata:personnel.read", "grunndata:gp.read")
	protected := mint("grunndata:gp.read", "grunndata:person.read-protected")
	const ct12 = "application/soap+xml; charset=utf-8"

	// Tokens and scopes as on the native routes.
	body := strings.Replace(flrEnv, "NIN", id.GPPatient, 1)
	if r := soapPost(t, api+"/v2/flr", "", ct12, "", body); r.status != 401 {
		t.Fatalf("no token: %d", r.status)
	}
	if r := soapPost(t, api+"/v2/flr", mint("grunndata:organisation.read"), ct12, "", body); r.status != 403 {
		t.Fatalf("without gp.read: %d", r.status)
	}
	r := soapPost(t, api+"/v2/flr", gp, ct12, "", body)
	if r.status != 200 || r.ctype != "application/soap+xml; charset=utf-8" || !bytes.Contains(r.body, []byte("<PatientNIN>"+id.GPPatient+"</PatientNIN>")) {
		t.Fatalf("GetPatientGPDetails: %d %s %s", r.status, r.ctype, r.body)
	}
	if r := soapPost(t, api+"/v2/flr", gp, "application/json", "", body); r.status != 415 {
		t.Fatalf("JSON to a SOAP route: %d", r.status)
	}
	// Address protection: the contract (where the patient lives) only with
	// person.read-protected.
	pbody := strings.Replace(flrEnv, "NIN", id.protectedGP, 1)
	if r := soapPost(t, api+"/v2/flr", gp, ct12, "", pbody); r.status != 200 || bytes.Contains(r.body, []byte("<GPContract>")) {
		t.Fatalf("protected patient without the scope: %d %s", r.status, r.body)
	}
	if r := soapPost(t, api+"/v2/flr", protected, ct12, "", pbody); r.status != 200 || !bytes.Contains(r.body, []byte("<GPContract>")) {
		t.Fatalf("protected patient with the scope: %d %s", r.status, r.body)
	}
	// The lookup is in the audit log with the caller, under the SOAP route.
	var out bytes.Buffer
	if code := run(context.Background(), []string{"audit", "who-looked-up", "--data", data, "--nin", id.GPPatient}, &out, io.Discard); code != 0 {
		t.Fatalf("who-looked-up exit %d", code)
	}
	if !strings.Contains(out.String(), "client_id=epj-test-client") || !strings.Contains(out.String(), "soap-flr/GetPatientGPDetails") {
		t.Fatalf("who-looked-up after a SOAP lookup:\n%s", out.String())
	}
	// The contract with our address.
	wreq, _ := http.NewRequest("GET", api+"/v1/AR?wsdl", nil)
	wreq.Header.Set("Authorization", "Bearer "+all)
	wres, err := http.DefaultClient.Do(wreq)
	if err != nil {
		t.Fatal(err)
	}
	wsdl, _ := io.ReadAll(wres.Body)
	wres.Body.Close()
	if wres.StatusCode != 200 || !bytes.Contains(wsdl, []byte(`location="`+api+`/v1/AR/Basic"`)) {
		t.Fatalf("WSDL: %d %.300s", wres.StatusCode, wsdl)
	}

	// NHN's REST shape beside ours, same token and scope.
	her := strconv.FormatUint(id.Service, 10)
	if r := doAuth(t, "GET", api+"/cp/communicationparty/"+her, all, ""); r.status != 200 || !bytes.HasPrefix(r.body, []byte(`{"herId":`+her+`,"parentHerId":`)) {
		t.Fatalf("REST lookup: %d %.300s", r.status, r.body)
	}
	if r := doAuth(t, "GET", api+"/cp/communicationparty/"+her, gp, ""); r.status != 403 {
		t.Fatalf("REST lookup without organisation.read: %d", r.status)
	}
	if r := doAuth(t, "GET", api+"/cp/event?fromSequenceNumber=1", all, ""); r.status != 200 || r.body[0] != '[' {
		t.Fatalf("REST events: %d %.300s", r.status, r.body)
	}

	// zeep calls every implemented operation.
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import zeep").Run(); err != nil {
		t.Fatalf("python3-zeep is missing (.ci/deps installs it): %v", err)
	}
	ids, _ := json.Marshal(id)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, "testdata/soap_zeep.py", api, all, string(ids))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	lines, err := cmd.Output()
	if err != nil {
		t.Fatalf("zeep client: %v\n%s", err, stderr.String())
	}
	type result struct {
		Op, Soap string
		OK       bool
		Result   json.RawMessage
		Fault    struct{ Message, Code string }
	}
	var got []result
	for _, l := range bytes.Split(bytes.TrimSpace(lines), []byte("\n")) {
		var r result
		if err := json.Unmarshal(l, &r); err != nil {
			t.Fatalf("zeep output %q: %v", l, err)
		}
		got = append(got, r)
	}
	// Each call: the operation, whether it answers, and a value zeep must
	// have read from the answer (or the fault code).
	want := []struct {
		op   string
		ok   bool
		text string
	}{
		{"GetCommunicationPartyDetails", true, `"HerId": ` + strconv.FormatUint(id.Org, 10)},
		{"GetCommunicationPartyDetails", true, `"HPRNumber": `},
		{"GetCommunicationPartyDetails", false, "InvalidHerIdSupplied"},
		{"GetOrganizationDetails", true, `"OrganizationNumber": ` + strings.TrimLeft(id.Orgnr, "0")},
		{"GetServiceDetails", true, `"HerId": ` + strconv.FormatUint(id.Service, 10)},
		{"GetOrganizationPersonDetails", true, `"HerId": ` + strconv.FormatUint(id.Person, 10)},
		{"SearchById", true, `"HerId": ` + strconv.FormatUint(id.Org, 10)},
		{"Search", true, `"TotalResults": `},
		{"GetChangedCommunicationPartiesInfo", true, `"LastUpdated": `},
		{"Ping", true, ""},
		{"SetCommunicationPartyValid", false, "ReadOnly"},
		{"GetCertificateForEncryption", true, `"`},
		{"GetCertificateDetailsForEncryption", true, `"Certificate": "`},
		{"HentPerson", true, `"HPRNummer": ` + strconv.FormatUint(id.HPR, 10)},
		{"HentPersonMedPersonnummer", true, `"NIN": "` + id.HPRNIN + `"`},
		{"HentPersoner", true, `"HPRNummer": ` + strconv.FormatUint(id.HPR, 10)},
		{"Søk", true, `"HPRNummer": ` + strconv.FormatUint(id.HPR, 10)},
		{"Søk2", true, `"ResultaterTotalt": 1`},
		{"Ping", true, ""},
		{"GetPatientGPDetails", true, `"PatientNIN": "` + id.GPPatient + `"`},
		{"GetPatientGPDetails", false, "Feil"},
		{"GetPatientsGPDetails", true, `"PatientNIN": "` + id.GPPatient + `"`},
		{"GetGPContract", true, `"Id": ` + strconv.FormatUint(id.Contract, 10)},
		{"GetGPContractsOnOffice", true, `"GPContractId": ` + strconv.FormatUint(id.Contract, 10)},
		{"QueryGPContracts", true, `"Total": `},
	}
	// AR and HPR run over both versions in turn; FLR too.
	var expect []struct {
		op   string
		ok   bool
		text string
	}
	for _, block := range [][2]int{{0, 13}, {13, 19}, {19, 25}} {
		for range 2 {
			expect = append(expect, want[block[0]:block[1]]...)
		}
	}
	if len(got) != len(expect) {
		t.Fatalf("zeep made %d calls, want %d", len(got), len(expect))
	}
	for i, w := range expect {
		g := got[i]
		text := string(g.Result)
		if !g.OK {
			text = g.Fault.Code + " " + g.Fault.Message
		}
		if g.Op != w.op || g.OK != w.ok || !strings.Contains(strings.ReplaceAll(text, `":`, `": `), w.text) && !strings.Contains(text, w.text) {
			t.Errorf("zeep call %d (%s, SOAP %s): ok=%v, want ok=%v and %q in %.400s", i, g.Op, g.Soap, g.OK, w.ok, w.text, text)
		}
	}
}
