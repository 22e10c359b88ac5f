package soap

import (
	"errors"
	"strconv"

	"github.com/grunndata/grunndata/registry"
)

// Adresseregisteret: ICommunicationPartyService (http://register.nhn.no/CommunicationParty).

const (
	nsAR  = "http://register.nhn.no/CommunicationParty"
	nsHPR = "http://register.nhn.no/HPR"
	// arDecl declares the answer's namespaces once on the Response element:
	// CommunicationParty as the default, Common as b, HPR as c.
	arDecl = ` xmlns="` + nsAR + `" xmlns:b="` + nsCommon + `" xmlns:c="` + nsHPR + `" xmlns:i="` + nsXSI + `"`
)

// party holds the raw members of a stored party record (docs/formats.md).
type party struct {
	herID, typ, name, displayName, active, valid, orgnr, businessType  []byte
	industryCodes, municipality, service, person, electronic, physical []byte
	lastChanged, parentHerID, parent, description, locationDescription []byte
}

func parseParty(rec []byte) (*party, error) {
	p := &party{}
	err := eachMember(rec, func(k, v []byte) bool {
		switch string(k) {
		case "herId":
			p.herID = v
		case "type":
			p.typ = v
		case "name":
			p.name = v
		case "displayName":
			p.displayName = v
		case "active":
			p.active = v
		case "valid":
			p.valid = v
		case "organizationNumber":
			p.orgnr = v
		case "businessType":
			p.businessType = v
		case "industryCodes":
			p.industryCodes = v
		case "municipality":
			p.municipality = v
		case "service":
			p.service = v
		case "person":
			p.person = v
		case "electronicAddresses":
			p.electronic = v
		case "physicalAddresses":
			p.physical = v
		case "lastChanged":
			p.lastChanged = v
		case "parentHerId":
			p.parentHerID = v
		case "parent":
			p.parent = v
		case "description":
			p.description = v
		case "locationDescription":
			p.locationDescription = v
		}
		return true
	})
	return p, err
}

func (p *party) kind() string { return string(unquoted(p.typ)) }

// xsiType is the party's derived type as NHN names it.
func (p *party) xsiType() string {
	if p.kind() == "Person" {
		return "OrganizationPerson"
	}
	return p.kind()
}

// arFault is NHN's answer for a HER-id that does not exist.
var arNotFound = &Fault{Code: "InvalidHerIdSupplied", Message: "Kommunikasjonspart med oppgitt HER-id eksisterer ikke."}

// arParty reads one party; a missing one is NHN's InvalidHerIdSupplied.
func arParty(b Backend, her uint64) (*party, error) {
	k := registry.SerialKey(registry.RegParty, her)
	rec, err := b.Record(&k)
	if errors.Is(err, registry.ErrNotFound) || errors.Is(err, registry.ErrGone) {
		return nil, arNotFound
	}
	if err != nil {
		return nil, err
	}
	return parseParty(rec)
}

// parseHerID parses an xs:int HER-id parameter; a bad or missing one is
// InvalidHerIdSupplied as at NHN.
func parseHerID(s string, ok bool) (uint64, error) {
	if !ok {
		return 0, arNotFound
	}
	id, err := registry.ParseSerial(registry.IDHerID, []byte(s))
	if err != nil {
		return 0, arNotFound
	}
	return id, nil
}

// Nesting levels of a rendered party: an organisation's services and people
// are rendered without their own children, a person's organisations without
// theirs (as NHN does).
const (
	levelTop = iota
	levelNested
)

// appendParty writes a party as the element <name i:type="…"> of type
// CommunicationParty (withType) or as its own derived type. In JSON mode
// (NHN's REST shape) it writes the members of the object, the derived
// type's first, as NHN's serializer does.
func (c *call) appendParty(name string, p *party, withType bool, level int) error {
	w := &c.w
	var parent *party
	if p.kind() != "Organization" && !isNull(p.parentHerID) {
		if id, err := strconv.ParseUint(string(p.parentHerID), 10, 32); err == nil {
			if pp, err := arParty(c.b, id); err == nil {
				parent = pp
			} else if !errors.Is(err, arNotFound) {
				return err
			}
		}
	}
	if w.json {
		if err := c.appendDerived(p, parent, level); err != nil {
			return err
		}
		return c.appendBase(p, parent)
	}
	w.dst = append(w.dst, '<')
	w.dst = append(w.dst, name...)
	if withType {
		w.dst = append(w.dst, ` i:type="`...)
		w.dst = append(w.dst, p.xsiType()...)
		w.dst = append(w.dst, '"')
	}
	w.dst = append(w.dst, '>')
	if err := c.appendBase(p, parent); err != nil {
		return err
	}
	if err := c.appendDerived(p, parent, level); err != nil {
		return err
	}
	w.dst = append(w.dst, '<', '/')
	w.dst = append(w.dst, name...)
	w.dst = append(w.dst, '>')
	return nil
}

// appendBase writes CommunicationParty's own members, in the XSD's order.
func (c *call) appendBase(p, parent *party) error {
	w := &c.w
	w.bool("", "Active", p.active, false)
	w.nilElem("", "CoverageAreaType")
	if isNull(p.displayName) {
		w.text("", "DisplayName", p.name)
	} else {
		w.text("", "DisplayName", p.displayName)
	}
	w.openList("", "ElectronicAddresses")
	if err := eachItem(p.electronic, func(a []byte) bool { w.electronicAddress(a, p.lastChanged); return true }); err != nil {
		return err
	}
	w.closeList("", "ElectronicAddresses")
	w.emptyList("", "FutureElectronicAddresses")
	w.num("", "HerId", p.herID)
	w.bool("", "IsValidCommunicationParty", boolJSON(p.isValid()), false)
	w.dateTime("", "LastChanged", p.lastChanged, "")
	switch {
	case !isNull(p.municipality):
		w.code("", "Municipality", "b", p.municipality)
	case parent != nil:
		w.code("", "Municipality", "b", parent.municipality)
	default:
		w.nilElem("", "Municipality")
	}
	w.text("", "Name", p.name)
	if parent != nil {
		w.code("", "ParentBusinessType", "b", parent.businessType)
		w.num("", "ParentHerId", parent.herID)
		w.text("", "ParentName", parent.name)
		w.intText("", "ParentOrganizationNumber", parent.orgnr)
	} else {
		w.nilElem("", "ParentBusinessType")
		w.int("", "ParentHerId", -1)
		w.nilElem("", "ParentName")
		w.int("", "ParentOrganizationNumber", -1)
	}
	w.openList("", "PhysicalAddresses")
	if err := eachItem(p.physical, func(a []byte) bool { w.physicalAddress(a, p.lastChanged); return true }); err != nil {
		return err
	}
	w.closeList("", "PhysicalAddresses")
	w.serverTime("", "ServerTime", c.b.Now())
	w.text("", "Type", p.typ)
	if isNull(p.valid) {
		// No recorded validity: .NET's default start, NHN's open end.
		w.open("", "Valid")
		w.str("b", "From", "0001-01-01T00:00:00")
		w.str("b", "To", openEnd)
		w.close("", "Valid")
	} else {
		w.period("", "Valid", "b", p.valid, openEnd)
	}
	return nil
}

// appendDerived writes the members of the party's derived type.
func (c *call) appendDerived(p, parent *party, level int) error {
	w := &c.w
	switch p.kind() {
	case "Organization":
		w.code("", "BusinessType", "b", p.businessType)
		w.openList("", "IndustryCodes")
		if err := eachItem(p.industryCodes, func(ic []byte) bool { w.codeItem("b", "Code", ic); return true }); err != nil {
			return err
		}
		w.closeList("", "IndustryCodes")
		w.intText("", "OrganizationNumber", p.orgnr)
		if err := c.appendChildren(p, level, "Person", "People", "OrganizationPerson"); err != nil {
			return err
		}
		w.emptyList("", "Properties")
		if err := c.appendChildren(p, level, "Service", "Services", "Service"); err != nil {
			return err
		}
	case "Service":
		w.code("", "Code", "b", member(p.service, "code"))
		w.emptyList("", "CoverageAreas")
		w.text("", "Description", p.description)
		w.text("", "LocationDescription", p.locationDescription)
		w.emptyList("", "Properties")
	case "Person":
		if level == levelTop && parent != nil {
			w.openList("", "Organizations")
			if w.json {
				w.openItem("", "Organization")
			}
			if err := c.appendParty("Organization", parent, false, levelNested); err != nil {
				return err
			}
			if w.json {
				w.closeItem("", "Organization")
			}
			w.closeList("", "Organizations")
		} else {
			w.emptyList("", "Organizations")
		}
		title, err := c.appendARPerson(p.person)
		if err != nil {
			return err
		}
		w.emptyList("", "Properties")
		w.text("", "Title", title)
	}
	return nil
}

func boolJSON(b bool) []byte {
	if b {
		return []byte("true")
	}
	return []byte("false")
}

// isValid is our reading of IsValidCommunicationParty: an active party that
// can receive messages (an EDI address or an AMQP queue, own or inherited).
func (p *party) isValid() bool {
	if string(p.active) != "true" {
		return false
	}
	ok := false
	_ = eachItem(p.electronic, func(a []byte) bool {
		switch string(unquoted(member(member(a, "type"), "code"))) {
		case "E_EDI", "E_SB_ASYNC":
			ok = true
			return false
		}
		return true
	})
	return ok
}

// intText writes an xs:int from a stored number or digit string (-1 for none).
func (w *xw) intText(p, name string, v []byte) {
	if isEmpty(v) {
		w.int(p, name, -1)
		return
	}
	w.num(p, name, v)
}

// period writes a Common Period {From, To}; an open end is end.
func (w *xw) period(p, name, cp string, v []byte, end string) {
	if isNull(v) {
		w.nilElem(p, name)
		return
	}
	w.open(p, name)
	w.dateTime(cp, "From", member(v, "from"), "0001-01-01T00:00:00")
	w.dateTime(cp, "To", member(v, "to"), end)
	w.close(p, name)
}

func (w *xw) electronicAddress(a, lastChanged []byte) {
	var typ, addr, inherited []byte
	_ = eachMember(a, func(k, v []byte) bool {
		switch string(k) {
		case "type":
			typ = v
		case "address":
			addr = v
		case "inherited":
			inherited = v
		}
		return true
	})
	w.openItem("b", "ElectronicAddress")
	w.textOrEmpty("b", "Address", addr)
	w.bool("b", "Inherited", inherited, false)
	w.dateTime("b", "LastChanged", lastChanged, "")
	w.code("b", "Type", "b", typ)
	w.text("b", "TypeCodeValue", member(typ, "code"))
	w.closeItem("b", "ElectronicAddress")
}

func (w *xw) physicalAddress(a, lastChanged []byte) {
	var typ, street, postbox, postal, city, country, inherited, desc []byte
	_ = eachMember(a, func(k, v []byte) bool {
		switch string(k) {
		case "type":
			typ = v
		case "streetAddress":
			street = v
		case "postbox":
			postbox = v
		case "postalCode":
			postal = v
		case "city":
			city = v
		case "country":
			country = v
		case "inherited":
			inherited = v
		case "description":
			desc = v
		}
		return true
	})
	w.openItem("b", "PhysicalAddress")
	w.textOrEmpty("b", "City", city)
	w.countryCode("b", "Country", "b", country)
	w.textOrEmpty("b", "Description", desc)
	w.bool("b", "Inherited", inherited, false)
	w.dateTime("b", "LastChanged", lastChanged, "")
	if !isEmpty(postal) {
		w.num("b", "PostalCode", postal)
	}
	w.textOrEmpty("b", "Postbox", postbox)
	w.textOrEmpty("b", "StreetAddress", street)
	w.code("b", "Type", "b", typ)
	w.text("b", "TypeCodeValue", member(typ, "code"))
	w.closeItem("b", "PhysicalAddress")
}

// appendChildren writes an organisation's services or people (own element
// list) at the top level; nested organisations get an empty list.
func (c *call) appendChildren(p *party, level int, kind, list, elem string) error {
	w := &c.w
	if level != levelTop {
		w.emptyList("", list)
		return nil
	}
	her, err := strconv.ParseUint(string(p.herID), 10, 32)
	if err != nil {
		return errJSON
	}
	w.openList("", list)
	pk := registry.SerialKey(registry.IdxPartyChildren, her) // 'c' + parent HER-id
	prefix := pk.Bytes()
	var kids []uint64
	if err := c.b.Scan(prefix, nil, func(key, _ []byte) bool {
		if len(key) == len(prefix)+4 {
			kids = append(kids, uint64(be32(key[len(prefix):])))
		}
		return true
	}); err != nil {
		return err
	}
	for _, id := range kids {
		cp, err := arParty(c.b, id)
		if errors.Is(err, arNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if cp.kind() != kind {
			continue
		}
		if w.json {
			w.openItem("", elem)
		}
		if err := c.appendParty(elem, cp, false, levelNested); err != nil {
			return err
		}
		if w.json {
			w.closeItem("", elem)
		}
	}
	w.closeList("", list)
	return nil
}

func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// appendARPerson writes the HPR Person of an AR person from the HPR record
// (names, birth date, sex, authorisations); it returns the title (the first
// approval's profession). The person number (CitizenId) is left out.
func (c *call) appendARPerson(person []byte) ([]byte, error) {
	w := &c.w
	if isNull(person) {
		w.nilElem("", "Person")
		return nil, nil
	}
	hprNo := member(person, "hprNumber")
	var rec []byte
	if id, err := strconv.ParseUint(string(hprNo), 10, 32); err == nil {
		k := registry.SerialKey(registry.RegPersonnel, id)
		r, err := c.b.Record(&k)
		switch {
		case err == nil:
			rec = r
		case errors.Is(err, registry.ErrNotFound), errors.Is(err, registry.ErrGone):
		default:
			return nil, err
		}
	}
	h := parsePersonnel(rec)
	given, family := member(person, "givenName"), member(person, "familyName")
	if rec != nil {
		given, family = h.given, h.family
	}
	w.open("", "Person")
	w.dateTime("c", "BirthDate", h.birthDate, "")
	w.text("c", "FirstName", given)
	w.open("c", "HPRInformation")
	w.openList("c", "Authorizations")
	var title []byte
	_ = eachItem(h.approvals, func(a []byte) bool {
		ap := parseApproval(a)
		if title == nil {
			title = member(ap.profession, "text")
		}
		w.openItem("c", "Authorization")
		w.dateTime("c", "LastChanged", h.lastUpdated, "")
		w.code("c", "Profession", "b", ap.profession)
		if req := firstItem(ap.requisitionRights); req == nil {
			w.nilElem("c", "Requisition")
		} else {
			w.open("c", "Requisition")
			w.dateTime("c", "LastChanged", h.lastUpdated, "")
			w.code("c", "Type", "b", member(req, "type"))
			w.period("c", "Valid", "b", member(req, "valid"), openEnd)
			w.close("c", "Requisition")
		}
		w.openList("c", "Specialities")
		_ = eachItem(ap.specialities, func(s []byte) bool {
			w.openItem("c", "Speciality")
			w.dateTime("c", "LastChanged", h.lastUpdated, "")
			w.code("c", "Type", "b", member(s, "type"))
			w.period("c", "Valid", "b", member(s, "valid"), openEnd)
			w.closeItem("c", "Speciality")
			return true
		})
		w.closeList("c", "Specialities")
		w.code("c", "Type", "b", ap.authorization)
		w.period("c", "Valid", "b", ap.valid, openEnd)
		w.closeItem("c", "Authorization")
		return true
	})
	w.closeList("c", "Authorizations")
	w.text("c", "HPRNo", hprNo)
	w.num("c", "HPRNumber", hprNo)
	w.dateTime("c", "LastChanged", h.lastUpdated, "")
	w.openList("c", "SpecialCompetences")
	_ = eachItem(h.approvals, func(a []byte) bool {
		_ = eachItem(parseApproval(a).additionalCompetences, func(s []byte) bool {
			w.openItem("c", "SpecialCompetence")
			w.code("c", "Type", "b", member(s, "type"))
			w.period("c", "Valid", "b", member(s, "valid"), openEnd)
			w.closeItem("c", "SpecialCompetence")
			return true
		})
		return true
	})
	w.closeList("c", "SpecialCompetences")
	w.close("c", "HPRInformation")
	w.dateTime("c", "LastChanged", h.lastUpdated, "")
	w.text("c", "LastName", family)
	w.text("c", "MiddleName", h.middle)
	w.code("c", "Sex", "b", h.gender)
	w.close("", "Person")
	return title, nil
}

func firstItem(arr []byte) []byte {
	var out []byte
	_ = eachItem(arr, func(it []byte) bool { out = it; return false })
	return out
}
