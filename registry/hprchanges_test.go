package registry

import (
	"encoding/json"
	"strings"
	"testing"
)

func changesString(t *testing.T, cs []Change) string {
	t.Helper()
	var out []string
	for _, c := range cs {
		s := c.Kind
		if c.Of != "" {
			s += "(" + c.Of + ")"
		}
		if len(c.ApprovalID) > 0 {
			s += " " + string(c.ApprovalID)
		}
		if len(c.Type) > 0 {
			s += " " + typeCode(c.Type)
		}
		out = append(out, s+" "+c.Change)
	}
	return strings.Join(out, "; ")
}

// TestPersonnelChanges: the changes of an HPR record between two loads, in
// the terms of its history; each row edits histRec (TestPersonnelHistory's
// record) once.
func TestPersonnelChanges(t *testing.T) {
	const lic = `{"id":40000067,"profession":{"oid":9060,"code":"LE","text":"Lege"},"authorization":{"oid":7704,"code":"2","text":"Turnuslisens"},` +
		`"valid":{"from":"2011-01-15","to":"2012-06-30"},"ended":true,"specialities":[],"requisitionRights":[],"additionalCompetences":[],"suspensions":[]}`
	for _, c := range []struct {
		name     string
		old, new string // replaced in histRec to make the new version
		want     string
	}{
		{"same", "", "", ""},
		{"authorisation ended", `"valid":{"from":"2012-07-01","to":null},"ended":false`, `"valid":{"from":"2012-07-01","to":"2026-10-31"},"ended":true`,
			"authorisation 40000068 ended"},
		{"authorisation marked ended only", `"valid":{"from":"2012-07-01","to":null},"ended":false`, `"valid":{"from":"2012-07-01","to":null},"ended":true`,
			"authorisation 40000068 ended"},
		{"licence removed", "," + lic, "", "licence 40000067 removed"},
		{"authorisation added", "]}]}", `]},{"id":40000069,"authorization":{"code":"1"},"valid":{"from":"2026-09-01","to":null},"ended":false}]}`,
			"authorisation 40000069 added"},
		{"suspension added", `"suspensions":[{"from":"2020-01-01","to":"2020-06-30"}]`, `"suspensions":[{"from":"2020-01-01","to":"2020-06-30"},{"from":"2026-02-01","to":null}]`,
			"suspension(authorisation) 40000068 added"},
		{"requisition right suspension lifted", `"suspensions":[{"from":"2024-05-01","to":null}]`, `"suspensions":[{"from":"2024-05-01","to":"2026-01-31"}]`,
			"suspension(requisitionRight) 40000068 1 ended"},
		{"speciality added", `"specialities":[{"type":{"oid":7426,"code":"1","text":"Allmennmedisin"},"valid":{"from":"2018-03-01","to":null},"suspensions":[]}]`,
			`"specialities":[{"type":{"oid":7426,"code":"1","text":"Allmennmedisin"},"valid":{"from":"2018-03-01","to":null},"suspensions":[]},{"type":{"oid":7426,"code":"40","text":"Psykiatri"},"valid":{"from":"2026-06-01","to":null},"suspensions":[]}]`,
			"speciality 40000068 40 added"},
		{"speciality ended", `"valid":{"from":"2018-03-01","to":null}`, `"valid":{"from":"2018-03-01","to":"2026-01-01"}`, "speciality 40000068 1 ended"},
		{"profession text corrected", `"code":"2","text":"Turnuslisens"`, `"code":"2","text":"Turnuslisens (utgått)"`, "licence 40000067 changed"},
		{"name changed", `"givenName":"Kari"`, `"givenName":"Kari Anne"`, "person changed"},
		{"two changes, one event", `"valid":{"from":"2012-07-01","to":null},"ended":false,"suspensions":[{"from":"2020-01-01","to":"2020-06-30"}]`,
			`"valid":{"from":"2012-07-01","to":"2026-10-31"},"ended":true,"suspensions":[{"from":"2020-01-01","to":"2020-06-30"},{"from":"2026-10-01","to":"2026-10-31"}]`,
			"authorisation 40000068 ended; suspension(authorisation) 40000068 added"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cur := histRec
			if c.old != "" {
				if !strings.Contains(histRec, c.old) {
					t.Fatalf("fixture lacks %s", c.old)
				}
				cur = strings.Replace(histRec, c.old, c.new, 1)
			}
			cs, err := PersonnelChanges([]byte(histRec), []byte(cur))
			if err != nil {
				t.Fatal(err)
			}
			if got := changesString(t, cs); got != c.want {
				t.Errorf("changes %q, want %q", got, c.want)
			}
		})
	}
	if _, err := PersonnelChanges([]byte(histRec), []byte(`{"approvals":7}`)); err == nil {
		t.Error("a malformed record: no error")
	}
}

func TestReshChanges(t *testing.T) {
	const u = `{"reshId":100042,"name":"Sengepost 1","valid":{"from":"2010-03-01","to":null},"active":true}`
	for _, c := range []struct{ name, cur, want string }{
		{"same", u, ""},
		{"closed", strings.Replace(u, `"to":null},"active":true`, `"to":"2026-10-31"},"active":false`, 1), "validity ended"},
		{"renamed", strings.Replace(u, "Sengepost 1", "Sengepost 2", 1), "unit changed"},
		{"start moved", strings.Replace(u, "2010-03-01", "2010-04-01", 1), "validity changed"},
	} {
		cs, err := ReshChanges([]byte(u), []byte(c.cur))
		if err != nil || changesString(t, cs) != c.want {
			t.Errorf("%s: %q %v, want %q", c.name, changesString(t, cs), err, c.want)
		}
	}
	closed := strings.Replace(u, `"to":null},"active":true`, `"to":"2026-10-31"},"active":false`, 1)
	if cs, _ := ReshChanges([]byte(closed), []byte(u)); changesString(t, cs) != "validity reopened" {
		t.Errorf("reopened: %q", changesString(t, cs))
	}
}

// TestEventValueChanges: an HPR or RESH event carries its changes after the
// primary key and decodes to the same primary key; other events carry none.
func TestEventValueChanges(t *testing.T) {
	ch := EventChangesOf(RegResh, AppendValue(nil, 0, []byte(`{"reshId":1,"valid":{"from":"2010-01-01","to":null}}`), nil),
		AppendValue(nil, 0, []byte(`{"reshId":1,"valid":{"from":"2010-01-01","to":"2026-01-01"}}`), nil))
	if string(ch) != `[{"kind":"validity","change":"ended"}]` {
		t.Fatalf("EventChangesOf: %s", ch)
	}
	for _, c := range []struct {
		name     string
		pk       Key
		changes  []byte
		want     string
		wantKeep bool
	}{
		{"personnel with changes", SerialKey(RegPersonnel, 1000017), ch, string(ch), true},
		{"resh without changes", SerialKey(RegResh, 100042), nil, "", true},
		{"party: never", SerialKey(RegParty, 80001), ch, "", true},
		{"gp contract: never", SerialKey(RegGPContract, 123456789012), ch, "", true},
	} {
		v := AppendEventValueChanges(nil, EventUpsert, c.pk.Bytes(), c.changes)
		typ, pk, ok := DecodeEventValue(v)
		if !ok || typ != EventUpsert || string(pk) != string(c.pk.Bytes()) {
			t.Errorf("%s: decoded %c %x %v", c.name, typ, pk, ok)
		}
		if got := string(EventValueChanges(v)); got != c.want {
			t.Errorf("%s: changes %q, want %q", c.name, got, c.want)
		}
		if c.want != "" && !json.Valid(EventValueChanges(v)) {
			t.Errorf("%s: changes not JSON", c.name)
		}
	}
	if EventChangesOf(RegParty, nil, nil) != nil || EventChangesOf(RegPersonnel, []byte{9}, []byte{9}) != nil {
		t.Error("changes for a family without history or a damaged value")
	}
}
