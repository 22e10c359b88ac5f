package freg

import (
	"strconv"

	"github.com/grunndata/grunndata/loader/jsonl"
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
	// Gender is "kvinne", "mann" or "".
	Gender string
}

// currentOf returns the index of the current version in list: the first
// element with erGjeldende true, or -1.
func currentOf[T interface{ current() bool }](list []T) int {
	for i := range list {
		if list[i].current() {
			return i
		}
	}
	return -1
}

func (a Address) current() bool { return a.Current }

// View encodes the person as the API serves it: current values, then the
// earlier versions Freg sent (history, when the document has any). full is
// for callers allowed to see protected addresses; restricted withholds every
// address of a protected person and says so, and leaves out earlier
// addresses that were graded themselves. When the two would be equal
// restricted is nil (the same bytes serve everyone).
func (p *Person) View(dst []byte) (full, restricted []byte, s Summary) {
	s = p.summary()
	start := len(dst)
	dst = p.appendView(dst, &s, true)
	full = dst[start:]
	if s.Grading != Ugradert || p.gradedHistory() {
		start = len(dst)
		dst = p.appendView(dst, &s, false)
		restricted = dst[start:]
	}
	return full, restricted, s
}

// summaryNIN returns the number the person is served under.
func (p *Person) summaryNIN() string {
	for i := range p.Identifikasjonsnummer {
		id := &p.Identifikasjonsnummer[i]
		if id.ErGjeldende && canonical(id.Status, idStatusNames...) != "opphoert" {
			return id.FoedselsEllerDNummer
		}
	}
	if len(p.Identifikasjonsnummer) > 0 {
		return p.Identifikasjonsnummer[0].FoedselsEllerDNummer
	}
	return ""
}

func (p *Person) addressLists() [5][]Address {
	return [5][]Address{p.Bostedsadresse, p.Oppholdsadresse, p.DeltBosted, p.Postadresse, p.PostadresseIUtlandet}
}

// gradedHistory reports whether an earlier (not current) address version is
// graded: it must not reach callers without the protected scope.
func (p *Person) gradedHistory() bool {
	for _, list := range p.addressLists() {
		for _, a := range list {
			if !a.Current && a.Grading != Ugradert {
				return true
			}
		}
	}
	return false
}

func (p *Person) summary() Summary {
	var s Summary
	s.NIN = p.summaryNIN()
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
	for _, list := range p.addressLists() {
		for _, a := range list {
			if a.Current && a.Grading > s.Grading {
				s.Grading = a.Grading
			}
		}
	}
	if i := currentOf(p.Navn); i >= 0 {
		s.Given, s.Family = p.Navn[i].Fornavn, p.Navn[i].Etternavn
	}
	if i := currentOf(p.Foedsel); i >= 0 {
		s.BirthDate = p.Foedsel[i].Foedselsdato
	}
	if i := currentOf(p.Bostedsadresse); i >= 0 {
		s.Postnummer, s.Kommunenummer = p.Bostedsadresse[i].Postnummer, p.Bostedsadresse[i].Kommunenummer
	}
	if i := currentOf(p.Kjoenn); i >= 0 {
		s.Gender = canonical(p.Kjoenn[i].Kjoenn, kjoennNames...)
	}
	if i := currentOf(p.Status); i >= 0 {
		s.Status = canonical(p.Status[i].Status, statusNames...)
	}
	return s
}

func appendStr(dst []byte, s string) []byte { return jsonl.AppendString(dst, s) }

func appendField(dst []byte, name, value string) []byte {
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	dst = append(dst, '"', ':')
	return appendStr(dst, value)
}

// appendPeriod appends ,"from":…,"to":… for the non-empty ones.
func appendPeriod(dst []byte, m *meta) []byte {
	if m.Gyldig != "" {
		dst = appendField(dst, "from", m.Gyldig)
	}
	if m.Opphoer != "" {
		dst = appendField(dst, "to", m.Opphoer)
	}
	return dst
}

func appendCurrentAddress(dst []byte, name string, list []Address, allowed bool) []byte {
	i := currentOf(list)
	if i < 0 {
		return dst
	}
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	dst = append(dst, '"', ':')
	if allowed {
		return append(dst, list[i].Raw...)
	}
	return append(dst, "null"...)
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
	if i := currentOf(p.Navn); i >= 0 {
		dst = append(dst, `,"name":`...)
		dst = p.appendName(dst, i, false)
	}
	if i := currentOf(p.Foedsel); i >= 0 {
		f := &p.Foedsel[i]
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
	if i := currentOf(p.Kjoenn); i >= 0 {
		dst = appendField(dst, "gender", canonical(p.Kjoenn[i].Kjoenn, kjoennNames...))
	}
	if p.Doedsfall != nil {
		dst = appendField(dst, "deathDate", p.Doedsfall.Doedsdato)
	}
	if i := currentOf(p.Sivilstand); i >= 0 {
		dst = appendField(dst, "maritalStatus", canonical(p.Sivilstand[i].Sivilstand, sivilstandNames...))
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
	dst = append(dst, ']')
	dst = p.appendHistory(dst, allowed, seeProtected)
	return append(dst, '}')
}

func (p *Person) appendName(dst []byte, i int, period bool) []byte {
	v := &p.Navn[i]
	dst = append(dst, `{"given":`...)
	dst = appendStr(dst, v.Fornavn)
	if v.Mellomnavn != "" {
		dst = appendField(dst, "middle", v.Mellomnavn)
	}
	dst = appendField(dst, "family", v.Etternavn)
	if period {
		dst = appendPeriod(dst, &v.meta)
	}
	return append(dst, '}')
}

// history writes one list of earlier versions: `,"name":[…]`, opening the
// history object first if needed.
type history struct {
	dst  []byte
	open bool
}

func (h *history) list(name string, n int, elem func(dst []byte, i int) ([]byte, bool)) {
	k := 0
	for i := 0; i < n; i++ {
		mark := len(h.dst)
		if !h.open {
			h.dst = append(h.dst, `,"history":{`...)
		} else if k == 0 {
			h.dst = append(h.dst, ',')
		}
		if k == 0 {
			h.dst = append(h.dst, '"')
			h.dst = append(h.dst, name...)
			h.dst = append(h.dst, `":[`...)
		} else {
			h.dst = append(h.dst, ',')
		}
		var ok bool
		if h.dst, ok = elem(h.dst, i); !ok {
			h.dst = h.dst[:mark]
			continue
		}
		h.open = true
		k++
	}
	if k > 0 {
		h.dst = append(h.dst, ']')
	}
}

// appendHistory appends the earlier versions of names, statuses, marital
// statuses and addresses. Earlier addresses are shown under the same rule as
// current ones (allowed), and a graded earlier address only to callers who
// may see protected addresses.
func (p *Person) appendHistory(dst []byte, allowed, seeProtected bool) []byte {
	h := history{dst: dst}
	h.list("names", len(p.Navn), func(dst []byte, i int) ([]byte, bool) {
		if p.Navn[i].ErGjeldende {
			return dst, false
		}
		return p.appendName(dst, i, true), true
	})
	h.list("statuses", len(p.Status), func(dst []byte, i int) ([]byte, bool) {
		v := &p.Status[i]
		if v.ErGjeldende {
			return dst, false
		}
		dst = append(dst, `{"status":`...)
		dst = appendStr(dst, canonical(v.Status, statusNames...))
		return append(appendPeriod(dst, &v.meta), '}'), true
	})
	h.list("maritalStatuses", len(p.Sivilstand), func(dst []byte, i int) ([]byte, bool) {
		v := &p.Sivilstand[i]
		if v.ErGjeldende {
			return dst, false
		}
		dst = append(dst, `{"maritalStatus":`...)
		dst = appendStr(dst, canonical(v.Sivilstand, sivilstandNames...))
		return append(appendPeriod(dst, &v.meta), '}'), true
	})
	if allowed {
		for j, list := range p.addressLists() {
			name := [...]string{"residentialAddresses", "temporaryAddresses", "sharedResidences", "postalAddresses", "postalAddressesAbroad"}[j]
			h.list(name, len(list), func(dst []byte, i int) ([]byte, bool) {
				a := &list[i]
				if a.Current || (a.Grading != Ugradert && !seeProtected) {
					return dst, false
				}
				return append(dst, a.Raw...), true
			})
		}
	}
	if h.open {
		h.dst = append(h.dst, '}')
	}
	return h.dst
}
