package soap

import (
	"bytes"
	"embed"
	"regexp"
	"strings"

	"github.com/grunndata/grunndata/registry"
)

// The contracts as NHN publishes them (copied from
// ../shared/testdata/external/wsdl; see doc.go).
//
//go:embed wsdl/*.wsdl
var wsdlFS embed.FS

func mustWSDL(name string) []byte {
	b, err := wsdlFS.ReadFile("wsdl/" + name)
	if err != nil {
		panic("BUG: embedded WSDL " + name + ": " + err.Error())
	}
	return b
}

var portTypeOps = regexp.MustCompile(`<wsdl:operation name="([^"]+)"`)

// contractOps lists the operations of the WSDL's port type.
func contractOps(wsdl []byte) []string {
	i := bytes.Index(wsdl, []byte("<wsdl:portType"))
	j := bytes.Index(wsdl, []byte("</wsdl:portType>"))
	if i < 0 || j < i {
		panic("BUG: WSDL without a port type")
	}
	var out []string
	for _, m := range portTypeOps.FindAllSubmatch(wsdl[i:j], -1) {
		out = append(out, string(m[1]))
	}
	return out
}

// writePrefixes name the contracts' write operations (AR English, HPR
// Norwegian); ConfirmGP records a confirmation at NHN.
var writePrefixes = []string{"Create", "Update", "Set", "Enable", "Add", "Remove", "Opprett", "Oppdater", "Slett",
	"SlåSammen", "LeggTil", "Reserver", "Frigi", "Sett", "ConfirmGP"}

func isWrite(op string) bool {
	for _, p := range writePrefixes {
		if strings.HasPrefix(op, p) {
			return true
		}
	}
	return false
}

func newService(name, ns, iface, wsdlFile string, ops []*Operation, refused map[string]string) *Service {
	s := &Service{Name: name, NS: ns, Interface: iface, wsdl: mustWSDL(wsdlFile),
		ops: map[string]*Operation{}, writes: map[string]bool{}, refused: map[string]string{}}
	for _, op := range ops {
		s.ops[op.Name] = op
	}
	for _, op := range contractOps(s.wsdl) {
		switch {
		case s.ops[op] != nil:
		case isWrite(op):
			s.writes[op] = true
		case refused[op] != "":
			s.refused[op] = refused[op]
		default:
			s.refused[op] = notHere
		}
	}
	for op := range s.ops {
		if s.writes[op] || !bytes.Contains(s.wsdl, []byte(`<wsdl:operation name="`+op+`"`)) {
			panic("BUG: operation " + op + " is not a read operation of " + wsdlFile)
		}
	}
	return s
}

const notHere = "Operasjonen er ikke implementert i grunndata; se docs/soap.md."

// AR is Adresseregisteret's ICommunicationPartyService (NHN: /v1/AR for SOAP
// 1.2, /v1/AR/Basic for SOAP 1.1).
func AR() *Service {
	return newService("AR", nsAR, "ICommunicationPartyService", "ar_ICommunicationPartyService_v1_2025.wsdl", []*Operation{
		{Name: "GetCommunicationPartyDetails", run: partyDetails("GetCommunicationPartyDetails", "")},
		{Name: "GetOrganizationDetails", run: partyDetails("GetOrganizationDetails", "Organization")},
		{Name: "GetServiceDetails", run: partyDetails("GetServiceDetails", "Service")},
		{Name: "GetOrganizationPersonDetails", run: partyDetails("GetOrganizationPersonDetails", "Person")},
		{Name: "SearchById", run: searchByID},
		{Name: "Search", run: search},
		{Name: "GetChangedCommunicationPartiesInfo", run: changedInfo},
		{Name: "Ping", run: ping(arDecl)},
		{Name: "GetCertificateForEncryption", run: certOp("GetCertificateForEncryption", registry.CertEncryption, false)},
		{Name: "GetCertificateForValidatingSignature", run: certOp("GetCertificateForValidatingSignature", registry.CertSignature, false)},
		{Name: "GetCertificateDetailsForEncryption", run: certOp("GetCertificateDetailsForEncryption", registry.CertEncryption, true)},
		{Name: "GetCertificateDetailsForValidatingSignature", run: certOp("GetCertificateDetailsForValidatingSignature", registry.CertSignature, true)},
	}, map[string]string{
		"GetChangeLog": "Endringsloggen per kommunikasjonspart finnes ikke her; bruk GET /v1/events/communication-parties.",
	})
}

// HPR is Helsepersonellregisteret's IHPR2Service v2 (/v2/HPR, /v2/HPR/Basic).
func HPR() *Service {
	return newService("HPR", nsHPR2, "IHPR2Service", "hpr_IHPR2Service_v2.wsdl", []*Operation{
		{Name: "HentPerson", run: hentPerson},
		{Name: "HentPersonMedPersonnummer", Person: true, run: hentPersonMedPersonnummer},
		{Name: "HentPersoner", run: hentPersoner},
		{Name: "Søk", Person: true, run: søk(false)},
		{Name: "Søk2", Person: true, run: søk(true)},
		{Name: "Ping", run: ping(hprDecl)},
	}, map[string]string{
		"HentRegisterEndringer":  "Endringer hentes her fra GET /v1/events/personnel (sekvensnummerert, uten hull).",
		"HentPersonMedHistorikk": "Historikk finnes her som GET /v1/personnel/{hpr}?atTime=.",
		"HentEndringerForPerson": "Endringsloggen per person finnes ikke her; bruk GET /v1/events/personnel.",
	})
}

// FLR is Fastlegeregisteret's IFlrReadOperations v2 (/v2/flr, /v2/flr/Basic).
func FLR() *Service {
	return newService("FLR", nsFLR, "IFlrReadOperations", "flr_IFlrReadOperations_v2.wsdl", []*Operation{
		{Name: "GetPatientGPDetails", Person: true, run: flr(getPatientGPDetails)},
		{Name: "GetPatientsGPDetails", Person: true, run: flr(getPatientsGPDetails)},
		{Name: "GetGPContract", run: flr(getGPContract)},
		{Name: "GetGPContractsOnOffice", run: flr(getGPContractsOnOffice)},
		{Name: "QueryGPContracts", run: flr(queryGPContracts)},
	}, map[string]string{
		"GetGPPatientList":                    "Pasientlisten per kontrakt er ikke indeksert her (pasientene er lagret per person); bruk GET /v1/events/gp for en lokal kopi.",
		"NavGetEncryptedPatientList":          "NAV-operasjoner tilbys ikke.",
		"NavGetEncryptedPatientListAlternate": "NAV-operasjoner tilbys ikke.",
		"GetNavPatientLists":                  "NAV-operasjoner tilbys ikke.",
		"GetGPContractForNav":                 "NAV-operasjoner tilbys ikke.",
	})
}

// WSDL returns the service's contract with every endpoint address replaced by
// base (scheme://host, no trailing slash) and the path: NHN's SOAP 1.2
// address becomes base+path, its /Basic (SOAP 1.1) address base+path+"/Basic".
func (s *Service) WSDL(base, path string) []byte {
	var b []byte
	out := s.wsdl
	for _, attr := range []string{`soap12:address location="`, `soap:address location="`, `wsa10:Address>`} {
		b = b[:0]
		rest := out
		for {
			i := bytes.Index(rest, []byte(attr))
			if i < 0 {
				b = append(b, rest...)
				break
			}
			b = append(b, rest[:i+len(attr)]...)
			rest = rest[i+len(attr):]
			end := bytes.IndexAny(rest, `"<`)
			if end < 0 {
				b = append(b, rest...)
				break
			}
			old := rest[:end]
			b = appendEscaped(b, base)
			b = append(b, path...)
			if bytes.HasSuffix(old, []byte("/Basic")) {
				b = append(b, "/Basic"...)
			}
			rest = rest[end:]
		}
		out = append([]byte(nil), b...)
	}
	return out
}
