// Package registry holds the domain of grunndata: the identifiers the
// service meets (fødselsnummer and its relatives, organisasjonsnummer,
// HER-id, RESH-id, HPR-number, GP contract id), the registers they key, the
// sentinel errors, and the interfaces through which the server reads a
// snapshot generation.
//
// It imports only the standard library; every other package may import it.
//
// # Identifiers
//
// Parsers work straight on bytes and never allocate. An invalid value yields
// an *IDError naming the rule that failed (see [Rule]), so the HTTP API and the
// `grunndata id` command can say which rule it was. IDError values are
// preallocated; comparing with errors.Is against [ErrInvalidID] works.
package registry
