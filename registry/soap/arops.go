package soap

import (
	"errors"
	"strconv"
	"strings"

	"github.com/grunndata/grunndata/registry"
)

// The implemented operations of ICommunicationPartyService.

// partyDetails answers GetCommunicationPartyDetails (want "") and the typed
// Get*Details operations (want is the party type they accept).
func partyDetails(op, want string) func(c *call) error {
	return func(c *call) error {
		s, ok := c.req.Value("herId")
		her, err := parseHerID(s, ok)
		if err != nil {
			return err
		}
		p, err := arParty(c.b, her)
		if err != nil {
			return err
		}
		if want != "" && p.kind() != want {
			return &Fault{Code: "InvalidHerIdSupplied", Message: "Kommunikasjonspart med oppgitt HER-id er ikke av typen " + want + "."}
		}
		c.w.raw("<" + op + "Response" + arDecl + ">")
		if err := c.appendParty(op+"Result", p, want == "", levelTop); err != nil {
			return err
		}
		c.w.raw("</" + op + "Response>")
		return nil
	}
}

// searchByID answers SearchById: a HER-id finds that party, an organisation
// number every party registered with it (the organisations; their services
// and people are under them).
func searchByID(c *call) error {
	id, _ := c.req.Value("id")
	id = strings.TrimSpace(id)
	var hers []uint64
	if o, err := registry.ParseOrgnr([]byte(id)); err == nil {
		k := registry.PairKey(registry.IdxPartyByOrgnr, o[:], nil)
		prefix := k.Bytes()
		if err := c.b.Scan(prefix, nil, func(key, _ []byte) bool {
			if len(key) == len(prefix)+4 {
				hers = append(hers, uint64(be32(key[len(prefix):])))
			}
			return true
		}); err != nil {
			return err
		}
	} else if her, err := registry.ParseSerial(registry.IDHerID, []byte(id)); err == nil {
		hers = append(hers, her)
	}
	c.w.raw("<SearchByIdResponse" + arDecl + "><SearchByIdResult>")
	for _, her := range hers {
		p, err := arParty(c.b, her)
		if errors.Is(err, arNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if err := c.appendParty("CommunicationParty", p, true, levelNested); err != nil {
			return err
		}
	}
	c.w.raw("</SearchByIdResult></SearchByIdResponse>")
	return nil
}

// changedInfo answers GetChangedCommunicationPartiesInfo: the last change of
// each known HER-id (unknown ones are left out).
func changedInfo(c *call) error {
	ids := c.req.Values("herIds/int")
	if len(ids) > maxBatch {
		return tooMany
	}
	w := &c.w
	w.raw("<GetChangedCommunicationPartiesInfoResponse" + arDecl + "><GetChangedCommunicationPartiesInfoResult>")
	for _, s := range ids {
		her, err := registry.ParseSerial(registry.IDHerID, []byte(s))
		if err != nil {
			continue
		}
		p, err := arParty(c.b, her)
		if errors.Is(err, arNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		w.raw("<CommunicationPartyLastChangedInfo>")
		w.open("", "HerId")
		w.dst = append(w.dst, p.herID...)
		w.close("", "HerId")
		w.dateTime("", "LastUpdated", p.lastChanged, "")
		w.raw("</CommunicationPartyLastChangedInfo>")
	}
	w.raw("</GetChangedCommunicationPartiesInfoResult></GetChangedCommunicationPartiesInfoResponse>")
	return nil
}

func ping(decl string) func(c *call) error {
	return func(c *call) error {
		c.w.raw("<PingResponse" + decl + "><PingResult>")
		c.w.dst = appendServerTime(c.w.dst, c.b.Now())
		c.w.raw("</PingResult></PingResponse>")
		return nil
	}
}

// arQuery is an AR Search: the SearchConstraints keys we answer.
type arQuery struct {
	name                               []string
	orgnr, typ, municipality, business string
	serviceCode, active                string
	page, pageSize                     int
}

func parseARSearch(c *call) (*arQuery, error) {
	q := &arQuery{page: 1, pageSize: 10}
	var key string
	for _, p := range c.req.Params {
		switch p.Path {
		case "search/Page":
			n, err := strconv.Atoi(p.Value)
			if err != nil || n < 0 {
				return nil, &Fault{Code: "InvalidSearch", Message: "Page er ugyldig."}
			}
			q.page = max(n, 1)
		case "search/PageSize":
			n, err := strconv.Atoi(p.Value)
			if err != nil || n < 0 || n > maxBatch {
				return nil, &Fault{Code: "InvalidSearch", Message: "PageSize er ugyldig (høyst 1000)."}
			}
			if n > 0 {
				q.pageSize = n
			}
		case "search/SearchConstraints/KeyValuePairOfstringstring/key":
			key = p.Value
		case "search/SearchConstraints/KeyValuePairOfstringstring/value":
			v := strings.TrimSpace(p.Value)
			switch strings.ToLower(key) {
			case "name", "query":
				q.name = append(q.name, registry.NameTokens(v)...)
			case "organizationnumber", "orgnr":
				q.orgnr = v
			case "type":
				q.typ = v
			case "municipality":
				q.municipality = v
			case "businesstype":
				q.business = v
			case "servicecode":
				q.serviceCode = v
			case "active":
				q.active = strings.ToLower(v)
			default:
				return nil, &Fault{Code: "InvalidSearch", Message: "Søkenøkkelen " + key + " støttes ikke her (Name, OrganizationNumber, Type, Municipality, BusinessType, ServiceCode, Active)."}
			}
			key = ""
		}
	}
	if q.name == nil && q.orgnr == "" && q.typ == "" && q.municipality == "" && q.business == "" && q.serviceCode == "" {
		return nil, &Fault{Code: "InvalidSearch", Message: "Søket mangler kriterier."}
	}
	if q.typ == "OrganizationPerson" {
		q.typ = "Person"
	}
	return q, nil
}

// orgFacts are what services and people match on of their organisation.
type orgFacts struct{ orgnr, municipality, business string }

func factsOf(p *party) orgFacts {
	return orgFacts{
		orgnr:        string(unquoted(p.orgnr)),
		municipality: string(unquoted(member(p.municipality, "code"))),
		business:     string(unquoted(member(p.businessType, "code"))),
	}
}

// ownMatch reports whether party p matches the filters on its own fields.
func (q *arQuery) ownMatch(p *party) bool {
	if q.typ != "" && p.kind() != q.typ {
		return false
	}
	if q.active != "" && string(p.active) != q.active {
		return false
	}
	if q.serviceCode != "" && string(unquoted(member(member(p.service, "code"), "code"))) != q.serviceCode {
		return false
	}
	if q.name != nil {
		toks := registry.NameTokens(string(unquoted(p.name)))
		for _, want := range q.name {
			ok := false
			for _, t := range toks {
				if strings.HasPrefix(t, want) {
					ok = true
					break
				}
			}
			if !ok {
				return false
			}
		}
	}
	return true
}

// orgMatch reports whether the organisation facts match (services and
// people match on their organisation's, as the native search does).
func (q *arQuery) orgMatch(f orgFacts) bool {
	return (q.orgnr == "" || f.orgnr == q.orgnr) &&
		(q.municipality == "" || f.municipality == q.municipality) &&
		(q.business == "" || f.business == q.business)
}

// search answers Search with one scan of the AR family (100 000 parties at
// national size), keeping per party only its HER-id and organisation, then
// renders the requested page.
func search(c *call) error {
	q, err := parseARSearch(c)
	if err != nil {
		return err
	}
	type cand struct{ her, org uint64 }
	orgs := map[uint64]orgFacts{}
	var cands []cand
	var ferr error
	err = c.b.Scan([]byte{byte(registry.RegParty)}, nil, func(key, val []byte) bool {
		_, _, view, err := registry.DecodeValue(val)
		if err != nil {
			ferr = err
			return false
		}
		p, err := parseParty(view)
		if err != nil || len(key) != 5 {
			ferr = errJSON
			return false
		}
		her := uint64(be32(key[1:]))
		org := her
		if p.kind() == "Organization" {
			orgs[her] = factsOf(p)
		} else if id, err := strconv.ParseUint(string(p.parentHerID), 10, 32); err == nil {
			org = id
		}
		if q.ownMatch(p) {
			cands = append(cands, cand{her, org})
		}
		return true
	})
	if err != nil {
		return err
	}
	if ferr != nil {
		return ferr
	}
	total, first := 0, (q.page-1)*q.pageSize
	w := &c.w
	w.raw("<SearchResponse" + arDecl + "><SearchResult><Facets/><Results>")
	for _, cd := range cands {
		if !q.orgMatch(orgs[cd.org]) {
			continue
		}
		if total >= first && total < first+q.pageSize {
			p, err := arParty(c.b, cd.her)
			if err != nil {
				return err
			}
			if err := c.appendParty("CommunicationParty", p, true, levelNested); err != nil {
				return err
			}
		}
		total++
	}
	w.raw("</Results>")
	w.open("", "ServerTime")
	w.dst = appendServerTime(w.dst, c.b.Now())
	w.close("", "ServerTime")
	w.int("", "TotalResults", int64(total))
	w.raw("</SearchResult></SearchResponse>")
	return nil
}
