package query

import (
	"time"

	"github.com/grunndata/grunndata/registry"
)

// SOAPBackend is a SOAP façade request's view of the engine (it implements
// registry/soap's backend): the generation through the cache, the record
// views the caller may see, and the persons answered, which the server
// records in the audit log once, before the answer is released.
type SOAPBackend struct {
	e            *Engine
	v            registry.View
	seeProtected bool
	audited      bool
	// Subjects are the persons answered, under their current numbers;
	// Asked the numbers asked that are not the current one.
	Subjects, Asked [][]byte
	// Found is whether a person-number operation found its person.
	Found bool
}

// SOAP returns a backend over v for a caller who may see protected
// addresses or not; audited collects the persons answered.
func (e *Engine) SOAP(v registry.View, seeProtected, audited bool) *SOAPBackend {
	return &SOAPBackend{e: e, v: v, seeProtected: seeProtected, audited: audited}
}

// subject records the person n names as a subject: their current number
// (from the person record, so an old D-number is recorded under the
// fødselsnummer it resolves to), and n as asked when it differs.
func (b *SOAPBackend) subject(n registry.NIN) {
	cur := n
	if c, ok := registry.CurrentNIN(b.e.full(b.v, registry.PersonKey(n))); ok {
		cur = c
	}
	if cur != n {
		b.Asked = append(b.Asked, append([]byte(nil), n[:]...))
	}
	for _, x := range b.Subjects {
		if string(x) == string(cur[:]) {
			return // already named (an HPR record read after its lookup)
		}
	}
	b.Subjects = append(b.Subjects, append([]byte(nil), cur[:]...))
}

// Record returns the view of key the caller may see: the restricted view
// (addresses withheld) unless it holds grunndata:person.read-protected, as
// for the native person and GP lookups.
func (b *SOAPBackend) Record(key *registry.Key) ([]byte, error) {
	flags, full, restricted, err := b.e.decoded(b.v, key)
	if err != nil {
		return nil, err
	}
	if flags&registry.FlagGone != 0 {
		return nil, registry.ErrGone
	}
	if key.Register() == registry.RegPersonnel && b.audited {
		// HPR answers carry the person's fødselsnummer: audited, whatever
		// the operation asked by.
		if n, ok := registry.HPRNIN(full); ok {
			b.subject(n)
			b.Found = true
		}
	}
	if key.Register() == registry.RegGPPatient {
		var zk registry.Key
		var buf []byte
		return b.e.gpView(b.v, key.Bytes()[1:], flags, full, restricted, b.seeProtected, &zk, &buf), nil
	}
	if b.seeProtected {
		return full, nil
	}
	return restricted, nil
}

// Raw returns the stored value of key.
func (b *SOAPBackend) Raw(key *registry.Key) ([]byte, error) { return b.e.cache.Get(b.v, key) }

// Scan scans the generation.
func (b *SOAPBackend) Scan(prefix, from []byte, fn func(key, value []byte) bool) error {
	return b.v.Scan(prefix, from, fn)
}

// Audit names subject as a person the answer is about.
func (b *SOAPBackend) Audit(_ string, subject registry.NIN, found bool) error {
	if !b.audited {
		return nil
	}
	b.subject(subject)
	b.Found = b.Found || found
	return nil
}

// Now is the request's instant.
func (b *SOAPBackend) Now() time.Time { return b.e.clock() }
