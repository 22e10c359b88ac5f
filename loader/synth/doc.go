// Package synth generates a deterministic synthetic national dataset for
// grunndata: Enhetsregisteret enheter and underenheter, Folkeregisteret
// bulkoppslag files, and HPR, Adresseregisteret, RESH and Fastlegeregisteret
// in the JSON-lines formats of docs/formats.md. `grunndata gen` is its
// command; [Generate] is the entry point.
//
// # Determinism and memory
//
// Every record is a pure function of (seed, register, index): its random
// draws come from a splitmix64 generator seeded by those three (rand.go).
// Cross-references are recomputed, not looked up: an HPR person's number and
// name come from re-deriving the Freg person it designates, a patient's
// contract from the person's municipality, an AR organisation's orgnr from
// the enhet index. Only small tables live in memory (the RESH tree, GP
// contracts and offices, the AR block index, birth-year cohorts), so memory
// stays bounded at any size.
//
// Records are encoded by hand with append functions (json.go), in chunks of a
// fixed number of records spread over workers; each chunk is deflated on its
// own and the segments are joined in chunk order into one gzip member
// (pipeline.go). Chunk boundaries do not depend on the number of workers, so
// the output is byte-identical for any --workers.
//
// # Identities
//
// Persons are grouped into birth-year cohorts; the q-th person of a cohort is
// born on day q mod daysInYear of that year and q / daysInYear selects the
// individnummer slot, so numbers are unique by construction. All numbers are
// synthetic Tenor numbers (month + 80) with 1964-rule check digits
// (ident.go). Organisation numbers are a keyed permutation of valid 8/9-prefixed
// numbers. HER-ids, RESH-ids, HPR-numbers and contract ids are serials.
//
// Layout rules the generators rely on (world.go): enheter [0, fixed) are the
// RHF, HF, ministries (STAT) and municipalities (KOMM); after them every 20th
// enhet is a health enhet (86.xxx), the first of which are the GP offices.
// HPR indices [0, gpSlots) are the GP doctors; every 50th after that has no
// Norwegian number; the rest designate Freg persons of working age, who are
// forced to be resident.
package synth
