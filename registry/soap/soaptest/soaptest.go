// Package soaptest checks SOAP answers against NHN's contracts in tests: it
// validates an answer's payload against the WSDL's inline XSD with xmllint
// (Debian's libxml2-utils, installed by .ci/deps) and lists an XML
// document's element paths for structural comparison with recorded answers.
package soaptest

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
)

// WSDLDir is the contracts' directory relative to a package two levels below
// the repository root (registry/soap); callers elsewhere pass their own.
const WSDLDir = "../../../shared/testdata/external/wsdl"

var schemaRE = regexp.MustCompile(`(?s)<xs:schema\b.*?</xs:schema>`)
var (
	tnsRE   = regexp.MustCompile(`targetNamespace="([^"]*)"`)
	defsRE  = regexp.MustCompile(`(?s)<wsdl:definitions\b(.*?)>`)
	xmlnsRE = regexp.MustCompile(`xmlns:(\w+)="([^"]*)"`)
)

// inherit adds to the schema's start tag the namespace declarations it
// inherits from wsdl:definitions (an extracted schema loses them).
func inherit(schema, defs []byte) []byte {
	end := bytes.IndexByte(schema, '>')
	tag := schema[:end]
	var add []byte
	for _, m := range xmlnsRE.FindAllSubmatch(defs, -1) {
		if !bytes.Contains(tag, []byte("xmlns:"+string(m[1])+"=")) {
			add = append(add, ' ')
			add = append(add, m[0]...)
		}
	}
	out := append([]byte(nil), schema[:end]...)
	out = append(out, add...)
	return append(out, schema[end:]...)
}

// Validator validates documents against one WSDL's inline schemas.
type Validator struct {
	wrapper string
}

var (
	mu    sync.Mutex
	cache = map[string]*Validator{}
)

// NewValidator extracts the schemas of wsdlPath into a temporary directory
// (once per process) and returns a validator. It fails the test when the
// WSDL or xmllint is missing.
func NewValidator(tb testing.TB, wsdlPath string) *Validator {
	tb.Helper()
	if _, err := exec.LookPath("xmllint"); err != nil {
		tb.Fatalf("xmllint is missing (apt-get install libxml2-utils; .ci/deps installs it): %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if v := cache[wsdlPath]; v != nil {
		return v
	}
	wsdl, err := os.ReadFile(wsdlPath)
	if err != nil {
		tb.Fatalf("read contract: %v", err)
	}
	dir, err := os.MkdirTemp("", "soaptest-xsd-")
	if err != nil {
		tb.Fatal(err)
	}
	var defs []byte
	if m := defsRE.FindSubmatch(wsdl); m != nil {
		defs = m[1]
	}
	var imports strings.Builder
	for i, s := range schemaRE.FindAll(wsdl, -1) {
		s = inherit(s, defs)
		m := tnsRE.FindSubmatch(s)
		if m == nil {
			tb.Fatalf("schema %d of %s has no targetNamespace", i, wsdlPath)
		}
		name := fmt.Sprintf("s%d.xsd", i)
		if err := os.WriteFile(filepath.Join(dir, name), s, 0o644); err != nil {
			tb.Fatal(err)
		}
		fmt.Fprintf(&imports, "<xs:import namespace=\"%s\" schemaLocation=\"%s\"/>\n", m[1], name)
	}
	if imports.Len() == 0 {
		tb.Fatalf("%s has no inline schemas", wsdlPath)
	}
	wrapper := filepath.Join(dir, "all.xsd")
	doc := `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:grunndata:soaptest">` + "\n" + imports.String() + `</xs:schema>`
	if err := os.WriteFile(wrapper, []byte(doc), 0o644); err != nil {
		tb.Fatal(err)
	}
	v := &Validator{wrapper: wrapper}
	cache[wsdlPath] = v
	return v
}

// Validate validates doc (one element with its namespace declarations).
func (v *Validator) Validate(tb testing.TB, name string, doc []byte) {
	tb.Helper()
	cmd := exec.Command("xmllint", "--noout", "--nonet", "--schema", v.wrapper, "-")
	cmd.Stdin = bytes.NewReader(doc)
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Errorf("%s does not validate against the contract: %v\n%s\ndocument: %.3000s", name, err, out, doc)
	}
}

// Payload returns the element inside an answer's Body: the operation's
// Response element, or a fault's GenericFault detail.
func Payload(tb testing.TB, envelope []byte) []byte {
	tb.Helper()
	i := bytes.Index(envelope, []byte("<s:Body>"))
	j := bytes.LastIndex(envelope, []byte("</s:Body>"))
	if i < 0 || j < i {
		tb.Fatalf("no Body in %.500s", envelope)
	}
	body := envelope[i+len("<s:Body>") : j]
	if bytes.HasPrefix(body, []byte("<s:Fault>")) {
		k := bytes.Index(body, []byte("<GenericFault"))
		l := bytes.Index(body, []byte("</GenericFault>"))
		if k < 0 || l < k {
			tb.Fatalf("fault without GenericFault: %s", body)
		}
		return body[k : l+len("</GenericFault>")]
	}
	return body
}

// Paths returns the sorted set of element paths under the first element
// whose local name is root: "/Name{namespace}" steps, with an xsi:type
// attribute as "[type]" and xsi:nil as "[nil]". Text is ignored.
func Paths(tb testing.TB, doc []byte, root string) map[string]bool {
	tb.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	out := map[string]bool{}
	var stack []string
	inside := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatalf("parse: %v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if !inside {
				if t.Name.Local != root {
					continue
				}
				inside = true
			}
			step := t.Name.Local + "{" + t.Name.Space + "}"
			for _, a := range t.Attr {
				if a.Name.Space == "http://www.w3.org/2001/XMLSchema-instance" {
					switch a.Name.Local {
					case "type":
						step += "[" + a.Value + "]"
					}
				}
			}
			stack = append(stack, step)
			out["/"+strings.Join(stack, "/")] = true
		case xml.EndElement:
			if inside {
				stack = stack[:len(stack)-1]
				if len(stack) == 0 {
					return out
				}
			}
		}
	}
	if !inside {
		tb.Fatalf("no element %s", root)
	}
	return out
}

// Missing returns the paths of want not in got, sorted.
func Missing(want, got map[string]bool) []string {
	var out []string
	for p := range want {
		if !got[p] {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}
