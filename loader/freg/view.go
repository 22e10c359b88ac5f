package freg

import (
	"encoding/json"
	"strconv"
)

// Summary is what the loader needs besides the served bytes.
type Summary struct {
	// NIN is the identifier the person is served under (the current one).
	NIN string
	// Identifiers are every number the person has had, current first.
	Identifiers []string
	// Grading is the strictest of the person-level grading and the current
	// addresses' gradings.
	Grading Grading
	// Name parts and birth date, for search.
	Given, Family, BirthDate  string
	Postnummer, Kommunenummer string
	Status                    string
}

// View encodes the person as the API serves it (docs/api.md): current values
// only. full is for callers allowed to see protected addresses; restricted
// withholds every address of a protected person and says so. For an
// unprotected person restricted is nil (the same bytes serve everyone).
func (p *Person) View(dst []byte) (full, restricted []byte, s Summary) {
	s = p.summary()
	start := len(dst)
	dst = p.appendView(dst, &s, true)
	full = dst[start:]
	if s.Grading != Ugradert {
		start = len(dst)
		dst = p.appendView(dst, &s, false)
		restricted = dst[start:]
	}
	return full, restricted, s
}

func (p *Person) summary() Summary {
	var s Summary
	for _, id := range p.Identifikasjonsnummer {
		if id.ErGjeldende && canonical(id.Status, idStatusNames...) != "opphoert" && s.NIN == "" {
			s.NIN = id.FoedselsEllerDNummer
		}
	}
	if s.NIN == "" && len(p.Identifikasjonsnummer) > 0 {
		s.NIN = p.Identifikasjonsnummer[0].FoedselsEllerDNummer
	}
	if s.NIN != "" {
		s.Identifiers = append(s.Identifiers, s.NIN)
	}
	for _, id := range p.Identifikasjonsnummer {
		if id.FoedselsEllerDNummer != s.NIN && id.FoedselsEllerDNummer != "" {
			s.Identifiers = append(s.Identifiers, id.FoedselsEllerDNummer)
		}
	}
	for _, b := range p.Adressebeskyttelse {
		if b.ErGjeldende {
			if g, _ := ParseGrading(b.Graderingsnivaa); g > s.Grading {
				s.Grading = g
			}
		}
	}
	for _, list := range [][]Address{p.Bostedsadresse, p.Oppholdsadresse, p.DeltBosted, p.Postadresse, p.PostadresseIUtlandet} {
		for _, a := range list {
			if a.Current && a.Grading > s.Grading {
				s.Grading = a.Grading
			}
		}
	}
	for _, n := range p.Navn {
		if n.ErGjeldende {
			s.Given, s.Family = n.Fornavn, n.Etternavn
		}
	}
	for _, f := range p.Foedsel {
		if f.ErGjeldende {
			s.BirthDate = f.Foedselsdato
		}
	}
	for _, a := range p.Bostedsadresse {
		if a.Current {
			s.Postnummer, s.Kommunenummer = a.Postnummer, a.Kommunenummer
		}
	}
	for _, st := range p.Status {
		if st.ErGjeldende {
			s.Status = canonical(st.Status, statusNames...)
		}
	}
	return s
}

func appendStr(dst []byte, s string) []byte {
	b, _ := json.Marshal(s) // strings always marshal
	return append(dst, b...)
}

func appendField(dst []byte, name, value string) []byte {
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	dst = append(dst, '"', ':')
	return appendStr(dst, value)
}

func appendCurrentAddress(dst []byte, name string, list []Address, allowed bool) []byte {
	for _, a := range list {
		if !a.Current {
			continue
		}
		dst = append(dst, ',', '"')
		dst = append(dst, name...)
		dst = append(dst, '"', ':')
		if allowed {
			return append(dst, a.Raw...)
		}
		return append(dst, "null"...)
	}
	return dst
}

func (p *Person) appendView(dst []byte, s *Summary, seeProtected bool) []byte {
	dst = append(dst, `{"nin":`...)
	dst = appendStr(dst, s.NIN)
	idType := ""
	for _, id := range p.Identifikasjonsnummer {
		if id.FoedselsEllerDNummer == s.NIN {
			idType = canonical(id.Identifikatortype, idTypeNames...)
		}
	}
	dst = appendField(dst, "identifierType", idType)
	dst = append(dst, `,"identifiers":[`...)
	for i, id := range p.Identifikasjonsnummer {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"nin":`...)
		dst = appendStr(dst, id.FoedselsEllerDNummer)
		dst = appendField(dst, "type", canonical(id.Identifikatortype, idTypeNames...))
		dst = appendField(dst, "status", canonical(id.Status, idStatusNames...))
		dst = append(dst, '}')
	}
	dst = append(dst, ']')
	dst = appendField(dst, "status", s.Status)
	for _, n := range p.Navn {
		if n.ErGjeldende {
			dst = append(dst, `,"name":{"given":`...)
			dst = appendStr(dst, n.Fornavn)
			if n.Mellomnavn != "" {
				dst = appendField(dst, "middle", n.Mellomnavn)
			}
			dst = appendField(dst, "family", n.Etternavn)
			dst = append(dst, '}')
		}
	}
	for _, f := range p.Foedsel {
		if f.ErGjeldende {
			if f.Foedselsdato != "" {
				dst = appendField(dst, "birthDate", f.Foedselsdato)
			}
			if y, err := strconv.Atoi(f.Foedselsaar); err == nil {
				dst = append(dst, `,"birthYear":`...)
				dst = strconv.AppendInt(dst, int64(y), 10)
			}
			if f.Foedeland != "" {
				dst = appendField(dst, "birthCountry", f.Foedeland)
			}
		}
	}
	for _, k := range p.Kjoenn {
		if k.ErGjeldende {
			dst = appendField(dst, "gender", canonical(k.Kjoenn, kjoennNames...))
		}
	}
	if p.Doedsfall != nil {
		dst = appendField(dst, "deathDate", p.Doedsfall.Doedsdato)
	}
	for _, v := range p.Sivilstand {
		if v.ErGjeldende {
			dst = appendField(dst, "maritalStatus", canonical(v.Sivilstand, sivilstandNames...))
		}
	}
	dst = append(dst, `,"citizenships":[`...)
	n := 0
	for _, c := range p.Statsborgerskap {
		if c.ErGjeldende {
			if n > 0 {
				dst = append(dst, ',')
			}
			dst = appendStr(dst, c.Statsborgerskap)
			n++
		}
	}
	dst = append(dst, ']')
	dst = appendField(dst, "addressProtection", s.Grading.String())
	allowed := seeProtected || s.Grading == Ugradert
	if !allowed {
		dst = append(dst, `,"addressesWithheld":true`...)
	}
	dst = appendCurrentAddress(dst, "residentialAddress", p.Bostedsadresse, allowed)
	dst = appendCurrentAddress(dst, "temporaryAddress", p.Oppholdsadresse, allowed)
	dst = appendCurrentAddress(dst, "sharedResidence", p.DeltBosted, allowed)
	dst = appendCurrentAddress(dst, "postalAddress", p.Postadresse, allowed)
	dst = appendCurrentAddress(dst, "postalAddressAbroad", p.PostadresseIUtlandet, allowed)
	dst = append(dst, `,"family":[`...)
	n = 0
	for _, f := range p.Familierelasjon {
		if f.ErGjeldende && f.RelatertPerson != "" {
			if n > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"nin":`...)
			dst = appendStr(dst, f.RelatertPerson)
			dst = appendField(dst, "role", f.RelatertPersonsRolle)
			dst = append(dst, '}')
			n++
		}
	}
	dst = append(dst, "]}"...)
	return dst
}
