package registry

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// histRec is a synthetic HPR record (Tenor-style number, month + 80) with a
// turnuslisens that ended, an authorisation with a closed suspension, a
// speciality, a requisition right suspended until further notice and an
// additional competence that starts later.
const histRec = `{"hprNumber":1000017,"nin":"01810050019","givenName":"Kari","middleName":null,"familyName":"Nordmann","approvals":[` +
	`{"id":40000068,"profession":{"oid":9060,"code":"LE","text":"Lege"},"authorization":{"oid":7704,"code":"1","text":"Autorisasjon"},` +
	`"valid":{"from":"2012-07-01","to":null},"ended":false,"suspensions":[{"from":"2020-01-01","to":"2020-06-30"}],` +
	`"specialities":[{"type":{"oid":7426,"code":"1","text":"Allmennmedisin"},"valid":{"from":"2018-03-01","to":null},"suspensions":[]}],` +
	`"requisitionRights":[{"type":{"oid":7701,"code":"1","text":"Full rekvisisjonsrett"},"valid":{"from":"2012-07-01","to":null},"suspensions":[{"from":"2024-05-01","to":null}]}],` +
	`"additionalCompetences":[{"type":{"oid":7702,"code":"1","text":"Trygderefusjon"},"valid":{"from":"2027-01-01","to":null}}]},` +
	`{"id":40000067,"profession":{"oid":9060,"code":"LE","text":"Lege"},"authorization":{"oid":7704,"code":"2","text":"Turnuslisens"},` +
	`"valid":{"from":"2011-01-15","to":"2012-06-30"},"ended":true,"specialities":[],"requisitionRights":[],"additionalCompetences":[],"suspensions":[]}]}`

type histAnswer struct {
	HPRNumber int    `json:"hprNumber"`
	GivenName string `json:"givenName"`
	AsOf      string `json:"asOf"`
	NIN       *string
	History   []struct {
		Kind          string `json:"kind"`
		Of            string `json:"of"`
		ApprovalID    int    `json:"approvalId"`
		Authorization struct{ Code string }
		Type          struct{ Code string }
		Valid         struct{ From, To *string }
		Ended         *bool  `json:"ended"`
		Status        string `json:"status"`
	} `json:"history"`
}

func history(t *testing.T, rec string, at time.Time) histAnswer {
	t.Helper()
	b, err := PersonnelHistory(nil, []byte(rec), at)
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(b) {
		t.Fatalf("not JSON: %s", b)
	}
	if strings.Contains(string(b), "01810050019") {
		t.Fatalf("the history repeats the fødselsnummer: %s", b)
	}
	var h histAnswer
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return h
}

// TestPersonnelHistoryEntries: every approval, item and suspension is one
// entry with its period, ordered by the start of the period.
func TestPersonnelHistoryEntries(t *testing.T) {
	h := history(t, histRec, time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC))
	if h.HPRNumber != 1000017 || h.GivenName != "Kari" || h.AsOf != "2026-01-05T12:00:00Z" {
		t.Fatalf("head %+v", h)
	}
	var got []string
	for _, e := range h.History {
		s := e.Kind
		if e.Of != "" {
			s += "(" + e.Of + ")"
		}
		got = append(got, s+" "+*e.Valid.From)
		if e.ApprovalID == 0 {
			t.Errorf("%s without approvalId", s)
		}
	}
	want := []string{
		"licence 2011-01-15",
		"authorisation 2012-07-01",
		"requisitionRight 2012-07-01",
		"speciality 2018-03-01",
		"suspension(authorisation) 2020-01-01",
		"suspension(requisitionRight) 2024-05-01",
		"additionalCompetence 2027-01-01",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("entries\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if e := h.History[0]; e.Authorization.Code != "2" || e.Ended == nil || !*e.Ended || *e.Valid.To != "2012-06-30" || e.ApprovalID != 40000067 {
		t.Errorf("licence entry %+v", e)
	}
	if e := h.History[3]; e.Type.Code != "1" || e.Valid.To != nil || e.Ended != nil {
		t.Errorf("speciality entry %+v", e)
	}
}

// TestPersonnelHistoryStatusAt: the status of every entry is a rule of its
// period, its ended flag and its suspensions at the instant asked. An
// approval marked ended is ended at every instant in or after its period,
// as ?atTime's rule (HPRApproval.ValidAt) has it.
func TestPersonnelHistoryStatusAt(t *testing.T) {
	at := func(d string) time.Time {
		t, err := time.Parse(time.DateOnly, d)
		if err != nil {
			panic(err)
		}
		return t.Add(15 * time.Hour)
	}
	// Statuses in the order of TestPersonnelHistoryEntries' entries.
	for _, c := range []struct {
		name, day string
		want      []string
	}{
		{"before everything", "2010-12-31", []string{"future", "future", "future", "future", "future", "future", "future"}},
		{"licence marked ended", "2011-01-15", []string{"ended", "future", "future", "future", "future", "future", "future"}},
		{"last day of the licence", "2012-06-30", []string{"ended", "future", "future", "future", "future", "future", "future"}},
		{"first day of the authorisation", "2012-07-01", []string{"ended", "active", "active", "future", "future", "future", "future"}},
		{"in the suspension", "2020-03-01", []string{"ended", "suspended", "active", "active", "active", "future", "future"}},
		{"last day of the suspension", "2020-06-30", []string{"ended", "suspended", "active", "active", "active", "future", "future"}},
		{"after the suspension", "2020-07-01", []string{"ended", "active", "active", "active", "ended", "future", "future"}},
		{"requisition right suspended", "2026-01-05", []string{"ended", "active", "suspended", "active", "ended", "active", "future"}},
		{"competence started", "2027-01-01", []string{"ended", "active", "suspended", "active", "ended", "active", "active"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := history(t, histRec, at(c.day))
			var got []string
			for _, e := range h.History {
				got = append(got, e.Status)
			}
			if strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Errorf("statuses %v, want %v", got, c.want)
			}
		})
	}
}

func TestPersonnelHistoryShapes(t *testing.T) {
	h := history(t, `{"hprNumber":5,"approvals":[]}`, time.Unix(0, 0))
	if h.HPRNumber != 5 || h.History == nil || len(h.History) != 0 {
		t.Errorf("no approvals: %+v", h)
	}
	// An approval without a period or authorization is still an entry (open
	// period, an authorisation).
	h = history(t, `{"hprNumber":6,"approvals":[{"id":1}]}`, time.Unix(0, 0))
	if len(h.History) != 1 || h.History[0].Kind != HistAuthorisation || h.History[0].Valid.From != nil || h.History[0].Status != HistActive {
		t.Errorf("bare approval: %+v", h)
	}
	for _, bad := range []string{`[]`, `{"hprNumber":1,"approvals":{}}`, `{"approvals":[]}`, `{"hprNumber":1,"approvals":[{"authorization":7}]}`} {
		if _, err := PersonnelHistory(nil, []byte(bad), time.Unix(0, 0)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
	for code, want := range map[string]string{"1": HistAuthorisation, "17": HistAuthorisation, "14": HistAuthorisation,
		"2": HistLicence, "3": HistLicence, "4": HistLicence, "18": HistLicence} {
		if got := ApprovalKind(code); got != want {
			t.Errorf("ApprovalKind(%s) = %s, want %s", code, got, want)
		}
	}
}

// TestPersonnelHistoryAgreesWithValidAt: on every day from before the first
// period to after the last, an approval's history entry is active exactly
// when ?atTime's rule (HPRApproval.ValidAt) calls it a valid authorisation.
func TestPersonnelHistoryAgreesWithValidAt(t *testing.T) {
	var r hprRecord
	if err := json.Unmarshal([]byte(histRec), &r); err != nil {
		t.Fatal(err)
	}
	for d := time.Date(2010, 12, 1, 0, 0, 0, 0, time.UTC); d.Year() < 2028; d = d.AddDate(0, 0, 7) {
		h := history(t, histRec, d)
		k := 0
		for _, e := range h.History {
			if e.Kind != HistAuthorisation && e.Kind != HistLicence {
				continue
			}
			var a *HPRApproval
			for i := range r.Approvals {
				if r.Approvals[i].Authorization.Code == e.Authorization.Code {
					a = &r.Approvals[i]
				}
			}
			if got, want := e.Status == HistActive, a.ValidAt(Day(d)); got != want {
				t.Fatalf("%s: %s entry %s, ValidAt %v", Day(d), e.Kind, e.Status, want)
			}
			k++
		}
		if k != 2 {
			t.Fatalf("%s: %d approval entries", Day(d), k)
		}
	}
}
