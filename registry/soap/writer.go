package soap

import (
	"strconv"
	"time"

	"github.com/grunndata/grunndata/registry"
)

var appendJSONString = registry.AppendJSONString

// Answers are appended to a caller's buffer: the envelope, then the body
// rendered from the stored JSON records, then the closing tags.

// appendEnvelopeStart opens the answer envelope and its Body. With
// WS-Addressing in the request (SOAP 1.2), the answer carries Action and
// RelatesTo as WCF sends them.
func appendEnvelopeStart(dst []byte, v Version, action, relatesTo string) []byte {
	if v == V11 {
		return append(dst, `<s:Envelope xmlns:s="`+NS11+`"><s:Body>`...)
	}
	dst = append(dst, `<s:Envelope xmlns:s="`+NS12+`" xmlns:a="`+NSWSA+`">`...)
	if action != "" {
		dst = append(dst, `<s:Header><a:Action s:mustUnderstand="1">`...)
		dst = appendEscaped(dst, action)
		dst = append(dst, `</a:Action>`...)
		if relatesTo != "" {
			dst = append(dst, `<a:RelatesTo>`...)
			dst = appendEscaped(dst, relatesTo)
			dst = append(dst, `</a:RelatesTo>`...)
		}
		dst = append(dst, `</s:Header>`...)
	}
	return append(dst, `<s:Body>`...)
}

func appendEnvelopeEnd(dst []byte) []byte {
	return append(dst, `</s:Body></s:Envelope>`...)
}

// Fault is a GenericFault answer: NHN's ErrorCode and Message, and whether
// the caller (Sender/Client) or the service (Receiver/Server) is at fault.
type Fault struct {
	Code     string
	Message  string
	Receiver bool
	// Status is the HTTP status: SOAP 1.1 requires 500 for every fault; for
	// SOAP 1.2 a Sender fault is 400 and a Receiver fault 500 (SOAP 1.2 part
	// 2, 7.5.1.2), unless set here (403 for a missing scope).
	Status int
}

func (f *Fault) Error() string { return "soap fault " + f.Code + ": " + f.Message }

// nsCommon is the namespace of GenericFault (and of Code, Period, addresses).
const nsCommon = "http://register.nhn.no/Common"

// appendFault appends a whole fault envelope.
func appendFault(dst []byte, v Version, action, relatesTo string, f *Fault) []byte {
	dst = appendEnvelopeStart(dst, v, action, relatesTo)
	if v == V11 {
		code := "s:Client"
		if f.Receiver {
			code = "s:Server"
		}
		dst = append(dst, `<s:Fault><faultcode>`+code+`</faultcode><faultstring xml:lang="nb-NO">`...)
		dst = appendEscaped(dst, f.Message)
		dst = append(dst, `</faultstring><detail>`...)
		dst = appendGenericFault(dst, f)
		dst = append(dst, `</detail></s:Fault>`...)
		return appendEnvelopeEnd(dst)
	}
	code := "s:Sender"
	if f.Receiver {
		code = "s:Receiver"
	}
	dst = append(dst, `<s:Fault><s:Code><s:Value>`+code+`</s:Value></s:Code><s:Reason><s:Text xml:lang="nb-NO">`...)
	dst = appendEscaped(dst, f.Message)
	dst = append(dst, `</s:Text></s:Reason><s:Detail>`...)
	dst = appendGenericFault(dst, f)
	dst = append(dst, `</s:Detail></s:Fault>`...)
	return appendEnvelopeEnd(dst)
}

func appendGenericFault(dst []byte, f *Fault) []byte {
	dst = append(dst, `<GenericFault xmlns="`+nsCommon+`"><ErrorCode>`...)
	dst = appendEscaped(dst, f.Code)
	dst = append(dst, `</ErrorCode><Message>`...)
	dst = appendEscaped(dst, f.Message)
	return append(dst, `</Message></GenericFault>`...)
}

// xw appends one answer. In XML mode elements carry the given namespace
// prefix; in JSON mode (NHN's REST shape of the same model) an element is a
// member "name": value and prefixes are ignored.
type xw struct {
	dst []byte
	// json selects NHN's REST JSON shape instead of XML.
	json bool
	// noLongDescription: the contract's Code has no LongDescription (FLR's
	// older Common schema).
	noLongDescription bool
}

func (w *xw) raw(s string) { w.dst = append(w.dst, s...) }

// key writes a JSON member's separator and key.
func (w *xw) key(name string) {
	w.sep()
	w.dst = append(w.dst, '"')
	w.dst = append(w.dst, name...)
	w.dst = append(w.dst, '"', ':')
}

// sep writes a comma unless a value is the first in its object or array.
func (w *xw) sep() {
	if n := len(w.dst); n > 0 {
		switch w.dst[n-1] {
		case '{', '[', ':':
		default:
			w.dst = append(w.dst, ',')
		}
	}
}

// open starts a complex element <p:name> (JSON: "name":{).
func (w *xw) open(p, name string) {
	if w.json {
		w.key(name)
		w.dst = append(w.dst, '{')
		return
	}
	w.dst = append(w.dst, '<')
	w.dst = appendQName(w.dst, p, name)
	w.dst = append(w.dst, '>')
}

// close ends a complex element.
func (w *xw) close(p, name string) {
	if w.json {
		w.dst = append(w.dst, '}')
		return
	}
	w.dst = append(w.dst, '<', '/')
	w.dst = appendQName(w.dst, p, name)
	w.dst = append(w.dst, '>')
}

// openList starts an array element (JSON: "name":[).
func (w *xw) openList(p, name string) {
	if w.json {
		w.key(name)
		w.dst = append(w.dst, '[')
		return
	}
	w.open(p, name)
}

func (w *xw) closeList(p, name string) {
	if w.json {
		w.dst = append(w.dst, ']')
		return
	}
	w.close(p, name)
}

// openItem starts an array item <p:name> (JSON: {).
func (w *xw) openItem(p, name string) {
	if w.json {
		w.sep()
		w.dst = append(w.dst, '{')
		return
	}
	w.open(p, name)
}

func (w *xw) closeItem(p, name string) { w.close(p, name) }

// emptyList writes an empty array element <p:name/> (JSON: []).
func (w *xw) emptyList(p, name string) {
	if w.json {
		w.key(name)
		w.dst = append(w.dst, '[', ']')
		return
	}
	w.empty(p, name)
}

// nilElem writes <p:name i:nil="true"/> (JSON: null).
func (w *xw) nilElem(p, name string) {
	if w.json {
		w.key(name)
		w.dst = append(w.dst, "null"...)
		return
	}
	w.dst = append(w.dst, '<')
	w.dst = appendQName(w.dst, p, name)
	w.dst = append(w.dst, ` i:nil="true"/>`...)
}

// empty writes <p:name/> (XML only: JSON callers use emptyList or nil).
func (w *xw) empty(p, name string) {
	if w.json {
		w.nilElem(p, name)
		return
	}
	w.dst = append(w.dst, '<')
	w.dst = appendQName(w.dst, p, name)
	w.dst = append(w.dst, '/', '>')
}

// text writes <p:name>v</p:name> from the JSON value v; null is nil.
func (w *xw) text(p, name string, v []byte) {
	if isNull(v) {
		w.nilElem(p, name)
		return
	}
	if w.json {
		w.key(name)
		if v[0] == '"' {
			w.dst = append(w.dst, v...)
		} else {
			w.dst = append(w.dst, '"')
			w.dst = append(w.dst, v...)
			w.dst = append(w.dst, '"')
		}
		return
	}
	w.open(p, name)
	w.dst = appendText(w.dst, v)
	w.close(p, name)
}

// textOrEmpty writes v, or NHN's empty string for null or "" (JSON: null).
func (w *xw) textOrEmpty(p, name string, v []byte) {
	if isEmpty(v) {
		w.empty(p, name)
		return
	}
	w.text(p, name, v)
}

// str writes <p:name>s</p:name>.
func (w *xw) str(p, name, s string) {
	if w.json {
		w.key(name)
		w.dst = appendJSONString(w.dst, s)
		return
	}
	w.open(p, name)
	w.dst = appendEscaped(w.dst, s)
	w.close(p, name)
}

// num writes a number from a stored number or digit string (JSON: a number
// without leading zeros, as NHN's REST API writes PostalCode).
func (w *xw) num(p, name string, v []byte) {
	d := unquoted(v)
	if w.json {
		w.key(name)
		for len(d) > 1 && d[0] == '0' {
			d = d[1:]
		}
		w.dst = append(w.dst, d...)
		return
	}
	w.open(p, name)
	w.dst = append(w.dst, d...)
	w.close(p, name)
}

// int writes <p:name>n</p:name>.
func (w *xw) int(p, name string, n int64) {
	if w.json {
		w.key(name)
		w.dst = strconv.AppendInt(w.dst, n, 10)
		return
	}
	w.open(p, name)
	w.dst = strconv.AppendInt(w.dst, n, 10)
	w.close(p, name)
}

// bool writes <p:name>true|false</p:name> from a JSON value (absent: def).
func (w *xw) bool(p, name string, v []byte, def bool) {
	b := def
	if string(v) == "true" {
		b = true
	} else if string(v) == "false" {
		b = false
	}
	if w.json {
		w.key(name)
		w.dst = strconv.AppendBool(w.dst, b)
		return
	}
	w.open(p, name)
	w.dst = strconv.AppendBool(w.dst, b)
	w.close(p, name)
}

// dateTime writes an xs:dateTime from a stored date ("2003-01-01" becomes
// "2003-01-01T00:00:00", as NHN writes dates) or timestamp (kept, with its
// zone). null writes def, or nothing when def is "".
func (w *xw) dateTime(p, name string, v []byte, def string) {
	if isNull(v) {
		if def != "" {
			w.str(p, name, def)
		}
		return
	}
	if w.json {
		w.key(name)
		w.dst = append(w.dst, '"')
		w.dst = appendDateTime(w.dst, unquoted(v))
		w.dst = append(w.dst, '"')
		return
	}
	w.open(p, name)
	w.dst = appendDateTime(w.dst, unquoted(v))
	w.close(p, name)
}

// serverTime writes now as NHN's ServerTime.
func (w *xw) serverTime(p, name string, now time.Time) {
	if w.json {
		w.key(name)
		w.dst = append(w.dst, '"')
		w.dst = appendServerTime(w.dst, now)
		w.dst = append(w.dst, '"')
		return
	}
	w.open(p, name)
	w.dst = appendServerTime(w.dst, now)
	w.close(p, name)
}

func appendDateTime(dst, d []byte) []byte {
	dst = append(dst, d...)
	if len(d) == 10 {
		dst = append(dst, "T00:00:00"...)
	}
	return dst
}

// openEnd is NHN's open end of a Period: AR writes the max date.
const openEnd = "9999-12-31T23:59:59.999"

func appendQName(dst []byte, p, name string) []byte {
	if p != "" {
		dst = append(dst, p...)
		dst = append(dst, ':')
	}
	return append(dst, name...)
}

// appendServerTime appends now as NHN's ServerTime (local time with offset).
func appendServerTime(dst []byte, now time.Time) []byte {
	return now.AppendFormat(dst, "2006-01-02T15:04:05.9999999Z07:00")
}
