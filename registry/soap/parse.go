package soap

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// Parse reads a SOAP 1.1 or 1.2 envelope with a small, strict XML reader
// made for request envelopes: elements, attributes, namespaces, character
// and entity references, CDATA and comments; no DTD. The version is the
// envelope's namespace; headers other than WS-Addressing's Action and
// MessageID are ignored (mustUnderstand is not enforced: no other header
// changes a read). FuzzParse checks it against encoding/xml.
func Parse(body []byte) (*Request, error) {
	p := parser{b: body}
	if err := p.run(); err != nil {
		return nil, err
	}
	return &p.r, nil
}

type nsBinding struct {
	prefix, uri string
	depth       int
}

type open struct {
	qname, local string
	parent, nil_ bool
}

type parser struct {
	b     []byte
	i     int
	ns    []nsBinding
	stack []open
	r     Request
	buf   []byte // character data of the current element

	envNS         string
	inHdr, inBody bool
	hdrName       string
	rootDone      bool
}

var errMalformed = envErr("malformed XML")

func (p *parser) run() error {
	for p.i < len(p.b) {
		if p.b[p.i] != '<' {
			if len(p.stack) == 0 {
				if !isSpace(p.b[p.i]) {
					return errMalformed
				}
				p.i++
				continue
			}
			if err := p.text(); err != nil {
				return err
			}
			continue
		}
		rest := p.b[p.i:]
		switch {
		case bytes.HasPrefix(rest, []byte("<?")):
			e := bytes.Index(rest[2:], []byte("?>"))
			if e < 0 || len(p.stack) > 0 || !validChars(rest[2:2+e]) || !procInstOK(rest[2:2+e]) {
				return errMalformed
			}
			p.i += 2 + e + 2
		case bytes.HasPrefix(rest, []byte("<!--")):
			e := bytes.Index(rest[4:], []byte("-->"))
			if e < 0 || !validChars(rest[4:4+e]) {
				return errMalformed
			}
			p.i += 4 + e + 3
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			e := bytes.Index(rest[9:], []byte("]]>"))
			if e < 0 || len(p.stack) == 0 {
				return errMalformed
			}
			if err := p.addText(rest[9 : 9+e]); err != nil {
				return err
			}
			p.i += 9 + e + 3
		case bytes.HasPrefix(rest, []byte("<!")):
			return envErr("DTDs are not allowed")
		case bytes.HasPrefix(rest, []byte("</")):
			p.i += 2
			name := p.name()
			p.skipSpace()
			if name == "" || p.i >= len(p.b) || p.b[p.i] != '>' || len(p.stack) == 0 || p.stack[len(p.stack)-1].qname != name {
				return errMalformed
			}
			p.i++
			if err := p.end(); err != nil {
				return err
			}
		default:
			if err := p.start(); err != nil {
				return err
			}
		}
	}
	if p.envNS == "" {
		return envErr("no Envelope")
	}
	if !p.rootDone {
		return errMalformed
	}
	if p.r.Op == "" {
		return envErr("the Body is empty")
	}
	return nil
}

// start reads a start tag at p.i ('<').
func (p *parser) start() error {
	if p.rootDone {
		return errMalformed // a second root element
	}
	p.i++
	qname := p.name()
	if qname == "" {
		return errMalformed
	}
	depth := len(p.stack) + 1
	if depth > maxDepth {
		return envErr("envelope nested too deeply")
	}
	// Attributes: namespace declarations first (they apply to the element
	// itself), xsi:nil resolved after.
	var nilPrefixes [2]string
	nNil := 0
	isNil := false
	selfClose := false
	for {
		sp := p.skipSpace()
		if p.i >= len(p.b) {
			return errMalformed
		}
		if p.b[p.i] == '>' {
			p.i++
			break
		}
		if p.b[p.i] == '/' {
			if p.i+1 >= len(p.b) || p.b[p.i+1] != '>' {
				return errMalformed
			}
			p.i += 2
			selfClose = true
			break
		}
		if !sp {
			return errMalformed // attributes are separated by space
		}
		an := p.name()
		p.skipSpace()
		if an == "" || p.i >= len(p.b) || p.b[p.i] != '=' {
			return errMalformed
		}
		p.i++
		p.skipSpace()
		val, err := p.attrValue()
		if err != nil {
			return err
		}
		switch {
		case an == "xmlns":
			p.ns = append(p.ns, nsBinding{"", val, depth})
		case strings.HasPrefix(an, "xmlns:"):
			if val == "" || len(an) == len("xmlns:") {
				return errMalformed
			}
			p.ns = append(p.ns, nsBinding{an[len("xmlns:"):], val, depth})
		default:
			if pre, local, ok := strings.Cut(an, ":"); ok && local == "nil" && (val == "true" || val == "1") && nNil < len(nilPrefixes) {
				nilPrefixes[nNil] = pre
				nNil++
			}
		}
	}
	for _, pre := range nilPrefixes[:nNil] {
		if uri, ok := p.lookup(pre); ok && uri == nsXSI {
			isNil = true
		} else if !ok {
			return errMalformed
		}
	}
	space, local, ok := p.resolve(qname)
	if !ok {
		return errMalformed
	}
	if len(p.stack) > 0 {
		p.stack[len(p.stack)-1].parent = true
	}
	p.stack = append(p.stack, open{qname: qname, local: local, nil_: isNil})
	p.buf = p.buf[:0]
	switch {
	case depth == 1:
		if local != "Envelope" || (space != NS11 && space != NS12) {
			return envErr("the root element is not a SOAP 1.1 or 1.2 Envelope")
		}
		p.envNS = space
		p.r.Version = V12
		if space == NS11 {
			p.r.Version = V11
		}
	case depth == 2:
		if space != p.envNS {
			return envErr("unexpected element in the Envelope")
		}
		p.inHdr, p.inBody = local == "Header", local == "Body"
	case depth == 3 && p.inHdr:
		p.hdrName = ""
		if space == NSWSA {
			p.hdrName = local
		}
	case depth == 3 && p.inBody:
		if p.r.Op != "" {
			return envErr("the Body holds more than one element")
		}
		p.r.Op, p.r.OpNS = local, space
	}
	if selfClose {
		return p.end()
	}
	return nil
}

// end closes the innermost element.
func (p *parser) end() error {
	depth := len(p.stack)
	top := p.stack[depth-1]
	switch {
	case depth == 3 && p.inHdr:
		switch p.hdrName {
		case "Action":
			p.r.Action = strings.TrimSpace(string(p.buf))
		case "MessageID":
			p.r.MessageID = strings.TrimSpace(string(p.buf))
		}
	case depth > 3 && p.inBody && !top.parent:
		if len(p.r.Params) >= maxParams {
			return envErr("too many parameters")
		}
		var path strings.Builder
		for i, o := range p.stack[3:] {
			if i > 0 {
				path.WriteByte('/')
			}
			path.WriteString(o.local)
		}
		p.r.Params = append(p.r.Params, Param{Path: path.String(), Value: strings.TrimSpace(string(p.buf)), Nil: top.nil_})
	case depth == 2:
		p.inHdr, p.inBody = false, false
	}
	p.buf = p.buf[:0]
	p.stack = p.stack[:depth-1]
	for len(p.ns) > 0 && p.ns[len(p.ns)-1].depth == depth {
		p.ns = p.ns[:len(p.ns)-1]
	}
	if depth == 1 {
		p.rootDone = true
	}
	return nil
}

// text reads character data up to the next '<'.
func (p *parser) text() error {
	e := bytes.IndexByte(p.b[p.i:], '<')
	if e < 0 {
		return errMalformed
	}
	raw := p.b[p.i : p.i+e]
	p.i += e
	for len(raw) > 0 {
		a := bytes.IndexByte(raw, '&')
		if a < 0 {
			return p.addText(raw)
		}
		if err := p.addText(raw[:a]); err != nil {
			return err
		}
		semi := bytes.IndexByte(raw[a:], ';')
		if semi < 0 {
			return errMalformed
		}
		r, ok := entity(raw[a+1 : a+semi])
		if !ok {
			return errMalformed
		}
		p.buf = utf8.AppendRune(p.buf, r)
		raw = raw[a+semi+1:]
	}
	return nil
}

// addText appends character data, refusing what XML forbids in it.
func (p *parser) addText(t []byte) error {
	if !validChars(t) {
		return errMalformed
	}
	if len(p.buf)+len(t) > 1<<20 {
		return envErr("text too long")
	}
	p.buf = append(p.buf, t...)
	return nil
}

// entity decodes a reference's name (without & and ;).
func entity(name []byte) (rune, bool) {
	switch string(name) {
	case "lt":
		return '<', true
	case "gt":
		return '>', true
	case "amp":
		return '&', true
	case "quot":
		return '"', true
	case "apos":
		return '\'', true
	}
	if len(name) < 2 || name[0] != '#' {
		return 0, false
	}
	base, digits := 10, name[1:]
	if digits[0] == 'x' {
		base, digits = 16, digits[1:]
	}
	if len(digits) == 0 || len(digits) > 8 {
		return 0, false
	}
	var r rune
	for _, c := range digits {
		var d rune
		switch {
		case c >= '0' && c <= '9':
			d = rune(c - '0')
		case base == 16 && c >= 'a' && c <= 'f':
			d = rune(c-'a') + 10
		case base == 16 && c >= 'A' && c <= 'F':
			d = rune(c-'A') + 10
		default:
			return 0, false
		}
		r = r*rune(base) + d
	}
	if !isXMLChar(r) {
		return 0, false
	}
	return r, true
}

// validChars reports whether b is UTF-8 made of XML 1.0 characters.
func validChars(b []byte) bool {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 || !isXMLChar(r) {
			return false
		}
		i += size
	}
	return true
}

func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// attrValue reads a quoted attribute value and decodes its references.
func (p *parser) attrValue() (string, error) {
	if p.i >= len(p.b) || (p.b[p.i] != '"' && p.b[p.i] != '\'') {
		return "", errMalformed
	}
	q := p.b[p.i]
	e := bytes.IndexByte(p.b[p.i+1:], q)
	if e < 0 {
		return "", errMalformed
	}
	raw := p.b[p.i+1 : p.i+1+e]
	p.i += e + 2
	if bytes.IndexByte(raw, '<') >= 0 || !validChars(raw) {
		return "", errMalformed
	}
	if bytes.IndexByte(raw, '&') < 0 {
		return string(raw), nil
	}
	var out []byte
	for len(raw) > 0 {
		a := bytes.IndexByte(raw, '&')
		if a < 0 {
			out = append(out, raw...)
			break
		}
		out = append(out, raw[:a]...)
		semi := bytes.IndexByte(raw[a:], ';')
		if semi < 0 {
			return "", errMalformed
		}
		r, ok := entity(raw[a+1 : a+semi])
		if !ok {
			return "", errMalformed
		}
		out = utf8.AppendRune(out, r)
		raw = raw[a+semi+1:]
	}
	return string(out), nil
}

// name reads an XML (qualified) name.
func (p *parser) name() string {
	s := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		if c == '>' || c == '/' || c == '=' || c == '<' || c == '"' || c == '\'' || isSpace(c) {
			break
		}
		p.i++
	}
	n := p.b[s:p.i]
	if len(n) == 0 || n[0] == ':' || n[len(n)-1] == ':' || bytes.Count(n, []byte(":")) > 1 {
		return ""
	}
	// Letters (ASCII and Latin: NHN's names have æ, ø, å), digits after
	// the first, '_', '-', '.': a subset of XML's Name, so nothing
	// encoding/xml refuses is accepted.
	for i, w := 0, 0; i < len(n); i += w {
		r, size := utf8.DecodeRune(n[i:])
		w = size
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '_', r == ':':
		case r >= 0xC0 && r <= 0x24F && r != 0xD7 && r != 0xF7:
		case i > 0 && (r >= '0' && r <= '9' || r == '-' || r == '.'):
		default:
			return ""
		}
	}
	return string(n)
}

func (p *parser) skipSpace() bool {
	s := p.i
	for p.i < len(p.b) && isSpace(p.b[p.i]) {
		p.i++
	}
	return p.i > s
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// lookup returns the namespace bound to prefix in scope.
func (p *parser) lookup(prefix string) (string, bool) {
	if prefix == "xml" {
		return "http://www.w3.org/XML/1998/namespace", true
	}
	for i := len(p.ns) - 1; i >= 0; i-- {
		if p.ns[i].prefix == prefix {
			return p.ns[i].uri, true
		}
	}
	if prefix == "" {
		return "", true
	}
	return "", false
}

// resolve splits a qualified element name into namespace and local name.
func (p *parser) resolve(qname string) (space, local string, ok bool) {
	prefix, local, found := strings.Cut(qname, ":")
	if !found {
		prefix, local = "", qname
	}
	space, ok = p.lookup(prefix)
	return space, local, ok
}

// procInstOK checks a processing instruction's target and, for the XML
// declaration, its version and encoding (UTF-8; ISO-8859-1 and US-ASCII
// labels are read as UTF-8, see parseStd).
func procInstOK(pi []byte) bool {
	q := parser{b: pi}
	target := q.name()
	if target == "" || strings.Contains(target, ":") {
		return false
	}
	content := pi[q.i:]
	if len(content) > 0 && !isSpace(content[0]) {
		return false
	}
	if target != "xml" {
		return !strings.EqualFold(target, "xml")
	}
	if v, ok := procInstParam(content, "version"); ok && v != "1.0" {
		return false
	}
	if enc, ok := procInstParam(content, "encoding"); ok {
		switch strings.ToLower(enc) {
		case "utf-8", "iso-8859-1", "us-ascii":
		default:
			return false
		}
	}
	return true
}

// procInstParam finds param="value" (or '…') in a declaration's content.
func procInstParam(content []byte, param string) (string, bool) {
	i := bytes.Index(content, []byte(param+"="))
	if i < 0 || i+len(param)+1 >= len(content) {
		return "", false
	}
	v := content[i+len(param)+1:]
	q := v[0]
	if q != '"' && q != '\'' {
		return "", false
	}
	e := bytes.IndexByte(v[1:], q)
	if e < 0 {
		return "", false
	}
	return string(v[1 : 1+e]), true
}
