package freg

import "github.com/grunndata/grunndata/loader/jsonl"

// Unknown keys. Freg adds fields over time and its documentation examples
// carry keys the schema does not (hendelsedataId, saksreferanse in the 2019
// person example). The loader ignores them but counts them, so an operator
// sees when Skatteetaten's model has moved on. Known keys are those of the
// Folkeregisterperson schema v1.5 (../shared/testdata/external/folkeregisteret/
// openapi_freg_offentlig_med_hjemmel_1.5.yaml): the top-level entity names
// and, one level down, the keys of each entity's elements. Deeper keys
// (inside vegadresse, …) are not checked.

type keySet map[string]struct{}

func keys(names ...string) keySet {
	s := keySet{}
	for _, n := range append(names, metaKeys...) {
		s[n] = struct{}{}
	}
	return s
}

// metaKeys are the registry metadata every versioned element carries.
var metaKeys = []string{"aarsak", "ajourholdstidspunkt", "erGjeldende", "gyldighetstidspunkt", "kilde", "opphoerstidspunkt"}

// personSchema maps each Folkeregisterperson entity to its element keys.
var personSchema = map[string]keySet{
	"adressebeskyttelse":                keys("graderingsnivaa"),
	"bibehold":                          keys("bibeholdstatus", "datoForBibehold"),
	"bostedsadresse":                    keys("adresseIdentifikatorFraMatrikkelen", "adressegradering", "flyttedato", "grunnkrets", "kirkekrets", "matrikkeladresse", "naerAdresseIdentifikatorFraMatrikkelen", "skolekrets", "stemmekrets", "ukjentBosted", "vegadresse"),
	"brukAvSamiskSpraak":                keys("spraak"),
	"deltBosted":                        keys("adresseIdentifikatorFraMatrikkelen", "adressegradering", "matrikkeladresse", "naerAdresseIdentifikatorFraMatrikkelen", "sluttdatoForKontrakt", "startdatoForKontrakt", "ukjentBosted", "vegadresse"),
	"doedsfall":                         keys("doedsdato"),
	"falskIdentitet":                    keys("erFalsk", "rettIdentitetErUkjent", "rettIdentitetVedIdentifikasjonsnummer", "rettIdentitetVedOpplysninger"),
	"familierelasjon":                   keys("minRolleForPerson", "relatertPerson", "relatertPersonUtenFolkeregisteridentifikator", "relatertPersonsRolle"),
	"foedsel":                           keys("foedekommuneINorge", "foedeland", "foedested", "foedselsaar", "foedselsdato"),
	"foedselINorge":                     keys("foedselsinstitusjonsnavn", "rekkefoelgenummer"),
	"foreldreansvar":                    keys("ansvar", "ansvarlig", "ansvarligOrganisasjon", "ansvarligUtenIdentifikator", "ansvarssubjekt", "ansvarssubjektUtenIdentifikator"),
	"forholdTilSametingetsValgmanntall": keys("forhold", "vedtaksdato"),
	"identifikasjonsnummer":             keys("foedselsEllerDNummer", "identifikatortype", "status"),
	"identitetsgrunnlag":                keys("identitetsgrunnlagstatus"),
	"innflytting":                       keys("fraflyttingsland", "fraflyttingsstedIUtlandet"),
	"kjoenn":                            keys("kjoenn"),
	"kontaktinformasjonForDoedsbo":      keys("adresse", "advokat", "attestutstedelsesdato", "organisasjon", "person", "skifteform"),
	"legitimasjonsdokument":             keys("dokumentkontroll", "gyldigFra", "gyldigTil", "identifikasjonsdokumentnummer", "identifikasjonsdokumenttype", "utstederland", "utstedernavn"),
	"navn":                              keys("etternavn", "forkortetNavn", "fornavn", "mellomnavn", "originaltNavn"),
	"opphold":                           keys("oppholdFra", "oppholdTil", "oppholdstillatelse"),
	"oppholdPaaSvalbard":                keys("antallTidligereOpphold", "antattOppholdsvarighet", "fraflyttingskommunenummer", "fraflyttingsland", "sluttdato", "startdato"),
	"oppholdsadresse":                   keys("adresseIdentifikatorFraMatrikkelen", "adressegradering", "adressenErUkjent", "matrikkeladresse", "oppholdAnnetSted", "oppholdsadressedato", "utenlandskAdresse", "vegadresse"),
	"postadresse":                       keys("adresseIdentifikatorFraMatrikkelen", "adressegradering", "postadresseIFrittFormat", "postboksadresse", "vegadresse"),
	"postadresseIUtlandet":              keys("adressegradering", "utenlandskAdresse", "utenlandskAdresseIFrittFormat"),
	"preferertKontaktadresse":           keys("adressegradering", "kontaktadresseIFrittFormat", "valg"),
	"sivilstand":                        keys("kommune", "myndighet", "relatertVedSivilstand", "sivilstand", "sivilstandsdato", "sted", "utland"),
	"statsborgerskap":                   keys("ervervsdato", "statsborgerskap"),
	"status":                            keys("status"),
	"utenlandskPersonidentifikasjon":    keys("identifikasjonsnummer", "identifikasjonsnummertype", "utstederland"),
	"utflytting":                        keys("tilflyttingsland", "tilflyttingsstedIUtlandet", "utflyttingsdato"),
	"utlendingsmyndighetenesIdentifikasjonsnummer": keys("identifikasjonsnummer", "identifikasjonsnummertype", "utstederland"),
	"vergemaalEllerFremtidsfullmakt":               keys("embete", "verge", "vergemaaltype"),
}

// scanUnknown calls fn with the path ("entity" or "entity.key") of every key
// of the person document raw that the schema does not know. raw must be
// valid JSON (it has been decoded already); the scan does not allocate
// unless it finds an unknown key.
func scanUnknown(raw []byte, fn func(path string)) {
	i := jsonl.SkipWS(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return
	}
	jsonl.EachMember(raw, i, func(key []byte, v int) int {
		elem, known := personSchema[string(key)]
		if !known {
			fn(string(key))
			return jsonl.SkipValue(raw, v)
		}
		switch raw[v] {
		case '[':
			return jsonl.EachElement(raw, v, func(e int) int {
				if raw[e] != '{' {
					return jsonl.SkipValue(raw, e)
				}
				return jsonl.EachMember(raw, e, func(k []byte, v2 int) int {
					if _, ok := elem[string(k)]; !ok {
						fn(string(key) + "." + string(k))
					}
					return jsonl.SkipValue(raw, v2)
				})
			})
		case '{':
			return jsonl.EachMember(raw, v, func(k []byte, v2 int) int {
				if _, ok := elem[string(k)]; !ok {
					fn(string(key) + "." + string(k))
				}
				return jsonl.SkipValue(raw, v2)
			})
		}
		return jsonl.SkipValue(raw, v)
	})
}

// KnownKeys returns the element keys the schema knows for a top-level
// entity, and whether the entity is known.
func KnownKeys(entity string) (map[string]bool, bool) {
	ks, ok := personSchema[entity]
	if !ok {
		return nil, false
	}
	m := make(map[string]bool, len(ks))
	for k := range ks {
		m[k] = true
	}
	return m, true
}
