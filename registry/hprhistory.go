package registry

import (
	"encoding/json"
	"sort"
	"time"
)

// The history of an HPR person (GET /v1/personnel/{hpr}/history, HPR's
// HentPersonMedHistorikk): every authorisation, licence, speciality,
// requisition right, additional competence and suspension of the stored
// record as one list of entries, each with its period and its status at an
// instant. The stored record already holds every approval Helsepersonell-
// registeret delivered, ended ones included; the history is a pure function
// of that record and the instant, tested without a server or a clock.

// History entry kinds.
const (
	HistAuthorisation        = "authorisation"
	HistLicence              = "licence"
	HistSpeciality           = "speciality"
	HistRequisitionRight     = "requisitionRight"
	HistAdditionalCompetence = "additionalCompetence"
	HistSuspension           = "suspension"
)

// History entry statuses at the instant asked.
const (
	HistActive    = "active"
	HistSuspended = "suspended"
	HistEnded     = "ended"
	HistFuture    = "future"
)

// licenceCodes are the 7704 codes of licences (lisens, studentlisens,
// turnuslisens, LIS1-lisens and the retired licence codes); every other
// approval is an authorisation.
var licenceCodes = map[string]bool{"2": true, "3": true, "4": true, "6": true, "11": true, "12": true, "18": true}

// ApprovalKind returns HistLicence or HistAuthorisation for a 7704 code.
func ApprovalKind(code string) string {
	if licenceCodes[code] {
		return HistLicence
	}
	return HistAuthorisation
}

type histItem struct {
	Type        json.RawMessage `json:"type"`
	Valid       Period          `json:"valid"`
	Suspensions []Period        `json:"suspensions"`
}

type histApproval struct {
	ID            json.RawMessage `json:"id"`
	Profession    json.RawMessage `json:"profession"`
	Authorization json.RawMessage `json:"authorization"`
	Valid         Period          `json:"valid"`
	Ended         bool            `json:"ended"`
	Suspensions   []Period        `json:"suspensions"`
	Specialities  []histItem      `json:"specialities"`
	Requisition   []histItem      `json:"requisitionRights"`
	Additional    []histItem      `json:"additionalCompetences"`
}

type histRecord struct {
	HPRNumber  json.RawMessage `json:"hprNumber"`
	GivenName  json.RawMessage `json:"givenName"`
	MiddleName json.RawMessage `json:"middleName"`
	FamilyName json.RawMessage `json:"familyName"`
	Approvals  []histApproval  `json:"approvals"`
}

// HistoryEntry is one entry of a personnel history.
type HistoryEntry struct {
	Kind string `json:"kind"`
	// Of is, for a suspension, the kind of what is suspended.
	Of            string          `json:"of,omitempty"`
	ApprovalID    json.RawMessage `json:"approvalId,omitempty"`
	Profession    json.RawMessage `json:"profession,omitempty"`
	Authorization json.RawMessage `json:"authorization,omitempty"`
	Type          json.RawMessage `json:"type,omitempty"`
	Valid         histPeriod      `json:"valid"`
	Ended         *bool           `json:"ended,omitempty"`
	Status        string          `json:"status"`
}

// histPeriod is a Period as the history writes it: an absent end is null.
type histPeriod struct {
	From *string `json:"from"`
	To   *string `json:"to"`
}

func toHist(p Period) histPeriod {
	var h histPeriod
	if p.From != "" {
		f := p.From
		h.From = &f
	}
	if p.To != nil && *p.To != "" {
		t := *p.To
		h.To = &t
	}
	return h
}

// periodStatus is the status of a period on day: future before it, ended
// after it, else active.
func periodStatus(p Period, day string) string {
	if from := p.From[:min(len(p.From), 10)]; from != "" && day < from {
		return HistFuture
	}
	if !p.Contains(day) {
		return HistEnded
	}
	return HistActive
}

// approvalStatus: an approval marked ended is ended whatever its period
// says; one in its period but in a suspension is suspended.
func approvalStatus(a *histApproval, day string) string {
	st := periodStatus(a.Valid, day)
	switch {
	case a.Ended && st != HistFuture:
		return HistEnded
	case st == HistActive && Suspended(a.Suspensions, day):
		return HistSuspended
	}
	return st
}

// PersonnelHistory returns the history of the HPR record rec at instant at:
// the record's hprNumber and names, "asOf" (the instant the statuses are
// evaluated at) and "history", the entries ordered by the start of their
// period (open starts first; ties keep the record's order). Every approval is
// an authorisation or a licence (ApprovalKind) with its profession,
// authorization, period and ended flag; every speciality, requisition right
// and additional competence an entry naming its approval; every suspension
// (of an approval or of one of its items) an entry with "of".
func PersonnelHistory(dst, rec []byte, at time.Time) ([]byte, error) {
	var r histRecord
	if err := json.Unmarshal(rec, &r); err != nil {
		return dst, err
	}
	day := Day(at)
	var es []HistoryEntry
	for i := range r.Approvals {
		a := &r.Approvals[i]
		var code struct {
			Code string `json:"code"`
		}
		if len(a.Authorization) > 0 {
			if err := json.Unmarshal(a.Authorization, &code); err != nil {
				return dst, err
			}
		}
		kind := ApprovalKind(code.Code)
		ended := a.Ended
		es = append(es, HistoryEntry{Kind: kind, ApprovalID: a.ID, Profession: a.Profession, Authorization: a.Authorization,
			Valid: toHist(a.Valid), Ended: &ended, Status: approvalStatus(a, day)})
		for _, s := range a.Suspensions {
			es = append(es, HistoryEntry{Kind: HistSuspension, Of: kind, ApprovalID: a.ID, Profession: a.Profession,
				Valid: toHist(s), Status: periodStatus(s, day)})
		}
		for _, group := range []struct {
			kind  string
			items []histItem
		}{{HistSpeciality, a.Specialities}, {HistRequisitionRight, a.Requisition}, {HistAdditionalCompetence, a.Additional}} {
			for _, it := range group.items {
				st := periodStatus(it.Valid, day)
				if st == HistActive && Suspended(it.Suspensions, day) {
					st = HistSuspended
				}
				es = append(es, HistoryEntry{Kind: group.kind, ApprovalID: a.ID, Profession: a.Profession, Type: it.Type,
					Valid: toHist(it.Valid), Status: st})
				for _, s := range it.Suspensions {
					es = append(es, HistoryEntry{Kind: HistSuspension, Of: group.kind, ApprovalID: a.ID, Profession: a.Profession,
						Type: it.Type, Valid: toHist(s), Status: periodStatus(s, day)})
				}
			}
		}
	}
	sort.SliceStable(es, func(i, j int) bool { return fromOf(es[i].Valid) < fromOf(es[j].Valid) })
	out := struct {
		HPRNumber  json.RawMessage `json:"hprNumber"`
		GivenName  json.RawMessage `json:"givenName,omitempty"`
		MiddleName json.RawMessage `json:"middleName,omitempty"`
		FamilyName json.RawMessage `json:"familyName,omitempty"`
		AsOf       string          `json:"asOf"`
		History    []HistoryEntry  `json:"history"`
	}{r.HPRNumber, r.GivenName, r.MiddleName, r.FamilyName, at.UTC().Format(time.RFC3339), es}
	if out.History == nil {
		out.History = []HistoryEntry{}
	}
	if len(out.HPRNumber) == 0 {
		return dst, errHPRShape
	}
	b, err := json.Marshal(&out)
	if err != nil {
		return dst, err
	}
	return append(dst, b...), nil
}

func fromOf(p histPeriod) string {
	if p.From == nil {
		return ""
	}
	return *p.From
}
