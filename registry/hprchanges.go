package registry

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// The history events of the change feed: what changed between two versions
// of an HPR record or a RESH unit, described in the terms of the history
// (GET /v1/personnel/{hpr}/history): an authorisation added or ended is one
// change of one event, not a record to diff by hand. The loader computes
// them when a bulk load replaces a record (EventChangesOf) and stores them
// with the event; the feed serves them as "changes".

// Change kinds beyond the history's entry kinds.
const (
	ChangeAdded    = "added"
	ChangeEnded    = "ended"
	ChangeReopened = "reopened"
	ChangeRemoved  = "removed"
	ChangeChanged  = "changed"
)

// Change is one change of a feed event.
type Change struct {
	Kind       string          `json:"kind"`
	Of         string          `json:"of,omitempty"`
	ApprovalID json.RawMessage `json:"approvalId,omitempty"`
	Type       json.RawMessage `json:"type,omitempty"`
	Change     string          `json:"change"`
}

func periodOpen(p Period) bool { return p.To == nil || *p.To == "" }

// typeCode is the code of a coded value (its raw bytes when it has none).
func typeCode(raw json.RawMessage) string {
	var c struct {
		Code string `json:"code"`
	}
	if json.Unmarshal(raw, &c) == nil && c.Code != "" {
		return c.Code
	}
	return string(raw)
}

// periodChanges appends the changes between two lists of periods of kind
// (suspensions), matched by their start.
func periodChanges(cs []Change, base Change, old, cur []Period) []Change {
	byFrom := map[string]Period{}
	for _, p := range old {
		byFrom[p.From] = p
	}
	seen := map[string]bool{}
	for _, p := range cur {
		seen[p.From] = true
		o, ok := byFrom[p.From]
		c := base
		switch {
		case !ok:
			c.Change = ChangeAdded
		case periodOpen(o) && !periodOpen(p):
			c.Change = ChangeEnded
		case !periodOpen(o) && periodOpen(p):
			c.Change = ChangeReopened
		case !periodOpen(o) && *o.To != *p.To:
			c.Change = ChangeChanged
		default:
			continue
		}
		cs = append(cs, c)
	}
	for _, p := range old {
		if !seen[p.From] {
			c := base
			c.Change = ChangeRemoved
			cs = append(cs, c)
		}
	}
	return cs
}

func approvalEnded(a *histApproval) bool { return a.Ended || !periodOpen(a.Valid) }

// itemChanges appends the changes between two lists of items (specialities,
// requisition rights, additional competences), matched by their type code.
func itemChanges(cs []Change, kind string, id json.RawMessage, old, cur []histItem) []Change {
	byType := map[string]*histItem{}
	for i := range old {
		byType[typeCode(old[i].Type)] = &old[i]
	}
	seen := map[string]bool{}
	for i := range cur {
		it := &cur[i]
		code := typeCode(it.Type)
		seen[code] = true
		c := Change{Kind: kind, ApprovalID: id, Type: it.Type}
		o := byType[code]
		switch {
		case o == nil:
			c.Change = ChangeAdded
		case periodOpen(o.Valid) && !periodOpen(it.Valid):
			c.Change = ChangeEnded
		case !periodOpen(o.Valid) && periodOpen(it.Valid):
			c.Change = ChangeReopened
		case o.Valid.From != it.Valid.From || !periodOpen(o.Valid) && *o.Valid.To != *it.Valid.To:
			c.Change = ChangeChanged
		}
		if c.Change != "" {
			cs = append(cs, c)
		}
		if o != nil {
			cs = periodChanges(cs, Change{Kind: HistSuspension, Of: kind, ApprovalID: id, Type: it.Type}, o.Suspensions, it.Suspensions)
		}
	}
	for i := range old {
		if code := typeCode(old[i].Type); !seen[code] {
			cs = append(cs, Change{Kind: kind, ApprovalID: id, Type: old[i].Type, Change: ChangeRemoved})
		}
	}
	return cs
}

type rawApprovals struct {
	Approvals []json.RawMessage `json:"approvals"`
}

// PersonnelChanges returns what changed from the HPR record old to cur:
// approvals (authorisations and licences, matched by "id") added, ended
// (marked ended or given an end), reopened, removed or otherwise changed;
// the specialities, requisition rights and additional competences of an
// approval (matched by type) added, ended, reopened, removed or changed;
// and suspensions added, ended, reopened, changed or removed. A change
// elsewhere in the record (a name, say) is {"kind":"person","change":
// "changed"}. Nil when the records are the same.
func PersonnelChanges(old, cur []byte) ([]Change, error) {
	var o, c histRecord
	var ro, rc rawApprovals
	for _, x := range []struct {
		b []byte
		v any
	}{{old, &o}, {cur, &c}, {old, &ro}, {cur, &rc}} {
		if err := json.Unmarshal(x.b, x.v); err != nil {
			return nil, err
		}
	}
	if bytes.Equal(old, cur) {
		return nil, nil
	}
	key := func(a *histApproval, i int) string {
		if len(a.ID) > 0 {
			return string(a.ID)
		}
		return "#" + strconv.Itoa(i)
	}
	oldBy := map[string]int{}
	for i := range o.Approvals {
		oldBy[key(&o.Approvals[i], i)] = i
	}
	var cs []Change
	seen := map[string]bool{}
	for i := range c.Approvals {
		a := &c.Approvals[i]
		k := key(a, i)
		seen[k] = true
		kind := ApprovalKind(typeCode(a.Authorization))
		oi, ok := oldBy[k]
		if !ok {
			cs = append(cs, Change{Kind: kind, ApprovalID: a.ID, Change: ChangeAdded})
			continue
		}
		p := &o.Approvals[oi]
		n := len(cs)
		switch {
		case !approvalEnded(p) && approvalEnded(a):
			cs = append(cs, Change{Kind: kind, ApprovalID: a.ID, Change: ChangeEnded})
		case approvalEnded(p) && !approvalEnded(a):
			cs = append(cs, Change{Kind: kind, ApprovalID: a.ID, Change: ChangeReopened})
		}
		cs = periodChanges(cs, Change{Kind: HistSuspension, Of: kind, ApprovalID: a.ID}, p.Suspensions, a.Suspensions)
		cs = itemChanges(cs, HistSpeciality, a.ID, p.Specialities, a.Specialities)
		cs = itemChanges(cs, HistRequisitionRight, a.ID, p.Requisition, a.Requisition)
		cs = itemChanges(cs, HistAdditionalCompetence, a.ID, p.Additional, a.Additional)
		if len(cs) == n && i < len(rc.Approvals) && oi < len(ro.Approvals) && !jsonEqualBytes(ro.Approvals[oi], rc.Approvals[i]) {
			cs = append(cs, Change{Kind: kind, ApprovalID: a.ID, Change: ChangeChanged})
		}
	}
	for i := range o.Approvals {
		a := &o.Approvals[i]
		if !seen[key(a, i)] {
			cs = append(cs, Change{Kind: ApprovalKind(typeCode(a.Authorization)), ApprovalID: a.ID, Change: ChangeRemoved})
		}
	}
	if len(cs) == 0 {
		cs = append(cs, Change{Kind: "person", Change: ChangeChanged})
	}
	return cs, nil
}

func jsonEqualBytes(a, b []byte) bool {
	var x, y bytes.Buffer
	if json.Compact(&x, a) != nil || json.Compact(&y, b) != nil {
		return bytes.Equal(a, b)
	}
	return bytes.Equal(x.Bytes(), y.Bytes())
}

// ReshChanges returns what changed from the RESH unit old to cur: its
// validity ended (an end given), reopened (the end removed) or changed
// ({"kind":"validity"}), or anything else ({"kind":"unit","change":
// "changed"}). Nil when the units are the same.
func ReshChanges(old, cur []byte) ([]Change, error) {
	var o, c reshValidity
	if err := json.Unmarshal(old, &o); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(cur, &c); err != nil {
		return nil, err
	}
	if bytes.Equal(old, cur) {
		return nil, nil
	}
	var op, cp Period
	if o.Valid != nil {
		op = *o.Valid
	}
	if c.Valid != nil {
		cp = *c.Valid
	}
	ch := Change{Kind: "validity"}
	switch {
	case periodOpen(op) && !periodOpen(cp):
		ch.Change = ChangeEnded
	case !periodOpen(op) && periodOpen(cp):
		ch.Change = ChangeReopened
	case op.From != cp.From || !periodOpen(op) && *op.To != *cp.To:
		ch.Change = ChangeChanged
	default:
		return []Change{{Kind: "unit", Change: ChangeChanged}}, nil
	}
	return []Change{ch}, nil
}

// EventChangesOf returns the changes (a JSON array) between two stored
// values of family f's record, for the event of the change: HPR records and
// RESH units; nil for other families or values that do not decode.
func EventChangesOf(f Register, oldVal, curVal []byte) []byte {
	_, old, _, err1 := DecodeValue(oldVal)
	_, cur, _, err2 := DecodeValue(curVal)
	if err1 != nil || err2 != nil {
		return nil
	}
	var cs []Change
	var err error
	switch f {
	case RegPersonnel:
		cs, err = PersonnelChanges(old, cur)
	case RegResh:
		cs, err = ReshChanges(old, cur)
	default:
		return nil
	}
	if err != nil || len(cs) == 0 {
		return nil
	}
	b, err := json.Marshal(cs)
	if err != nil {
		return nil
	}
	return b
}
