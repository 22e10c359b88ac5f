package registry

import "errors"

// Sentinel errors. Lookups return them bare (wrapping allocates); cold paths
// wrap them with short lowercase context.
var (
	// ErrNotFound reports that no record has the requested key.
	ErrNotFound = errors.New("registry: not found")
	// ErrGone reports a record that was removed from the register for legal
	// reasons (Brreg "Fjernet"): copies must not serve it.
	ErrGone = errors.New("registry: gone")
	// ErrInvalidID reports a malformed identifier; the concrete error is an
	// *IDError naming the rule.
	ErrInvalidID = errors.New("registry: invalid identifier")
	// ErrUnavailable reports that no snapshot generation is active.
	ErrUnavailable = errors.New("registry: no active generation")
)
