package soap

import (
	"errors"
	"strconv"

	"github.com/grunndata/grunndata/registry"
)

// Fastlegeregisteret: IFlrReadOperations v2 and IFlrExportOperations
// (http://schemas.nhn.no/reg/flr).

const (
	nsFLR    = "http://schemas.nhn.no/reg/flr"
	nsCommEn = "http://schemas.nhn.no/reg/Common/en"
	flrDecl  = ` xmlns="` + nsFLR + `" xmlns:b="` + nsCommon + `" xmlns:e="` + nsCommEn + `" xmlns:i="` + nsXSI + `"`
)

var (
	flrInvalidNIN = &Fault{Code: "Feil", Message: "ArgumentException: patientNin er ugyldig"}
	flrNoGP       = &Fault{Code: "Feil", Message: "ArgumentException: Personen er ikke tilknyttet fastlegekontrakt"}
	flrNoContract = &Fault{Code: "Feil", Message: "ArgumentException: Fastlegekontrakten finnes ikke"}
	flrBadOrgnr   = &Fault{Code: "Feil", Message: "ArgumentException: organizationNumber er ugyldig"}
)

// gpAnswer reads a patient's GP answer (the view this caller may see) and
// audits the lookup. found is false for a patient on no list.
func (c *call) gpAnswer(nin string) (rec []byte, err error) {
	n, _, perr := registry.ParseNIN([]byte(nin))
	if perr != nil {
		return nil, flrInvalidNIN
	}
	k := registry.GPPatientKey(n)
	rec, err = c.b.Record(&k)
	found := err == nil
	if err != nil && !errors.Is(err, registry.ErrNotFound) && !errors.Is(err, registry.ErrGone) {
		return nil, err
	}
	if aerr := c.b.Audit(c.req.Op, n, found); aerr != nil {
		return nil, errAudit
	}
	if !found {
		return nil, flrNoGP
	}
	return rec, nil
}

// appendAssociation writes a PatientToGPContractAssociation from a stored GP
// answer (docs/api.md). A restricted view (patient with protected address,
// caller without person.read-protected) has no contract, and GPHerId only
// when the stored view has it.
func (c *call) appendAssociation(name string, rec []byte) {
	w := &c.w
	var contractID, gpHer, nin, period, contract []byte
	_ = eachMember(rec, func(k, v []byte) bool {
		switch string(k) {
		case "gpContractId":
			contractID = v
		case "gpHerId":
			gpHer = v
		case "patientNin":
			nin = v
		case "period":
			period = v
		case "contract":
			contract = v
		}
		return true
	})
	w.open("", name)
	if !isNull(contract) {
		c.appendContract("GPContract", contract)
	}
	if !isNull(contractID) {
		w.intText("", "GPContractId", contractID)
	}
	w.text("", "GPHerId", gpHer)
	w.text("", "PatientNIN", nin)
	if !isNull(period) {
		w.flrPeriod("Period", period)
	}
	w.close("", name)
}

// appendContract writes a GPContract from a stored contract.
func (c *call) appendContract(name string, rec []byte) {
	w := &c.w
	var id, orgnr, municipality, maxPatients, status, valid, doctors, office, places []byte
	_ = eachMember(rec, func(k, v []byte) bool {
		switch string(k) {
		case "id":
			id = v
		case "gpOfficeOrganizationNumber":
			orgnr = v
		case "municipality":
			municipality = v
		case "maxPatients":
			maxPatients = v
		case "status":
			status = v
		case "valid":
			valid = v
		case "doctors":
			doctors = v
		case "office":
			office = v
		case "placesAvailable":
			places = v
		}
		return true
	})
	w.open("", name)
	w.open("", "DoctorCycles")
	_ = eachItem(doctors, func(d []byte) bool {
		w.open("", "GPOnContractAssociation")
		w.intText("", "GPContractId", id)
		w.intText("", "HprNumber", member(d, "hprNumber"))
		w.code("", "Relationship", "b", member(d, "relationship"))
		w.text("", "SubstituteForHprNumber", member(d, "substituteForHprNumber"))
		w.flrPeriod("Valid", member(d, "valid"))
		if wp := member(d, "workingPercentage"); !isNull(wp) {
			w.text("", "WorkingPercentage", wp)
		}
		w.close("", "GPOnContractAssociation")
		return true
	})
	w.close("", "DoctorCycles")
	w.intText("", "GPOfficeOrganizationNumber", orgnr)
	w.intText("", "Id", id)
	w.intText("", "MaxPatients", maxPatients)
	w.code("", "Municipality", "b", municipality)
	if name := member(office, "name"); !isNull(name) {
		w.text("", "Name", name)
	}
	if !isNull(places) {
		w.text("", "PlacesAvailable", places)
	}
	w.code("", "Status", "b", status)
	w.flrPeriod("Valid", valid)
	w.close("", name)
}

func getPatientGPDetails(c *call) error {
	nin, _ := c.req.Value("patientNin")
	rec, err := c.gpAnswer(nin)
	if err != nil {
		return err
	}
	c.w.raw(`<GetPatientGPDetailsResponse` + flrDecl + `>`)
	c.appendAssociation("GetPatientGPDetailsResult", rec)
	c.w.raw(`</GetPatientGPDetailsResponse>`)
	return nil
}

// getPatientsGPDetails answers the batch: every number is audited; a
// patient on no list is left out of the answer (NHN fails the whole batch
// then), an invalid number fails the batch as at NHN.
func getPatientsGPDetails(c *call) error {
	nins := c.req.Values("patientNins/string")
	if len(nins) > maxBatch {
		return tooMany
	}
	for _, s := range nins {
		if _, _, err := registry.ParseNIN([]byte(s)); err != nil {
			return flrInvalidNIN
		}
	}
	c.w.raw(`<GetPatientsGPDetailsResponse` + flrDecl + `><GetPatientsGPDetailsResult>`)
	for _, s := range nins {
		rec, err := c.gpAnswer(s)
		if errors.Is(err, flrNoGP) {
			continue
		}
		if err != nil {
			return err
		}
		c.appendAssociation("PatientToGPContractAssociation", rec)
	}
	c.w.raw(`</GetPatientsGPDetailsResult></GetPatientsGPDetailsResponse>`)
	return nil
}

func (c *call) contractRecord(id uint64) ([]byte, error) {
	k := registry.SerialKey(registry.RegGPContract, id)
	rec, err := c.b.Record(&k)
	if errors.Is(err, registry.ErrNotFound) || errors.Is(err, registry.ErrGone) {
		return nil, flrNoContract
	}
	return rec, err
}

func getGPContract(c *call) error {
	s, _ := c.req.Value("gpContractId")
	id, err := registry.ParseSerial(registry.IDGPContract, []byte(s))
	if err != nil {
		return flrNoContract
	}
	rec, err := c.contractRecord(id)
	if err != nil {
		return err
	}
	c.w.raw(`<GetGPContractResponse` + flrDecl + `>`)
	c.appendContract("GetGPContractResult", rec)
	c.w.raw(`</GetGPContractResponse>`)
	return nil
}

// eachContract calls fn with every stored contract (a scan of the contract
// family: about 5 000 at national size).
func (c *call) eachContract(fn func(rec []byte) bool) error {
	var ferr error
	err := c.b.Scan([]byte{byte(registry.RegGPContract)}, nil, func(key, val []byte) bool {
		_, full, _, err := registry.DecodeValue(val)
		if err != nil {
			ferr = err
			return false
		}
		return fn(full)
	})
	if err != nil {
		return err
	}
	return ferr
}

func getGPContractsOnOffice(c *call) error {
	s, _ := c.req.Value("organizationNumber")
	// xs:int drops leading zeros; orgnrs never start with 0 but pad anyway.
	for len(s) < 9 && len(s) > 0 {
		s = "0" + s
	}
	o, err := registry.ParseOrgnr([]byte(s))
	if err != nil {
		return flrBadOrgnr
	}
	day := ""
	if at, ok := c.req.Value("atTime"); ok && len(at) >= 10 {
		day = at[:10]
	}
	c.w.raw(`<GetGPContractsOnOfficeResponse` + flrDecl + `><GetGPContractsOnOfficeResult>`)
	err = c.eachContract(func(rec []byte) bool {
		if string(unquoted(member(rec, "gpOfficeOrganizationNumber"))) == string(o[:]) && validOn(member(rec, "valid"), day) {
			c.appendContract("GPContract", rec)
		}
		return true
	})
	if err != nil {
		return err
	}
	c.w.raw(`</GetGPContractsOnOfficeResult></GetGPContractsOnOfficeResponse>`)
	return nil
}

// queryGPContracts answers GPContractQueryParameters by municipality, with
// Page (1-based) and PageSize (default 100, at most 1000); full-text,
// distance and team queries are refused.
func queryGPContracts(c *call) error {
	var municipality string
	page, size := 1, 100
	for _, p := range c.req.Params {
		if p.Nil || p.Value == "" {
			continue
		}
		switch p.Path {
		case "queryParameters/Municipality/CodeValue":
			municipality = p.Value
		case "queryParameters/Municipality/OID", "queryParameters/Municipality/Active",
			"queryParameters/Municipality/CodeText", "queryParameters/Municipality/SimpleType":
		case "queryParameters/Page":
			n, err := strconv.Atoi(p.Value)
			if err != nil || n < 0 {
				return &Fault{Code: "Feil", Message: "ArgumentException: Page er ugyldig"}
			}
			page = max(n, 1)
		case "queryParameters/PageSize":
			n, err := strconv.Atoi(p.Value)
			if err != nil || n < 0 || n > maxBatch {
				return &Fault{Code: "Feil", Message: "ArgumentException: PageSize er ugyldig (høyst 1000)"}
			}
			if n > 0 {
				size = n
			}
		case "queryParameters/HasPrimaryHealthCareTeam":
			if p.Value != "false" {
				return &Fault{Code: "Feil", Message: "NotSupportedException: HasPrimaryHealthCareTeam støttes ikke her"}
			}
		default:
			return &Fault{Code: "Feil", Message: "NotSupportedException: " + lastName(p.Path) + " støttes ikke her; bruk Municipality"}
		}
	}
	for len(municipality) > 0 && len(municipality) < 4 {
		municipality = "0" + municipality
	}
	c.w.raw(`<QueryGPContractsResponse` + flrDecl + `><QueryGPContractsResult><Results>`)
	total, first := 0, (page-1)*size
	err := c.eachContract(func(rec []byte) bool {
		if municipality != "" && string(unquoted(member(member(rec, "municipality"), "code"))) != municipality {
			return true
		}
		if total >= first && total < first+size {
			c.appendContract("GPContract", rec)
		}
		total++
		return true
	})
	if err != nil {
		return err
	}
	c.w.raw(`</Results>`)
	c.w.int("", "Total", int64(total))
	c.w.raw(`</QueryGPContractsResult></QueryGPContractsResponse>`)
	return nil
}

// flrPeriod writes FLR's Period (schemas.nhn.no/reg/Common/en): From, and To
// nil for an open end.
func (w *xw) flrPeriod(name string, v []byte) {
	if isNull(v) {
		w.nilElem("", name)
		return
	}
	w.open("", name)
	w.dateTime("e", "From", member(v, "from"), "0001-01-01T00:00:00")
	if to := member(v, "to"); isNull(to) {
		w.nilElem("e", "To")
	} else {
		w.dateTime("e", "To", to, "")
	}
	w.close("", name)
}

// flrCall marks a call's writer for FLR's contract.
func flr(run func(c *call) error) func(c *call) error {
	return func(c *call) error {
		c.w.noLongDescription = true
		return run(c)
	}
}
