package soap

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
)

// parseStd is the reference parser for the differential fuzz test: the same
// envelope reading on encoding/xml's tokenizer.
// parseStd reads a SOAP 1.1 or 1.2 envelope. The version is the envelope's
// namespace; headers other than WS-Addressing's Action and MessageID are
// ignored (mustUnderstand is not enforced: no other header changes a read).
func parseStd(body []byte) (*Request, error) {
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		// NHN's HPR declares ISO-8859-1 and sends UTF-8; accept both labels
		// and read the bytes as they are (clients send UTF-8).
		switch strings.ToLower(label) {
		case "utf-8", "iso-8859-1", "us-ascii":
			return in, nil
		}
		return nil, errors.New("unsupported charset")
	}
	r := &Request{}
	var (
		stack   []string // local names from the operation element down
		parent  []bool   // parent[i]: stack[i] has child elements
		text    strings.Builder
		isNil   bool
		depth   int
		inHdr   bool
		inBody  bool
		hdrName string
		envNS   string
	)
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, envErr("malformed XML")
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth > maxDepth {
				return nil, envErr("envelope nested too deeply")
			}
			switch {
			case depth == 1:
				if t.Name.Local != "Envelope" || (t.Name.Space != NS11 && t.Name.Space != NS12) {
					return nil, envErr("the root element is not a SOAP 1.1 or 1.2 Envelope")
				}
				envNS = t.Name.Space
				r.Version = V12
				if envNS == NS11 {
					r.Version = V11
				}
			case depth == 2:
				if t.Name.Space != envNS {
					return nil, envErr("unexpected element in the Envelope")
				}
				inHdr, inBody = t.Name.Local == "Header", t.Name.Local == "Body"
			case depth == 3 && inHdr:
				hdrName = ""
				if t.Name.Space == NSWSA {
					hdrName = t.Name.Local
				}
				text.Reset()
			case depth == 3 && inBody:
				if r.Op != "" {
					return nil, envErr("the Body holds more than one element")
				}
				r.Op, r.OpNS = t.Name.Local, t.Name.Space
			case depth > 3 && inBody:
				if len(parent) > 0 {
					parent[len(parent)-1] = true
				}
				stack = append(stack, t.Name.Local)
				parent = append(parent, false)
				text.Reset()
				isNil = false
				for _, a := range t.Attr {
					if a.Name.Space == nsXSI && a.Name.Local == "nil" && (a.Value == "true" || a.Value == "1") {
						isNil = true
					}
				}
			}
		case xml.CharData:
			if (inHdr && depth == 3) || (inBody && depth > 3) {
				if text.Len()+len(t) > 1<<20 {
					return nil, envErr("text too long")
				}
				text.Write(t)
			}
		case xml.EndElement:
			switch {
			case depth == 3 && inHdr:
				switch hdrName {
				case "Action":
					r.Action = strings.TrimSpace(text.String())
				case "MessageID":
					r.MessageID = strings.TrimSpace(text.String())
				}
			case depth > 3 && inBody:
				if !parent[len(parent)-1] {
					if len(r.Params) >= maxParams {
						return nil, envErr("too many parameters")
					}
					r.Params = append(r.Params, Param{Path: strings.Join(stack, "/"), Value: strings.TrimSpace(text.String()), Nil: isNil})
				}
				stack, parent = stack[:len(stack)-1], parent[:len(parent)-1]
				text.Reset()
			case depth == 2:
				inHdr, inBody = false, false
			}
			depth--
		}
	}
	if envNS == "" {
		return nil, envErr("no Envelope")
	}
	if r.Op == "" {
		return nil, envErr("the Body is empty")
	}
	return r, nil
}
