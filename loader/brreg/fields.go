package brreg

import "strings"

// Kind says which half of Enhetsregisteret a file holds.
type Kind uint8

// Kinds.
const (
	Enheter Kind = iota
	Underenheter
)

func (k Kind) String() string {
	if k == Underenheter {
		return "underenheter"
	}
	return "enheter"
}

// fieldType is how a CSV cell becomes a JSON value.
type fieldType uint8

const (
	tString fieldType = iota
	tBool
	tInt     // JSON integer (antallAnsatte, kapital.antallAksjer)
	tDecimal // JSON number written exactly as given (kapital.belop "5976872600.00")
	tLines   // JSON array of strings, one per line of the cell
	tPaategninger
)

// field is one v2 JSON field (a dotted path into nested objects) and its
// type. The order is the order of Brreg's own CSV header (data-formats.md
// §1.7), then the underenhet-only fields; CSV columns are matched to it
// case-insensitively, because Brreg's header spells some names differently
// from its JSON (registreringsdatoenhetsregisteret, registrertIMvaRegisteret,
// registreringsdatoantallansatteNAVAaregisteret).
type field struct {
	path string
	typ  fieldType
	// csv is the column name Brreg's header uses when it differs from path.
	csv string
}

func address(prefix string) []field {
	return []field{
		{path: prefix + ".adresse", typ: tLines},
		{path: prefix + ".poststed"},
		{path: prefix + ".postnummer"},
		{path: prefix + ".kommune"},
		{path: prefix + ".kommunenummer"},
		{path: prefix + ".land"},
		{path: prefix + ".landkode"},
	}
}

func coded(prefix string) []field {
	return []field{{path: prefix + ".kode"}, {path: prefix + ".beskrivelse"}}
}

func cat(parts ...[]field) []field {
	var out []field
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// enhetFields are the columns of the enheter CSV in Brreg's order.
var enhetFields = cat(
	[]field{{path: "organisasjonsnummer"}, {path: "navn"}},
	coded("organisasjonsform"), coded("naeringskode1"), coded("naeringskode2"), coded("naeringskode3"),
	coded("hjelpeenhetskode"),
	[]field{
		{path: "harRegistrertAntallAnsatte", typ: tBool},
		{path: "antallAnsatte", typ: tInt},
		{path: "registreringsdatoAntallAnsatteEnhetsregisteret"},
		{path: "registreringsdatoAntallAnsatteNAVAaregisteret", csv: "registreringsdatoantallansatteNAVAaregisteret"},
		{path: "hjemmeside"}, {path: "epostadresse"}, {path: "telefon"}, {path: "mobil"},
	},
	address("postadresse"), address("forretningsadresse"), coded("institusjonellSektorkode"),
	[]field{
		{path: "sisteInnsendteAarsregnskap"},
		{path: "registreringsdatoEnhetsregisteret", csv: "registreringsdatoenhetsregisteret"},
		{path: "stiftelsesdato"},
		{path: "registrertIMvaregisteret", typ: tBool, csv: "registrertIMvaRegisteret"},
		{path: "registreringsdatoMerverdiavgiftsregisteret"},
		{path: "registreringsdatoMerverdiavgiftsregisteretEnhetsregisteret"},
		{path: "frivilligMvaRegistrertBeskrivelser", typ: tLines},
		{path: "registreringsdatoFrivilligMerverdiavgiftsregisteret"},
		{path: "registrertIFrivillighetsregisteret", typ: tBool},
		{path: "registreringsdatoFrivillighetsregisteret"},
		{path: "registrertIForetaksregisteret", typ: tBool},
		{path: "registreringsdatoForetaksregisteret"},
		{path: "registrertIStiftelsesregisteret", typ: tBool},
		{path: "registrertIPartiregisteret", typ: tBool},
		{path: "registreringsdatoPartiregisteret"},
		{path: "konkurs", typ: tBool}, {path: "konkursdato"},
		{path: "underAvvikling", typ: tBool}, {path: "underAvviklingDato"},
		{path: "underTvangsavviklingEllerTvangsopplosning", typ: tBool},
		{path: "tvangsopplostPgaManglendeDagligLederDato"},
		{path: "tvangsopplostPgaManglendeRevisorDato"},
		{path: "tvangsopplostPgaManglendeRegnskapDato"},
		{path: "tvangsopplostPgaMangelfulltStyreDato"},
		{path: "tvangsavvikletPgaManglendeSlettingDato"},
		{path: "overordnetEnhet"},
		{path: "maalform"},
		{path: "vedtektsdato"},
		{path: "vedtektsfestetFormaal", typ: tLines},
		{path: "aktivitet", typ: tLines},
		{path: "paategninger", typ: tPaategninger},
		{path: "underUtenlandskInsolvensbehandlingDato"},
		{path: "underRekonstruksjonsforhandlingDato"},
		{path: "fravalgRevisjonDato"},
		{path: "fravalgRevisjonBeslutningsDato"},
		{path: "erIKonsern", typ: tBool},
		{path: "kapital.belop", typ: tDecimal},
		{path: "kapital.antallAksjer", typ: tInt},
		{path: "kapital.type"},
		{path: "kapital.bundet", typ: tDecimal},
		{path: "kapital.valuta"},
		{path: "kapital.innbetalt", typ: tDecimal},
		{path: "kapital.fulltInnbetalt", typ: tBool},
		{path: "kapital.innfortDato"},
		{path: "registreringsnummerIHjemlandet"},
		{path: "utenlandskRegisterNavn"},
		{path: "utenlandskRegisterAdresse.land"},
		{path: "utenlandskRegisterAdresse.poststed"},
		{path: "utenlandskRegisterAdresse.adresse", typ: tLines},
		{path: "underlagtLovgivningLand"},
		{path: "underlagtLovgivningLandKode"},
		{path: "foretaksformIHjemlandet.kode"},
		{path: "foretaksformIHjemlandet.beskrivelse"},
		{path: "foretaksformIHjemlandet.beskrivelseBokmaal"},
	},
)

// underenhetFields are the columns of the underenheter CSV. No real header
// was found (data-formats.md §1.7 lists only the enheter one); this one
// follows the enheter conventions with the Underenhet schema's fields.
// Columns are matched by name, so Brreg's real order does not matter.
var underenhetFields = cat(
	[]field{{path: "organisasjonsnummer"}, {path: "navn"}},
	coded("organisasjonsform"), coded("naeringskode1"), coded("naeringskode2"), coded("naeringskode3"),
	coded("hjelpeenhetskode"),
	[]field{
		{path: "harRegistrertAntallAnsatte", typ: tBool},
		{path: "antallAnsatte", typ: tInt},
		{path: "registreringsdatoAntallAnsatteEnhetsregisteret"},
		{path: "registreringsdatoAntallAnsatteNAVAaregisteret", csv: "registreringsdatoantallansatteNAVAaregisteret"},
		{path: "hjemmeside"}, {path: "epostadresse"}, {path: "telefon"}, {path: "mobil"},
	},
	address("postadresse"), address("beliggenhetsadresse"),
	[]field{
		{path: "registreringsdatoEnhetsregisteret", csv: "registreringsdatoenhetsregisteret"},
		{path: "registrertIMvaregisteret", typ: tBool, csv: "registrertIMvaRegisteret"},
		{path: "registreringsdatoMerverdiavgiftsregisteret"},
		{path: "registreringsdatoMerverdiavgiftsregisteretEnhetsregisteret"},
		{path: "frivilligMvaRegistrertBeskrivelser", typ: tLines},
		{path: "registreringsdatoFrivilligMerverdiavgiftsregisteret"},
		{path: "overordnetEnhet"},
		{path: "oppstartsdato"},
		{path: "datoEierskifte"},
		{path: "nedleggelsesdato"},
	},
)

// extraFields are v2 fields that appear in JSON but not in Brreg's CSV
// header; a CSV that has them anyway gets their JSON types.
var extraFields = []field{
	{path: "slettedato"},
	{path: "respons_klasse"},
}

// knownByLower maps a lower-cased path or CSV column name to its field.
var knownByLower = func() map[string]field {
	m := map[string]field{}
	for _, list := range [][]field{enhetFields, underenhetFields, extraFields} {
		for _, f := range list {
			m[strings.ToLower(f.path)] = f
			if f.csv != "" {
				m[strings.ToLower(f.csv)] = f
			}
		}
	}
	return m
}()

func fieldsOf(k Kind) []field {
	if k == Underenheter {
		return underenhetFields
	}
	return enhetFields
}

// CSVHeader returns the column names of Brreg's CSV for kind, with Brreg's
// own spelling (including its inconsistent casing).
func CSVHeader(k Kind) []string {
	fs := fieldsOf(k)
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.path
		if f.csv != "" {
			out[i] = f.csv
		}
	}
	return out
}
