package auth

import "strings"

// Scope is a set of API scopes (one bit each).
type Scope uint16

// The scopes of DESIGN.md, one per register family.
const (
	ScopeOrganisationRead Scope = 1 << iota
	ScopePersonnelRead
	ScopePersonRead
	ScopePersonReadProtected
	ScopeGPRead
	ScopeAINWrite
	ScopeAdmin
	ScopePersonFeed
)

// AnyScope is every scope: a route that needs AnyScope admits any
// authenticated caller.
const AnyScope = ^Scope(0)

var scopeNames = []struct {
	s    Scope
	name string
}{
	{ScopeOrganisationRead, "grunndata:organisation.read"},
	{ScopePersonnelRead, "grunndata:personnel.read"},
	{ScopePersonRead, "grunndata:person.read"},
	{ScopePersonReadProtected, "grunndata:person.read-protected"},
	{ScopeGPRead, "grunndata:gp.read"},
	{ScopeAINWrite, "grunndata:ain.write"},
	{ScopeAdmin, "grunndata:admin"},
	{ScopePersonFeed, "grunndata:person.feed"},
}

// ScopeNames lists every scope name.
func ScopeNames() []string {
	out := make([]string, len(scopeNames))
	for i, s := range scopeNames {
		out[i] = s.name
	}
	return out
}

// ParseScope returns the scope with name n.
func ParseScope(n string) (Scope, bool) {
	for _, s := range scopeNames {
		if s.name == n {
			return s.s, true
		}
	}
	return 0, false
}

// String names the scopes in s, space separated.
func (s Scope) String() string {
	var parts []string
	for _, sn := range scopeNames {
		if s&sn.s != 0 {
			parts = append(parts, sn.name)
		}
	}
	return strings.Join(parts, " ")
}
