package flr_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/grunndata/grunndata/loader/flr"
	"github.com/grunndata/grunndata/loader/jsonl"
)

const contract = `{"id":300001, "gpOfficeOrganizationNumber":"890640257","gpOfficeHerId":80357,"municipality":{"oid":3402,"code":"0301","text":"OSLO"},"maxPatients":500,"status":{"oid":7751,"code":"FALU","text":"Lukket for nye pasienter"},"doctors":[{"hprNumber":1000497,"relationship":{"oid":7750,"code":"LF","text":"Fastlege"},"valid":{"from":"2013-10-24","to":"2024-07-24"}},{"hprNumber":1000672,"relationship":{"oid":7750,"code":"LV","text":"Vikar"},"valid":{"from":"2024-07-25","to":null}}]}`

func readContracts(t *testing.T, in string) []flr.Contract {
	t.Helper()
	var out []flr.Contract
	err := flr.ReadContracts(strings.NewReader(in), func(c *flr.Contract) error {
		x := *c
		x.JSON = append([]byte(nil), c.JSON...) // valid only during the callback
		out = append(out, x)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestReadContracts(t *testing.T) {
	cs := readContracts(t, contract+"\n")
	if len(cs) != 1 {
		t.Fatalf("%d contracts", len(cs))
	}
	c := cs[0]
	if c.Line != 1 || c.ID != 300001 || c.OfficeOrgnr != "890640257" || c.OfficeHerID != 80357 || c.Municipality != "0301" ||
		c.MaxPatients != 500 || c.Status != "FALU" || c.Err != nil || c.Missing != "" {
		t.Errorf("contract %+v", c)
	}
	if len(c.Doctors) != 2 || c.Doctors[0].HPRNumber != 1000497 || c.Doctors[1].Relationship.Code != "LV" ||
		c.Doctors[0].Valid.Contains("2024-07-25") || !c.Doctors[1].Valid.Contains("2030-01-01") {
		t.Errorf("doctors %+v", c.Doctors)
	}
	if want := strings.Replace(contract, ", ", ",", 1); string(c.JSON) != want {
		t.Errorf("JSON %s, want the line compacted", c.JSON)
	}
}

func TestReadContractsShapeErrors(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		err        error
		errText    string
		missing    string
	}{
		{name: "cut short", line: `{"id":1,"doctors":[`, errText: "unexpected end of JSON input"},
		{name: "invalid UTF-8", line: "{\"id\":1,\"gpOfficeOrganizationNumber\":\"\xe2\x28\xa1\",\"municipality\":{\"code\":\"0301\"},\"maxPatients\":1,\"doctors\":[]}", err: jsonl.ErrInvalidUTF8},
		{name: "doctor not an object", line: `{"id":1,"gpOfficeOrganizationNumber":"x","municipality":{"code":"0301"},"maxPatients":1,"doctors":[1]}`, errText: "Doctor"},
		{name: "no id", line: `{"gpOfficeOrganizationNumber":"x","municipality":{"code":"0301"},"maxPatients":1,"doctors":[]}`, missing: "id"},
		{name: "no office", line: `{"id":1,"municipality":{"code":"0301"},"maxPatients":1,"doctors":[]}`, missing: "gpOfficeOrganizationNumber"},
		{name: "no municipality", line: `{"id":1,"gpOfficeOrganizationNumber":"x","maxPatients":1,"doctors":[]}`, missing: "municipality"},
		{name: "no maxPatients", line: `{"id":1,"gpOfficeOrganizationNumber":"x","municipality":{"code":"0301"},"doctors":[]}`, missing: "maxPatients"},
		{name: "no doctors", line: `{"id":1,"gpOfficeOrganizationNumber":"x","municipality":{"code":"0301"},"maxPatients":1}`, missing: "doctors"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs := readContracts(t, tc.line+"\n"+contract+"\n")
			if len(cs) != 2 || cs[1].Err != nil || cs[1].ID != 300001 || cs[1].Line != 2 {
				t.Fatalf("the line after a bad one: %+v", cs)
			}
			c := cs[0]
			if c.Line != 1 || len(c.JSON) != 0 {
				t.Errorf("line %d, JSON %s; want line 1 and no view", c.Line, c.JSON)
			}
			switch {
			case tc.missing != "":
				if c.Missing != tc.missing || c.Err != nil {
					t.Errorf("Missing %q, Err %v; want Missing %q", c.Missing, c.Err, tc.missing)
				}
			case tc.err != nil:
				if !errors.Is(c.Err, tc.err) {
					t.Errorf("Err %v, want %v", c.Err, tc.err)
				}
			default:
				if c.Err == nil || !strings.Contains(c.Err.Error(), tc.errText) {
					t.Errorf("Err %v, want one containing %q", c.Err, tc.errText)
				}
			}
		})
	}
}

func TestReadPatients(t *testing.T) {
	in := `{"patientNin":"06846100030","gpContractId":300002,"period":{"from":"2014-01-08","to":null}}
{"patientNin":"02858500004","gpContractId":300015}
{"patientNin":"02858500004","gpContractId":"x","period":{"from":"2014-01-08","to":null}}
{"gpContractId":300015,"period":{"from":"2014-01-08","to":null}}
`
	var got []flr.Patient
	if err := flr.ReadPatients(strings.NewReader(in), func(p *flr.Patient) error { got = append(got, *p); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Fatalf("%d patients", len(got))
	}
	if p := got[0]; p.NIN != "06846100030" || p.ContractID != 300002 || p.Period.From != "2014-01-08" || p.Period.To != nil || p.Err != nil {
		t.Errorf("patient %+v", p)
	}
	if got[1].Missing != "period" || got[2].Err == nil || got[3].Missing != "patientNin" || got[3].Line != 4 {
		t.Errorf("bad lines: %+v", got[1:])
	}
}

// TestPeriodAppendJSON: the period encoder writes what json.Marshal writes.
func TestPeriodAppendJSON(t *testing.T) {
	to := "2024-07-24"
	odd := `a"<b>`
	for _, p := range []flr.Period{{From: "2013-10-24"}, {From: "2013-10-24", To: &to}, {}, {From: odd, To: &odd}} {
		want, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.AppendJSON(nil); string(got) != string(want) {
			t.Errorf("AppendJSON %s, want %s", got, want)
		}
	}
}

func TestPeriodContains(t *testing.T) {
	to := "2024-07-24"
	for _, tc := range []struct {
		p    flr.Period
		day  string
		want bool
	}{
		{flr.Period{From: "2013-10-24"}, "2013-10-24", true},
		{flr.Period{From: "2013-10-24"}, "2013-10-23", false},
		{flr.Period{From: "2013-10-24", To: &to}, "2024-07-24", true},
		{flr.Period{From: "2013-10-24", To: &to}, "2024-07-25", false},
		{flr.Period{}, "2000-01-01", true},
	} {
		if got := tc.p.Contains(tc.day); got != tc.want {
			t.Errorf("%+v.Contains(%s) = %v", tc.p, tc.day, got)
		}
	}
	if got := flr.Today(time.Date(2026, 11, 1, 23, 30, 0, 0, time.FixedZone("CET", 3600))); got != "2026-11-01" {
		t.Errorf("Today = %s", got)
	}
}

// FuzzReadContracts: any input gives contracts, never a panic, and the view
// of one that decoded is valid JSON in valid UTF-8.
func FuzzReadContracts(f *testing.F) {
	f.Add(contract)
	f.Add("{\"id\":1,\"gpOfficeOrganizationNumber\":\"\xff\"}")
	f.Add(`{"id":1,"gpOfficeOrganizationNumber":"x","municipality":{"code":"0301"},"maxPatients":1,"doctors":[{}]}`)
	f.Fuzz(func(t *testing.T, in string) {
		err := flr.ReadContracts(strings.NewReader(in), func(c *flr.Contract) error {
			if c.Err == nil && c.Missing == "" && (!json.Valid(c.JSON) || !utf8.Valid(c.JSON)) {
				t.Fatalf("view of %q = %q: not valid JSON in UTF-8", in, c.JSON)
			}
			return nil
		})
		if err != nil && !errors.Is(err, jsonl.ErrStructure) {
			t.Fatalf("ReadContracts: %v", err)
		}
	})
}
