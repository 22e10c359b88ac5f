package soap

import (
	"bytes"
	"errors"
	"time"

	"github.com/grunndata/grunndata/registry"
)

// Backend is what an operation reads, bound to one request by the server:
// the server picks the generation, the record view the caller may see
// (address protection) and writes the audit records, so a SOAP answer goes
// through the same code paths as the native routes.
type Backend interface {
	// Record returns the stored view of key this caller may see, or
	// registry.ErrNotFound / ErrGone. The slice is read-only and valid until
	// the request ends.
	Record(key *registry.Key) ([]byte, error)
	// Raw returns a secondary index value (not a record), or ErrNotFound.
	Raw(key *registry.Key) ([]byte, error)
	// Scan calls fn for each key with prefix from prefix+from on, in order,
	// until fn returns false; key and value are valid during the call only.
	Scan(prefix, from []byte, fn func(key, value []byte) bool) error
	// Audit records that this request read (or looked for) subject's data.
	// An error means the audit log is unavailable: the answer is withheld.
	Audit(op string, subject registry.NIN, found bool) error
	// Now is the clock (ServerTime, default påTidspunkt).
	Now() time.Time
}

// errAudit marks an audit failure; the server answers 503.
var errAudit = errors.New("soap: audit log unavailable")

// call is one operation invocation.
type call struct {
	req *Request
	b   Backend
	w   xw
	svc *Service
}

// Operation is one implemented SOAP operation.
type Operation struct {
	Name string
	// Person marks operations that read person data by person number (they
	// are audited).
	Person bool
	// run appends the operation's Response element, or returns a *Fault.
	run func(c *call) error
}

// Service is one SOAP service: its contract, its operations and which of the
// contract's other operations are write operations (refused: read-only).
type Service struct {
	// Name is the service (AR, FLR, FLRExport, HPR) as metrics and docs name it.
	Name string
	// NS is the service's target namespace, Interface the port type: a
	// request's Action must be NS/Interface/Op.
	NS, Interface string
	// wsdl is the contract as NHN publishes it; addresses are replaced by
	// the serving address.
	wsdl []byte
	ops  map[string]*Operation
	// writes are the contract's write operations.
	writes map[string]bool
	// refused are read operations we do not answer, with the reason.
	refused map[string]string
}

// Operations returns the names of the implemented operations.
func (s *Service) Operations() []string {
	out := make([]string, 0, len(s.ops))
	for n := range s.ops {
		out = append(out, n)
	}
	return out
}

// Refused returns the contract operations answered with a fault and why.
func (s *Service) Refused() map[string]string {
	out := map[string]string{}
	for n := range s.writes {
		out[n] = readOnlyMessage
	}
	for n, why := range s.refused {
		out[n] = why
	}
	return out
}

const readOnlyMessage = "Registeret er skrivebeskyttet her: grunndata er en lesekopi av registeret; endringer gjøres hos Norsk helsenett."

// Answer is the result of Serve.
type Answer struct {
	Status int
	// Op is the operation (for metrics and audit), "" when unknown.
	Op string
}

// Serve parses body, runs the operation and appends the answer envelope to
// dst. soapAction is the SOAP 1.1 SOAPAction header or the SOAP 1.2
// Content-Type action parameter ("" when absent).
func (s *Service) Serve(dst []byte, body []byte, soapAction string, b Backend) ([]byte, Answer) {
	req, err := Parse(body)
	if err != nil {
		v := V12
		if bytes.Contains(body, []byte(NS11)) {
			v = V11
		}
		msg := err.Error()
		if e, ok := err.(*ErrEnvelope); ok {
			msg = "Ugyldig SOAP-forespørsel: " + e.Msg
		}
		f := &Fault{Code: "InvalidRequest", Message: msg}
		return appendFault(dst, v, "", "", f), Answer{Status: faultStatus(v, f)}
	}
	if soapAction != "" && req.Action == "" {
		req.Action = soapAction
	}
	faultAction := ""
	if req.Action != "" && req.Version == V12 {
		faultAction = NSWSA + "/soap/fault"
	}
	fault := func(f *Fault, op string) ([]byte, Answer) {
		return appendFault(dst, req.Version, faultAction, req.MessageID, f), Answer{Status: faultStatus(req.Version, f), Op: op}
	}
	if req.OpNS != s.NS {
		return fault(&Fault{Code: "ActionNotSupported", Message: "Operasjonen " + req.Op + " finnes ikke i " + s.NS + "."}, "")
	}
	if req.Action != "" && req.Action != s.NS+"/"+s.Interface+"/"+req.Op {
		return fault(&Fault{Code: "ActionNotSupported", Message: "Action stemmer ikke med operasjonen " + req.Op + "."}, "")
	}
	op := s.ops[req.Op]
	if op == nil {
		if s.writes[req.Op] {
			return fault(&Fault{Code: "ReadOnly", Message: readOnlyMessage}, req.Op)
		}
		if why, ok := s.refused[req.Op]; ok {
			return fault(&Fault{Code: "NotSupported", Message: why}, req.Op)
		}
		return fault(&Fault{Code: "ActionNotSupported", Message: "Operasjonen " + req.Op + " finnes ikke i " + s.Interface + "."}, "")
	}
	c := &call{req: req, b: b, svc: s}
	action := ""
	if req.Action != "" && req.Version == V12 {
		action = s.NS + "/" + s.Interface + "/" + req.Op + "Response"
	}
	c.w.dst = appendEnvelopeStart(dst, req.Version, action, req.MessageID)
	if err := op.run(c); err != nil {
		var f *Fault
		switch {
		case errors.As(err, &f):
		case errors.Is(err, errAudit):
			f = &Fault{Code: "Unavailable", Message: "Tjenesten er midlertidig utilgjengelig (revisjonsloggen kan ikke skrives).", Receiver: true, Status: 503}
		case errors.Is(err, registry.ErrUnavailable):
			f = &Fault{Code: "Unavailable", Message: "Tjenesten er midlertidig utilgjengelig (ingen aktiv generasjon).", Receiver: true, Status: 503}
		default:
			f = &Fault{Code: "InternalError", Message: "Intern feil.", Receiver: true}
		}
		if faultAction != "" {
			faultAction = s.NS + "/" + s.Interface + "/" + req.Op + "GenericFaultFault"
		}
		return appendFault(c.w.dst[:len(dst)], req.Version, faultAction, req.MessageID, f), Answer{Status: faultStatus(req.Version, f), Op: req.Op}
	}
	return appendEnvelopeEnd(c.w.dst), Answer{Status: 200, Op: req.Op}
}

func faultStatus(v Version, f *Fault) int {
	switch {
	case f.Status != 0:
		return f.Status
	case v == V11 || f.Receiver:
		return 500
	}
	return 400
}

// ContentType is the answer's content type for v.
func ContentType(v Version) string {
	if v == V11 {
		return "text/xml; charset=utf-8"
	}
	return "application/soap+xml; charset=utf-8"
}

// VersionOf tells the version of an answer envelope (for the content type).
func VersionOf(answer []byte) Version {
	if bytes.HasPrefix(answer, []byte(`<s:Envelope xmlns:s="`+NS11)) {
		return V11
	}
	return V12
}
