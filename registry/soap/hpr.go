package soap

import (
	"errors"
	"strconv"

	"github.com/grunndata/grunndata/registry"
)

// Helsepersonellregisteret: IHPR2Service v2 (http://schemas.nhn.no/reg/HPRv2).

const (
	nsHPR2   = "http://schemas.nhn.no/reg/HPRv2"
	nsCommNo = "http://schemas.nhn.no/reg/Common/no"
	hprDecl  = ` xmlns="` + nsHPR2 + `" xmlns:a="` + nsCommNo + `" xmlns:i="` + nsXSI + `"`
)

// personnel holds the raw members of a stored HPR record (docs/formats.md).
type personnel struct {
	hprNumber, nin, given, middle, family, birthDate, gender, lastUpdated, approvals []byte
}

func parsePersonnel(rec []byte) personnel {
	var h personnel
	if rec == nil {
		return h
	}
	_ = eachMember(rec, func(k, v []byte) bool {
		switch string(k) {
		case "hprNumber":
			h.hprNumber = v
		case "nin":
			h.nin = v
		case "givenName":
			h.given = v
		case "middleName":
			h.middle = v
		case "familyName":
			h.family = v
		case "birthDate":
			h.birthDate = v
		case "gender":
			h.gender = v
		case "lastUpdated":
			h.lastUpdated = v
		case "approvals":
			h.approvals = v
		}
		return true
	})
	return h
}

type approval struct {
	id, profession, authorization, valid, ended                         []byte
	specialities, requisitionRights, additionalCompetences, suspensions []byte
}

func parseApproval(a []byte) approval {
	var ap approval
	_ = eachMember(a, func(k, v []byte) bool {
		switch string(k) {
		case "id":
			ap.id = v
		case "profession":
			ap.profession = v
		case "authorization":
			ap.authorization = v
		case "valid":
			ap.valid = v
		case "ended":
			ap.ended = v
		case "specialities":
			ap.specialities = v
		case "requisitionRights":
			ap.requisitionRights = v
		case "additionalCompetences":
			ap.additionalCompetences = v
		case "suspensions":
			ap.suspensions = v
		}
		return true
	})
	return ap
}

// validOn reports whether the stored period {from, to} contains day
// (yyyy-mm-dd); an empty day matches every period.
func validOn(period []byte, day string) bool {
	if day == "" || isNull(period) {
		return true
	}
	from, to := unquoted(member(period, "from")), member(period, "to")
	if len(from) >= 10 && string(from[:10]) > day {
		return false
	}
	if !isNull(to) {
		t := unquoted(to)
		if len(t) >= 10 && string(t[:10]) < day {
			return false
		}
	}
	return true
}

var (
	hprNotFound    = &Fault{Code: "Feil", Message: "ArgumentException: HPR-nummer ikke funnet"}
	hprNINNotFound = &Fault{Code: "Feil", Message: "ArgumentException: Personnummer ikke funnet"}
	hprNINInvalid  = &Fault{Code: "Feil", Message: "ArgumentException: personNummer er ugyldig"}
	hprBadTime     = &Fault{Code: "Feil", Message: "ArgumentException: påTidspunkt er ugyldig"}
)

// atDay returns the day (yyyy-mm-dd) of the påTidspunkt parameter, "" for
// none (every approval is returned then, with its period).
func atDay(c *call) (string, error) {
	s, ok := c.req.Value("påTidspunkt")
	if !ok || s == "" {
		return "", nil
	}
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return "", hprBadTime
	}
	return s[:10], nil
}

func (c *call) personnelRecord(hpr uint64) ([]byte, error) {
	k := registry.SerialKey(registry.RegPersonnel, hpr)
	rec, err := c.b.Record(&k)
	if errors.Is(err, registry.ErrNotFound) || errors.Is(err, registry.ErrGone) {
		return nil, hprNotFound
	}
	return rec, err
}

// appendHPRPerson writes an HPR v2 Person as <name>.
func (c *call) appendHPRPerson(name string, rec []byte, day string) {
	w := &c.w
	h := parsePersonnel(rec)
	w.open("", name)
	w.text("", "Etternavn", h.family)
	w.text("", "Fornavn", h.given)
	w.dateTime("", "Fødselsdato", h.birthDate, "")
	w.open("", "Godkjenninger")
	_ = eachItem(h.approvals, func(a []byte) bool {
		ap := parseApproval(a)
		if !validOn(ap.valid, day) {
			return true
		}
		w.open("", "Godkjenning")
		w.kode("", "Autorisasjon", "a", ap.authorization)
		w.hprPeriod("", "Gyldig", ap.valid)
		w.kode("", "Helsepersonellkategori", "a", ap.profession)
		w.intText("", "Id", ap.id)
		w.open("", "Rekvisisjonsretter")
		_ = eachItem(ap.requisitionRights, func(r []byte) bool {
			if validOn(member(r, "valid"), day) {
				w.open("", "Rekvisisjonsrett")
				w.hprPeriod("", "Gyldig", member(r, "valid"))
				w.suspensions(member(r, "suspensions"))
				w.kode("", "Type", "a", member(r, "type"))
				w.close("", "Rekvisisjonsrett")
			}
			return true
		})
		w.close("", "Rekvisisjonsretter")
		w.open("", "Spesialiteter")
		_ = eachItem(ap.specialities, func(s []byte) bool {
			if validOn(member(s, "valid"), day) {
				w.open("", "Spesialitet")
				w.hprPeriod("", "Gyldig", member(s, "valid"))
				w.suspensions(member(s, "suspensions"))
				w.kode("", "Type", "a", member(s, "type"))
				w.close("", "Spesialitet")
			}
			return true
		})
		w.close("", "Spesialiteter")
		w.suspensions(ap.suspensions)
		w.open("", "Tilleggskompetanser")
		_ = eachItem(ap.additionalCompetences, func(s []byte) bool {
			if validOn(member(s, "valid"), day) {
				w.open("", "Tilleggskompetanse")
				w.hprPeriod("", "Gyldig", member(s, "valid"))
				w.kode("", "Type", "a", member(s, "type"))
				w.close("", "Tilleggskompetanse")
			}
			return true
		})
		w.close("", "Tilleggskompetanser")
		w.close("", "Godkjenning")
		return true
	})
	w.close("", "Godkjenninger")
	w.intText("", "HPRNummer", h.hprNumber)
	w.kode("", "Kjønn", "a", h.gender)
	w.bool("", "ManglerNIN", boolJSON(isNull(h.nin)), false)
	w.text("", "Mellomnavn", h.middle)
	w.text("", "NIN", h.nin)
	w.dateTime("", "SistOppdatert", h.lastUpdated, "")
	w.close("", name)
}

// hprPeriod writes an HPR Periode {Fra, Til}; an open end is nil.
func (w *xw) hprPeriod(p, name string, v []byte) {
	if isNull(v) {
		w.nilElem(p, name)
		return
	}
	w.open(p, name)
	w.dateTime("a", "Fra", member(v, "from"), "0001-01-01T00:00:00")
	if to := member(v, "to"); isNull(to) {
		w.nilElem("a", "Til")
	} else {
		w.dateTime("a", "Til", to, "")
	}
	w.close(p, name)
}

func (w *xw) suspensions(v []byte) {
	w.open("", "Suspensjonsperioder")
	_ = eachItem(v, func(s []byte) bool {
		w.open("", "Suspensjonsperiode")
		// A stored suspension is a period, or {"period": …}.
		per := member(s, "period")
		if per == nil {
			per = s
		}
		w.hprPeriod("", "Periode", per)
		w.close("", "Suspensjonsperiode")
		return true
	})
	w.close("", "Suspensjonsperioder")
}

func hentPerson(c *call) error {
	s, ok := c.req.Value("hprNummer")
	id, err := registry.ParseSerial(registry.IDHPR, []byte(s))
	if !ok || err != nil {
		return hprNotFound
	}
	day, err := atDay(c)
	if err != nil {
		return err
	}
	rec, err := c.personnelRecord(id)
	if err != nil {
		return err
	}
	c.w.raw(`<HentPersonResponse` + hprDecl + `>`)
	c.appendHPRPerson("HentPersonResult", rec, day)
	c.w.raw(`</HentPersonResponse>`)
	return nil
}

func hentPersonMedPersonnummer(c *call) error {
	s, _ := c.req.Value("personNummer")
	n, _, err := registry.ParseNIN([]byte(s))
	if err != nil {
		return hprNINInvalid
	}
	day, err := atDay(c)
	if err != nil {
		return err
	}
	k := registry.PersonnelByNINKey(n)
	hv, err := c.b.Raw(&k)
	found := err == nil && len(hv) == 4
	if err != nil && !errors.Is(err, registry.ErrNotFound) {
		return err
	}
	var rec []byte
	if found {
		if rec, err = c.personnelRecord(uint64(be32(hv))); err != nil {
			if errors.Is(err, hprNotFound) {
				found = false
			} else {
				return err
			}
		}
	}
	if err := c.b.Audit("HentPersonMedPersonnummer", n, found); err != nil {
		return errAudit
	}
	if !found {
		return hprNINNotFound
	}
	c.w.raw(`<HentPersonMedPersonnummerResponse` + hprDecl + `>`)
	c.appendHPRPerson("HentPersonMedPersonnummerResult", rec, day)
	c.w.raw(`</HentPersonMedPersonnummerResponse>`)
	return nil
}

// maxBatch bounds the array operations (HentPersoner, GetPatientsGPDetails,
// GetChangedCommunicationPartiesInfo) as the native bulk routes are bounded.
const maxBatch = 1000

var tooMany = &Fault{Code: "Feil", Message: "ArgumentException: for mange elementer (høyst 1000)"}

func hentPersoner(c *call) error {
	ids := c.req.Values("hprNummer/int")
	if len(ids) > maxBatch {
		return tooMany
	}
	day, err := atDay(c)
	if err != nil {
		return err
	}
	c.w.raw(`<HentPersonerResponse` + hprDecl + `><HentPersonerResult>`)
	for _, s := range ids {
		id, err := registry.ParseSerial(registry.IDHPR, []byte(s))
		if err != nil {
			continue // NHN leaves unknown numbers out
		}
		rec, err := c.personnelRecord(id)
		if errors.Is(err, hprNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		c.appendHPRPerson("Person", rec, day)
	}
	c.w.raw(`</HentPersonerResult></HentPersonerResponse>`)
	return nil
}

// søkFields are the Søkeparametre we answer; a search with any other
// non-empty parameter is refused (NHN's other 60 fields need an index of
// the whole register we do not keep for SOAP; POST /v1/personnel/search
// answers name, category and speciality searches).
func søk(paged bool) func(c *call) error {
	return func(c *call) error {
		var hprs []string
		var nin string
		for _, p := range c.req.Params {
			if p.Nil || p.Value == "" || p.Value == "false" || p.Value == "0" {
				continue
			}
			switch p.Path {
			case "search/HprNummer":
				hprs = append(hprs, p.Value)
			case "search/NIN":
				nin = p.Value
			case "search/Side", "search/ResultaterPerSide", "search/KunBasisData":
			default:
				return &Fault{Code: "Feil", Message: "NotSupportedException: søk på " + lastName(p.Path) + " støttes ikke her; bruk HprNummer eller NIN, eller POST /v1/personnel/search"}
			}
		}
		if hprs == nil && nin == "" {
			return &Fault{Code: "Feil", Message: "ArgumentException: søket mangler kriterier (HprNummer eller NIN)"}
		}
		var recs [][]byte
		for _, s := range hprs {
			id, err := registry.ParseSerial(registry.IDHPR, []byte(s))
			if err != nil {
				continue
			}
			rec, err := c.personnelRecord(id)
			if errors.Is(err, hprNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			recs = append(recs, rec)
		}
		if nin != "" {
			n, _, err := registry.ParseNIN([]byte(nin))
			if err != nil {
				return hprNINInvalid
			}
			k := registry.PersonnelByNINKey(n)
			hv, err := c.b.Raw(&k)
			if err != nil && !errors.Is(err, registry.ErrNotFound) {
				return err
			}
			found := false
			if err == nil && len(hv) == 4 {
				rec, err := c.personnelRecord(uint64(be32(hv)))
				if err == nil {
					recs, found = append(recs, rec), true
				} else if !errors.Is(err, hprNotFound) {
					return err
				}
			}
			if err := c.b.Audit(c.req.Op, n, found); err != nil {
				return errAudit
			}
		}
		w := &c.w
		if !paged {
			w.raw(`<SøkResponse` + hprDecl + `><SøkResult>`)
			for _, r := range recs {
				c.appendHPRPerson("Person", r, "")
			}
			w.raw(`</SøkResult></SøkResponse>`)
			return nil
		}
		w.raw(`<Søk2Response` + hprDecl + `><Søk2Result><Personer>`)
		for _, r := range recs {
			c.appendHPRPerson("Person", r, "")
		}
		w.raw(`</Personer>`)
		w.int("", "ResultaterPerSide", int64(max(len(recs), 1)))
		w.int("", "ResultaterTotalt", int64(len(recs)))
		w.int("", "Side", 1)
		w.raw(`</Søk2Result></Søk2Response>`)
		return nil
	}
}

func lastName(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] == '/' {
			return path[i+1:]
		}
	}
	return path
}

var _ = strconv.Itoa
