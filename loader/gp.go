package loader

import (
	"encoding/binary"
	"fmt"
	json "github.com/goccy/go-json"
	"sort"
	"strconv"

	"github.com/grunndata/grunndata/loader/flr"
	"github.com/grunndata/grunndata/loader/jsonl"
	"github.com/grunndata/grunndata/loader/resh"
	"github.com/grunndata/grunndata/registry"
)

// ruleServiceOnNonLeaf (warning): a RESH unit with child units carries
// services; services sit only on leaf units (resh.LeafCheck).
const ruleServiceOnNonLeaf = registry.Rule(resh.RuleServiceOnNonLeaf)

// loadResh loads RESH units; parents come before children, and a unit's
// organizationNumber, when set, must be an enhet. Once the file is read,
// every stored unit that has stored children and carries services is a
// warning (the leaf-node rule).
func (r *run) loadResh() error {
	const name, reg = "resh.jsonl.gz", RegResh
	seen := map[int64]bool{}
	var leaf resh.LeafCheck
	// later holds parents not seen before their child: a parent later in
	// the file is fine; one absent from the file is a warning (ruleAbsent),
	// reported once the file is read, and the unit is loaded as given.
	type pending struct {
		pos   string
		child int64
	}
	later := map[int64][]pending{}
	var laterOrder []int64 // parents in the order first referenced (a stable report)
	err := r.loadFile(name, reg, func(s *source) error {
		var val []byte
		return resh.Read(s.r, func(rec *resh.Record) error {
			p := pos("line", rec.Line)
			if r.rejectShape(reg, name, p, itoa(rec.ReshID), rec.Missing, rec.Err) {
				return nil
			}
			id, rule, ok := serial(registry.IDReshID, rec.ReshID)
			if !ok {
				r.reject(reg, name, p, itoa(rec.ReshID), rule, "reshId")
				return nil
			}
			if seen[rec.ReshID] {
				r.reject(reg, name, p, itoa(rec.ReshID), ruleDuplicate, "reshId seen before")
				return nil
			}
			if rec.Parent == rec.ReshID {
				r.reject(reg, name, p, itoa(rec.ReshID), ruleReference, "parentReshId is the unit itself")
				return nil
			}
			if rec.Parent != 0 && !seen[rec.Parent] {
				if later[rec.Parent] == nil {
					laterOrder = append(laterOrder, rec.Parent)
				}
				later[rec.Parent] = append(later[rec.Parent], pending{p, rec.ReshID})
			}
			if rec.Orgnr != "" {
				o, err := registry.ParseOrgnr([]byte(rec.Orgnr))
				if err != nil {
					r.reject(reg, name, p, itoa(rec.ReshID), err.(*registry.IDError).Rule, "organizationNumber")
					return nil
				}
				if ok, err := r.has(registry.OrgKey(o)); err != nil {
					return err
				} else if !ok {
					r.warn(reg, name, p, itoa(rec.ReshID), ruleAbsent, "organizationNumber "+rec.Orgnr+" is not in the dataset's Enhetsregisteret (loaded as given)")
				}
			}
			seen[rec.ReshID] = true
			leaf.Add(rec.ReshID, rec.Parent, rec.Line, rec.Services)
			if rec.Parent != 0 {
				ck := registry.PairKey(registry.IdxReshChildren, u32(uint64(rec.Parent)), u32(id))
				if err := r.b.Add(ck.Bytes(), nil); err != nil {
					return err
				}
			}
			k := registry.SerialKey(registry.RegResh, id)
			val = registry.AppendValue(val[:0], 0, rec.JSON, nil)
			if err := r.b.Add(k.Bytes(), val); err != nil {
				return err
			}
			r.stats[reg].Records++
			return nil
		})
	})
	if err != nil {
		return err
	}
	for _, parent := range laterOrder {
		if seen[parent] {
			continue
		}
		for _, c := range later[parent] {
			r.warn(reg, name, c.pos, itoa(c.child), ruleAbsent, "parentReshId "+itoa(parent)+" is not a unit of the dataset (loaded as given)")
		}
	}
	for _, v := range leaf.Violations() {
		r.warn(reg, name, pos("line", v.Line), itoa(v.ReshID), ruleServiceOnNonLeaf,
			fmt.Sprintf("unit carries %d services and has %d child units; services sit only on leaf units (loaded as given)", v.Services, v.Children))
	}
	return nil
}

// contract is a GP contract kept in memory during the load (~5 k of them).
type contract struct {
	id          uint64
	json        []byte // as given, compact
	officeHerID int64
	doctors     []int64 // the HPR number of each doctor, in the order of "doctors"
	gpHerID     int64   // 0: null
	maxPatients int64
	status      string
	listLength  int64
}

// gpHerID applies NHN's rule (docs §5): the HER-id of the current regular
// GP's AR person; if the list has no current regular GP and exactly one
// current substitute, the substitute's; otherwise none.
func (r *run) gpHerID(c *flr.Contract) (int64, error) {
	var regular, substitutes []int64
	for _, d := range c.Doctors {
		if !d.Valid.Contains(r.today) {
			continue
		}
		switch d.Relationship.Code {
		case "LF":
			regular = append(regular, d.HPRNumber)
		case "LV":
			substitutes = append(substitutes, d.HPRNumber)
		}
	}
	pick := int64(0)
	switch {
	case len(regular) > 0:
		pick = regular[0]
	case len(substitutes) == 1:
		pick = substitutes[0]
	default:
		return 0, nil
	}
	k := registry.SerialKey(registry.IdxPartyByHPR, uint64(pick))
	v, err := r.b.Get(nil, &k)
	if err == registry.ErrNotFound {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return int64(binary.BigEndian.Uint32(v)), nil
}

// loadFLR loads GP contracts, then the patient lists. Each patient's current
// association is stored as the complete answer to a GP lookup; contracts are
// stored last, with their list length.
func (r *run) loadFLR() error {
	contracts := map[int64]*contract{}
	const cname = "flr_contracts.jsonl.gz"
	err := r.loadFile(cname, RegGPContracts, func(s *source) error {
		return flr.ReadContracts(s.r, func(c *flr.Contract) error {
			p := pos("line", c.Line)
			if r.rejectShape(RegGPContracts, cname, p, itoa(c.ID), c.Missing, c.Err) {
				return nil
			}
			id, rule, ok := serial(registry.IDGPContract, c.ID)
			if !ok {
				r.reject(RegGPContracts, cname, p, itoa(c.ID), rule, "id")
				return nil
			}
			if contracts[c.ID] != nil {
				r.reject(RegGPContracts, cname, p, itoa(c.ID), ruleDuplicate, "id seen before")
				return nil
			}
			o, err := registry.ParseOrgnr([]byte(c.OfficeOrgnr))
			if err != nil {
				r.reject(RegGPContracts, cname, p, itoa(c.ID), err.(*registry.IDError).Rule, "gpOfficeOrganizationNumber")
				return nil
			}
			if ok, err := r.has(registry.OrgKey(o)); err != nil {
				return err
			} else if !ok {
				r.warn(RegGPContracts, cname, p, itoa(c.ID), ruleAbsent, "gpOfficeOrganizationNumber "+c.OfficeOrgnr+" is not in the dataset's Enhetsregisteret (loaded as given)")
			}
			for _, d := range c.Doctors {
				hpr, rule, ok := serial(registry.IDHPR, d.HPRNumber)
				if !ok {
					r.reject(RegGPContracts, cname, p, itoa(c.ID), rule, "doctors[].hprNumber")
					return nil
				}
				if ok, err := r.has(registry.SerialKey(registry.RegPersonnel, hpr)); err != nil {
					return err
				} else if !ok {
					r.reject(RegGPContracts, cname, p, itoa(c.ID), ruleReference, "doctor "+itoa(d.HPRNumber)+" is not in HPR")
					return nil
				}
			}
			her, err := r.gpHerID(c)
			if err != nil {
				return err
			}
			ct := &contract{id: id, json: append([]byte(nil), c.JSON...), officeHerID: c.OfficeHerID, gpHerID: her,
				maxPatients: c.MaxPatients, status: c.Status}
			for _, d := range c.Doctors {
				ct.doctors = append(ct.doctors, d.HPRNumber)
			}
			contracts[c.ID] = ct
			r.stats[RegGPContracts].Records++
			return nil
		})
	})
	if err != nil {
		return err
	}
	const pname = "flr_patients.jsonl.gz"
	err = r.loadFile(pname, RegGPPatients, func(s *source) error {
		var body, val, rbody, pval []byte
		return flr.ReadPatients(s.r, func(pt *flr.Patient) error {
			p := pos("line", pt.Line)
			if r.rejectShape(RegGPPatients, pname, p, maskNIN(pt.NIN), pt.Missing, pt.Err) {
				return nil
			}
			n, _, err := registry.ParseNIN([]byte(pt.NIN))
			if err != nil {
				r.reject(RegGPPatients, pname, p, maskNIN(pt.NIN), err.(*registry.IDError).Rule, "patientNin")
				return nil
			}
			c := contracts[pt.ContractID]
			if c == nil {
				r.reject(RegGPPatients, pname, p, maskNIN(pt.NIN), ruleReference, "gpContractId "+itoa(pt.ContractID)+" is not a contract")
				return nil
			}
			pk := registry.PersonExistsKey(n)
			pv, err := r.b.Get(pval[:0], &pk)
			if err == registry.ErrNotFound {
				r.reject(RegGPPatients, pname, p, maskNIN(pt.NIN), ruleReference, "patientNin is not a Folkeregisteret person")
				return nil
			} else if err != nil {
				return err
			}
			pval = pv
			var pflags byte
			if len(pv) > 0 {
				pflags = pv[0]
			}
			r.stats[RegGPPatients].Records++
			if !pt.Period.Contains(r.today) {
				return nil // history: not the current GP
			}
			c.listLength++
			a := gpAnswer{nin: pt.NIN, contractID: pt.ContractID, gpHerID: c.gpHerID, period: pt.Period, contract: c.json}
			body = appendGPAnswer(body[:0], &a, false)
			var restricted []byte
			if pflags&registry.FlagRestricted != 0 {
				rbody = appendGPAnswer(rbody[:0], &a, true)
				restricted = rbody
			}
			k := registry.GPPatientKey(n)
			val = registry.AppendValue(val[:0], 0, body, restricted)
			return r.b.Add(k.Bytes(), val)
		})
	})
	if err != nil {
		return err
	}
	ids := make([]int64, 0, len(contracts))
	for id := range contracts {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	var body, val []byte
	for _, id := range ids {
		c := contracts[id]
		places := int64(0)
		if c.status == "FAAA" && c.maxPatients > c.listLength {
			places = c.maxPatients - c.listLength
		}
		var err error
		if body, err = r.appendContract(body[:0], c, places); err != nil {
			return fmt.Errorf("gp contract %d: %w", c.id, err)
		}
		k := registry.SerialKey(registry.RegGPContract, c.id)
		val = registry.AppendValue(val[:0], 0, body, nil)
		if err := r.b.Add(k.Bytes(), val); err != nil {
			return err
		}
	}
	return nil
}

// gpAnswer is a patient's current GP association: the answer to a GP
// lookup.
type gpAnswer struct {
	nin        string
	contractID int64
	gpHerID    int64 // 0: null
	period     flr.Period
	contract   []byte // the contract's JSON
}

// appendGPAnswer is the one encoder of the GP answer; withheld derives the
// view for callers without grunndata:person.read-protected when the patient
// has a protected address (docs/security.md, "GP answers of protected
// patients"). GP lists are local: the contract, its office, its doctors and
// even the bare gpContractId or gpHerId (they resolve to the office address
// through /v1/gp-contracts and /v1/communication-parties) say where the
// patient lives. The withheld view keeps only that the patient has a GP;
// the period goes too, since its start dates the patient's last move.
func appendGPAnswer(dst []byte, a *gpAnswer, withheld bool) []byte {
	if withheld {
		return registry.AppendWithheldGP(dst, []byte(a.nin)) // a.nin is a valid person number
	}
	dst = append(dst, `{"patientNin":`...)
	dst = jsonl.AppendString(dst, a.nin)
	dst = append(dst, `,"gpContractId":`...)
	dst = strconv.AppendInt(dst, a.contractID, 10)
	dst = append(dst, `,"gpHerId":`...)
	dst = appendHer(dst, a.gpHerID)
	dst = append(dst, `,"period":`...)
	dst = a.period.AppendJSON(dst)
	dst = append(dst, `,"contract":`...)
	dst = append(dst, a.contract...)
	return append(dst, '}')
}

func appendHer(dst []byte, her int64) []byte {
	if her == 0 {
		return append(dst, "null"...)
	}
	return strconv.AppendInt(dst, her, 10)
}

// appendContract appends the answer of a GP contract lookup: the one
// encoder of a contract. It is the contract as given with, resolved here at
// load time, the office as Adresseregisteret knows it (name, HER-id,
// organisation number, physical addresses) and each doctor's name from HPR
// and HER-id from AR, members in key order; then the computed gpHerId,
// listLength and placesAvailable.
func (r *run) appendContract(dst []byte, c *contract, places int64) ([]byte, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(c.json, &fields); err != nil {
		return nil, err
	}
	ms := jsonl.MembersOf(fields)
	var office []byte
	ok, err := r.appendOffice(&office, c.officeHerID)
	if err != nil {
		return nil, err
	}
	if ok {
		ms = append(ms, jsonl.Member{Key: "office", Value: office})
	}
	if raw := fields["doctors"]; len(raw) > 0 && string(raw) != "null" {
		doctors, err := r.appendDoctors(nil, raw, c.doctors)
		if err != nil {
			return nil, err
		}
		ms = append(ms, jsonl.Member{Key: "doctors", Value: doctors})
	}
	dst = jsonl.AppendObject(dst, ms)
	dst = append(dst[:len(dst)-1], `,"gpHerId":`...)
	dst = appendHer(dst, c.gpHerID)
	dst = append(dst, `,"listLength":`...)
	dst = jsonl.AppendInt(dst, c.listLength)
	dst = append(dst, `,"placesAvailable":`...)
	dst = jsonl.AppendInt(dst, places)
	return append(dst, '}'), nil
}

// appendOffice appends to *dst the office summary of the AR party her, and
// says whether there is one (her 0 or not in AR: none).
func (r *run) appendOffice(dst *[]byte, her int64) (bool, error) {
	if her <= 0 {
		return false, nil
	}
	k := registry.SerialKey(registry.RegParty, uint64(her))
	v, err := r.b.Get(nil, &k)
	if err == registry.ErrNotFound {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	_, full, _, err := registry.DecodeValue(v)
	if err != nil {
		return false, err
	}
	var p struct {
		HerID    int64           `json:"herId"`
		Name     string          `json:"name"`
		Orgnr    string          `json:"organizationNumber"`
		Physical json.RawMessage `json:"physicalAddresses"`
	}
	if err := json.Unmarshal(full, &p); err != nil {
		return false, fmt.Errorf("stored party %d: %w", her, err)
	}
	physical := []byte(p.Physical)
	if len(physical) == 0 {
		physical = []byte("null")
	}
	*dst = jsonl.AppendObject(*dst, []jsonl.Member{
		{Key: "herId", Value: jsonl.AppendInt(nil, p.HerID)},
		{Key: "name", Value: jsonl.AppendString(nil, p.Name)},
		{Key: "organizationNumber", Value: jsonl.AppendString(nil, p.Orgnr)},
		{Key: "physicalAddresses", Value: physical},
	})
	return true, nil
}

// appendDoctors appends the doctors array raw with, per doctor (hprs are
// their HPR numbers), the name from HPR and the HER-id of the AR person
// when the registers have them.
func (r *run) appendDoctors(dst []byte, raw []byte, hprs []int64) ([]byte, error) {
	var doctors []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &doctors); err != nil {
		return nil, err
	}
	if len(doctors) != len(hprs) {
		panic("BUG: contract doctors decoded twice differently")
	}
	dst = append(dst, '[')
	for i, d := range doctors {
		if i > 0 {
			dst = append(dst, ',')
		}
		ms := jsonl.MembersOf(d)
		if hpr := hprs[i]; hpr > 0 {
			k := registry.SerialKey(registry.RegPersonnel, uint64(hpr))
			v, err := r.b.Get(nil, &k)
			switch {
			case err == nil:
				_, full, _, err := registry.DecodeValue(v)
				if err != nil {
					return nil, err
				}
				var h struct {
					Given  string `json:"givenName"`
					Family string `json:"familyName"`
				}
				if err := json.Unmarshal(full, &h); err != nil {
					return nil, fmt.Errorf("stored personnel %d: %w", hpr, err)
				}
				name := append(jsonl.AppendString([]byte(`{"family":`), h.Family), `,"given":`...)
				name = append(jsonl.AppendString(name, h.Given), '}')
				ms = append(ms, jsonl.Member{Key: "name", Value: name})
			case err != registry.ErrNotFound:
				return nil, err
			}
			k = registry.SerialKey(registry.IdxPartyByHPR, uint64(hpr))
			v, err = r.b.Get(nil, &k)
			switch {
			case err == nil && len(v) == 4:
				ms = append(ms, jsonl.Member{Key: "herId", Value: jsonl.AppendInt(nil, int64(binary.BigEndian.Uint32(v)))})
			case err != nil && err != registry.ErrNotFound:
				return nil, err
			}
		}
		dst = jsonl.AppendObject(dst, ms)
	}
	return append(dst, ']'), nil
}
