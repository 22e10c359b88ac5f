package soap

// Version is the SOAP version of a request; the answer uses the same.
type Version uint8

// SOAP versions.
const (
	V11 Version = 1 // SOAP 1.1 (BasicHttpBinding, NHN's /Basic endpoints)
	V12 Version = 2 // SOAP 1.2 with WS-Addressing (WSHttpBinding)
)

// Namespaces of the envelopes and of WS-Addressing.
const (
	NS11  = "http://schemas.xmlsoap.org/soap/envelope/"
	NS12  = "http://www.w3.org/2003/05/soap-envelope"
	NSWSA = "http://www.w3.org/2005/08/addressing"
	nsXSI = "http://www.w3.org/2001/XMLSchema-instance"
)

// Limits on a request envelope (the server also bounds the body size).
const (
	maxDepth  = 24
	maxParams = 4096
)

// Param is one leaf element under the operation element: its path of local
// names below the operation ("search/SearchConstraints/…/Key"), its text and
// whether it was xsi:nil.
type Param struct {
	Path  string
	Value string
	Nil   bool
}

// Request is a parsed SOAP request envelope.
type Request struct {
	Version Version
	// Action is the WS-Addressing Action header, or "" without one.
	Action string
	// MessageID is the WS-Addressing MessageID, echoed as RelatesTo.
	MessageID string
	// Op and OpNS are the local name and namespace of the Body's element.
	Op, OpNS string
	// Params are the leaf elements under the operation element, in order.
	Params []Param
}

// Value returns the text of the first parameter at path, and whether it is
// present and not nil.
func (r *Request) Value(path string) (string, bool) {
	for i := range r.Params {
		if r.Params[i].Path == path {
			return r.Params[i].Value, !r.Params[i].Nil
		}
	}
	return "", false
}

// Values returns the texts of every non-nil parameter at path, in order.
func (r *Request) Values(path string) []string {
	var out []string
	for i := range r.Params {
		if r.Params[i].Path == path && !r.Params[i].Nil {
			out = append(out, r.Params[i].Value)
		}
	}
	return out
}

// ErrEnvelope reports a body that is not a SOAP envelope we can read; the
// message says why (it never repeats the request's content).
type ErrEnvelope struct{ Msg string }

func (e *ErrEnvelope) Error() string { return "soap: " + e.Msg }

func envErr(msg string) error { return &ErrEnvelope{Msg: msg} }
