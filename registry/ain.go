package registry

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
)

// AIN (felles hjelpenummer, FH-number) allocation: numbers for patients who
// cannot be identified. An AIN is 11 digits: a first digit of 8 or 9, eight
// random digits, and the two fødselsnummer check digits (1964 rule). It
// carries no date or gender and is never issued twice.

// AINStore is the durable read-write store of allocated AINs. It lives
// outside the snapshot generations (a reload never drops an AIN).
type AINStore interface {
	// Allocate issues a new AIN for person (the JSON the API will serve,
	// with its "nin" field left for the store to fill by appending), makes
	// it durable (synced) and returns it with the stored value. taken
	// reports numbers already in use elsewhere (the active generation).
	Allocate(build func(n NIN) []byte, taken func(n NIN) bool) (NIN, []byte, error)
	// Get appends the stored value of key to dst, or returns ErrNotFound.
	Get(dst []byte, key *Key) ([]byte, error)
	// Scan calls fn for every allocated AIN and its stored value (search).
	Scan(fn func(n NIN, value []byte) bool) error
}

// ErrAINExhausted reports that no free number was found (never expected:
// the space holds 2×10⁸ numbers).
var ErrAINExhausted = errors.New("registry: no free AIN found")

// RandomAIN draws a uniformly random AIN candidate with valid check digits
// from crypto/rand (not sequential, not guessable from the previous one).
func RandomAIN() NIN {
	for {
		var r [8]byte
		if _, err := rand.Read(r[:]); err != nil {
			panic("BUG: crypto/rand failed: " + err.Error())
		}
		x := binary.LittleEndian.Uint64(r[:])
		var d [11]byte
		d[0] = 8 + byte(x&1)
		x >>= 1
		v := x % 100000000 // eight digits; the bias of a 63-bit modulus is negligible
		for i := 8; i >= 1; i-- {
			d[i] = byte(v % 10)
			v /= 10
		}
		k1, k2, ok := NINCheckDigits(&d)
		if !ok {
			continue
		}
		d[9], d[10] = k1, k2
		var n NIN
		for i := range d {
			n[i] = d[i] + '0'
		}
		return n
	}
}
