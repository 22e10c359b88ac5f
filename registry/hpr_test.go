package registry

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func str(s string) *string { return &s }

func TestPeriodContains(t *testing.T) {
	for _, c := range []struct {
		p    Period
		day  string
		want bool
	}{
		{Period{From: "2020-01-01"}, "2019-12-31", false},
		{Period{From: "2020-01-01"}, "2020-01-01", true}, // inclusive
		{Period{From: "2020-01-01", To: str("2020-06-30")}, "2020-06-30", true},
		{Period{From: "2020-01-01", To: str("2020-06-30")}, "2020-07-01", false},
		{Period{From: "2020-01-01T10:00:00Z", To: str("2020-06-30T23:00:00Z")}, "2020-06-30", true}, // date part
		{Period{From: "2020-01-01", To: str("")}, "2099-01-01", true},                               // "" is open
		{Period{}, "2020-01-01", true},
	} {
		if got := c.p.Contains(c.day); got != c.want {
			t.Errorf("%+v contains %s = %v, want %v", c.p, c.day, got, c.want)
		}
	}
}

// TestApprovalValidAt: an approval is a valid authorisation at an instant
// when its type is one of 1, 17, 4, 2, 14, 18 (7704), the instant is in its
// period, it has not ended and no suspension contains the instant.
func TestApprovalValidAt(t *testing.T) {
	base := func(code string) HPRApproval {
		var a HPRApproval
		a.Authorization.Code = code
		a.Valid = Period{From: "2010-01-01", To: str("2030-12-31")}
		return a
	}
	ended := base("1")
	ended.Ended = true
	suspended := base("1")
	suspended.Suspensions = []Period{{From: "2024-01-01", To: str("2024-12-31")}, {From: "2026-03-01"}}
	for _, c := range []struct {
		name string
		a    HPRApproval
		day  string
		want bool
	}{
		{"autorisasjon", base("1"), "2025-01-01", true},
		{"lisens", base("4"), "2025-01-01", true},
		{"LIS1", base("18"), "2025-01-01", true},
		{"spesialistgodkjenning is no authorisation", base("3"), "2025-01-01", false},
		{"before the period", base("1"), "2009-12-31", false},
		{"after the period", base("1"), "2031-01-01", false},
		{"ended", ended, "2025-01-01", false},
		{"in a closed suspension", suspended, "2024-06-01", false},
		{"between suspensions", suspended, "2025-06-01", true},
		{"in an open suspension", suspended, "2026-03-01", false},
	} {
		if got := c.a.ValidAt(c.day); got != c.want {
			t.Errorf("%s on %s: %v, want %v", c.name, c.day, got, c.want)
		}
	}
}

// referencePersonnelAt is the rule as the server applied it before it moved
// here (decoding through maps), with its defect fixed (it decoded an item's
// period as an object holding "valid", so specialities, requisition rights
// and competences were never filtered by the instant): the oracle
// PersonnelAt must agree with.
func referencePersonnelAt(rec []byte, at time.Time) ([]byte, error) {
	var person map[string]json.RawMessage
	if err := json.Unmarshal(rec, &person); err != nil {
		return nil, err
	}
	var approvals []map[string]json.RawMessage
	if raw := person["approvals"]; len(raw) > 0 {
		if err := json.Unmarshal(raw, &approvals); err != nil {
			return nil, err
		}
	}
	day := Day(at)
	suspended := func(raw json.RawMessage) bool {
		var ps []Period
		json.Unmarshal(raw, &ps)
		return Suspended(ps, day)
	}
	kept := make([]map[string]json.RawMessage, 0, len(approvals))
	for _, a := range approvals {
		var f struct {
			Valid         Period `json:"valid"`
			Ended         bool   `json:"ended"`
			Authorization struct {
				Code string `json:"code"`
			} `json:"authorization"`
		}
		raw, _ := json.Marshal(a)
		json.Unmarshal(raw, &f)
		if !f.Valid.Contains(day) {
			continue
		}
		valid := validAuthorizations[f.Authorization.Code] && !f.Ended && !suspended(a["suspensions"])
		a["valid"], _ = json.Marshal(valid)
		for _, k := range []string{"specialities", "requisitionRights", "additionalCompetences"} {
			var items []map[string]json.RawMessage
			if json.Unmarshal(a[k], &items) != nil {
				continue
			}
			keep := items[:0]
			for _, it := range items {
				var iv Period // the server read this into struct{Valid Period}: never filtered
				json.Unmarshal(it["valid"], &iv)
				if iv.Contains(day) {
					it["suspended"], _ = json.Marshal(suspended(it["suspensions"]))
					keep = append(keep, it)
				}
			}
			a[k], _ = json.Marshal(keep)
		}
		kept = append(kept, a)
	}
	person["approvals"], _ = json.Marshal(kept)
	person["atTime"], _ = json.Marshal(at.UTC().Format(time.RFC3339))
	return json.Marshal(person)
}

// hprSample is the docs/formats.md record with a second, ended approval, a
// suspension, a closed speciality and a field the rule does not know.
const hprSample = `{"hprNumber":1000017,"nin":"12857012345","givenName":"Kari","middleName":null,"familyName":"Nordmann",` +
	`"birthDate":"1970-05-12","gender":{"oid":3101,"code":"2","text":"Kvinne"},"lastUpdated":"2026-01-05T10:00:00Z","unknownField":{"a":[1,"}"]},` +
	`"approvals":[{"id":40000171,"profession":{"oid":9060,"code":"LE","text":"Lege"},"authorization":{"oid":7704,"code":"1","text":"Autorisasjon"},` +
	`"valid":{"from":"1996-06-01","to":null},"ended":false,"specialities":[{"type":{"oid":7426,"code":"1","text":"Allmennmedisin"},` +
	`"valid":{"from":"2005-03-01","to":null},"suspensions":[{"from":"2020-01-01","to":"2020-12-31"}]},{"type":{"oid":7426,"code":"2","text":"Anestesiologi"},` +
	`"valid":{"from":"1999-01-01","to":"2004-12-31"},"suspensions":[]}],"requisitionRights":[{"type":{"oid":7701,"code":"1","text":"Full rekvisisjonsrett"},` +
	`"valid":{"from":"1996-06-01","to":null},"suspensions":[]}],"additionalCompetences":[],"suspensions":[{"from":"2022-02-01","to":"2022-03-01"}]},` +
	`{"id":40000172,"profession":{"oid":9060,"code":"SP","text":"Sykepleier"},"authorization":{"oid":7704,"code":"4","text":"Lisens"},` +
	`"valid":{"from":"1990-01-01","to":"1995-12-31"},"ended":true,"specialities":null,"requisitionRights":[],"additionalCompetences":[],"suspensions":[]}]}`

func TestPersonnelAtAgreesWithTheRule(t *testing.T) {
	records := []string{
		hprSample,
		`{"hprNumber":5,"nin":null,"givenName":"A","familyName":"B","approvals":[]}`,
		`{"hprNumber":6,"givenName":"A","familyName":"B"}`,
		`{"hprNumber":7,"givenName":"A","familyName":"B","approvals":null}`,
		`{"hprNumber":8,"givenName":"A\"b\\","familyName":"B","approvals":[{"authorization":{"code":"17"}}]}`,
	}
	instants := []string{"1993-05-05T00:00:00Z", "2003-01-01T12:00:00Z", "2020-06-01T00:00:00Z", "2022-02-15T23:59:59Z",
		"2026-01-05T12:00:00+01:00"}
	for _, rec := range records {
		for _, s := range instants {
			at, err := time.Parse(time.RFC3339, s)
			if err != nil {
				t.Fatal(err)
			}
			got, err := PersonnelAt([]byte("prefix"), []byte(rec), at)
			if err != nil {
				t.Fatalf("%s at %s: %v", rec, s, err)
			}
			if string(got[:6]) != "prefix" {
				t.Fatalf("dst not kept: %s", got)
			}
			got = got[6:]
			want, err := referencePersonnelAt([]byte(rec), at)
			if err != nil {
				t.Fatal(err)
			}
			var g, w any
			if err := json.Unmarshal(got, &g); err != nil {
				t.Fatalf("invalid JSON at %s: %v: %s", s, err, got)
			}
			json.Unmarshal(want, &w)
			if !reflect.DeepEqual(g, w) {
				t.Errorf("at %s:\n got %s\nwant %s", s, got, want)
			}
		}
	}
	for _, bad := range []string{``, `[]`, `{"approvals":{}}`, `{"approvals":[1,2]}`, `{"approvals":[{"valid":5}]}`, `{"a":1`} {
		if _, err := PersonnelAt(nil, []byte(bad), time.Now()); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestHPRNIN(t *testing.T) {
	for _, c := range []struct {
		rec, want string
		ok        bool
	}{
		{hprSample, "12857012345", true},
		{`{"hprNumber":5,"nin":null}`, "", false},
		{`{"hprNumber":5}`, "", false},
		{`{"x":{"nin":"12857012345"},"nin":"01810050019"}`, "01810050019", true}, // the top-level one
		{`{"x":{"nin":"12857012345"}}`, "", false},
		{`{"nin":"123"}`, "", false},
		{`not json`, "", false},
	} {
		n, ok := HPRNIN([]byte(c.rec))
		if ok != c.ok || ok && string(n[:]) != c.want {
			t.Errorf("%s: %s %v, want %s %v", c.rec, n[:], ok, c.want, c.ok)
		}
	}
	rec := []byte(hprSample)
	if a := testing.AllocsPerRun(100, func() { HPRNIN(rec) }); a != 0 {
		t.Errorf("HPRNIN allocates %v times", a)
	}
}
