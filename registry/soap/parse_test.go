package soap

import (
	"reflect"
	"testing"
)

var parseSeeds = []string{
	`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header><a:Action s:mustUnderstand="1">http://register.nhn.no/CommunicationParty/ICommunicationPartyService/GetCommunicationPartyDetails</a:Action><a:MessageID>urn:uuid:1</a:MessageID></s:Header><s:Body><GetCommunicationPartyDetails xmlns="http://register.nhn.no/CommunicationParty"><herId>80001</herId></GetCommunicationPartyDetails></s:Body></s:Envelope>`,
	`<?xml version="1.0" encoding="utf-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header/><soapenv:Body><flr:GetPatientsGPDetails xmlns:flr="http://schemas.nhn.no/reg/flr" xmlns:arr="http://schemas.microsoft.com/2003/10/Serialization/Arrays"><flr:patientNins><arr:string>01810050019</arr:string><arr:string>&#48;1</arr:string></flr:patientNins></flr:GetPatientsGPDetails></soapenv:Body></soapenv:Envelope>`,
	`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><Search xmlns="http://register.nhn.no/CommunicationParty" xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><search><Page>1</Page><SearchConstraints i:nil="true"/><!-- c --><x><![CDATA[a<b]]> &amp; &lt;</x></search></Search></s:Body></s:Envelope>`,
	`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><HentPerson xmlns="http://schemas.nhn.no/reg/HPRv2"><hprNummer>1</hprNummer><påTidspunkt xmlns:x="http://www.w3.org/2001/XMLSchema-instance" x:nil='1'/></HentPerson></s:Body></s:Envelope>`,
}

func TestParseAgreesWithEncodingXML(t *testing.T) {
	for _, s := range parseSeeds {
		got, err := Parse([]byte(s))
		want, werr := parseStd([]byte(s))
		if err != nil || werr != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%.80s:\n got %+v %v\nwant %+v %v", s, got, err, want, werr)
		}
	}
}

// FuzzParse: the envelope reader never panics, and whatever it accepts,
// encoding/xml's strict tokenizer accepts and reads the same way. (It may
// refuse more: DTDs, unbound prefixes.)
func FuzzParse(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := Parse(b)
		if err != nil {
			return
		}
		want, werr := parseStd(b)
		if werr != nil {
			t.Fatalf("Parse accepted what encoding/xml refuses (%v): %q", werr, b)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Parse and encoding/xml differ on %q:\n got %+v\nwant %+v", b, got, want)
		}
	})
}
