package soap

import "strconv"

// simpleTypes are the Volven code list names NHN writes in Code.SimpleType,
// by OID (as in the recorded answers).
var simpleTypes = map[int]string{
	0:    "naringskode",
	3101: "kjonn",
	3401: "adressetype",
	3402: "kommunenummer",
	7426: "helsepersonellregisterets_hpr_klassifikasjon_av_spesialiteter",
	7701: "helsepersonellregisterets_hpr_klassifikasjon_av_rekvisisjonsrett",
	7702: "helsepersonellregisterets_hpr_klassifikasjon_av_spesialkompetanse",
	7704: "helsepersonellregisterets_hpr_klassifikasjon_av_autorisasjoner",
	7750: "fastlegeregisteret_forhold_til_kontrakt",
	7751: "fastlegeregisteret_kontraktstatus",
	8658: "meldingsmottak_i_offentlig_forvaltning",
	8666: "andre_helsetjenestetyper",
	9040: "helsevirksomhet_type",
	9043: "landkoder",
	9044: "type_adressekomponeneter",
	9060: "kategori_helsepersonell",
}

// code is a stored coded value {oid, code, text}.
type code struct{ oid, value, text []byte }

func parseCode(v []byte) (c code, ok bool) {
	if isNull(v) {
		return c, false
	}
	err := eachMember(v, func(k, val []byte) bool {
		switch string(k) {
		case "oid":
			c.oid = val
		case "code":
			c.value = val
		case "text":
			c.text = val
		}
		return true
	})
	return c, err == nil
}

// code writes a Common Code element <p:name> with children in prefix cp, or
// nil for a null value.
func (w *xw) code(p, name, cp string, v []byte) { w.codeAs(p, name, cp, v, false) }

// codeItem writes a Code as an array item.
func (w *xw) codeItem(cp, name string, v []byte) { w.codeAs(cp, name, cp, v, true) }

func (w *xw) codeAs(p, name, cp string, v []byte, item bool) {
	c, ok := parseCode(v)
	if !ok {
		w.nilElem(p, name)
		return
	}
	if item {
		w.openItem(p, name)
	} else {
		w.open(p, name)
	}
	w.bool(cp, "Active", nil, true)
	w.text(cp, "CodeText", c.text)
	w.text(cp, "CodeValue", c.value)
	if !w.noLongDescription {
		w.nilElem(cp, "LongDescription")
	}
	w.num(cp, "OID", c.oid)
	oid, _ := strconv.Atoi(string(unquoted(c.oid)))
	if st, ok := simpleTypes[oid]; ok {
		w.str(cp, "SimpleType", st)
	} else {
		w.nilElem(cp, "SimpleType")
	}
	w.close(p, name)
}

// kode writes an HPR v2 Kode (schemas.nhn.no/reg/Common/no) <p:name>.
func (w *xw) kode(p, name, kp string, v []byte) {
	c, ok := parseCode(v)
	if !ok {
		w.nilElem(p, name)
		return
	}
	w.open(p, name)
	w.bool(kp, "Aktiv", nil, true)
	w.text(kp, "Beskrivelse", c.text)
	oid, _ := strconv.Atoi(string(unquoted(c.oid)))
	if st, ok := simpleTypes[oid]; ok {
		w.str(kp, "Kodegruppenavn", st)
	} else {
		w.nilElem(kp, "Kodegruppenavn")
	}
	w.num(kp, "OID", c.oid)
	w.text(kp, "Verdi", c.value)
	w.close(p, name)
}

// countryCode writes the Country Code of a stored ISO country ("NO").
func (w *xw) countryCode(p, name, cp string, v []byte) {
	if isEmpty(v) {
		w.nilElem(p, name)
		return
	}
	w.open(p, name)
	w.bool(cp, "Active", nil, true)
	if string(unquoted(v)) == "NO" {
		w.str(cp, "CodeText", "Norge")
	} else {
		w.nilElem(cp, "CodeText")
	}
	w.text(cp, "CodeValue", v)
	w.nilElem(cp, "LongDescription")
	w.int(cp, "OID", 9043)
	w.str(cp, "SimpleType", simpleTypes[9043])
	w.close(p, name)
}
