package synth

import "math/bits"

// Every record is a pure function of (seed, stream, index): a record's random
// draws come from an rng seeded by those three, so a cross-reference is
// recomputed rather than looked up, whatever order records are written in.

// Streams separate the random draws of the registers.
const (
	streamPerson uint64 = iota + 1
	streamPersonPerm
	streamSpouse
	streamChild
	streamEnhet
	streamUnderenhet
	streamOrgnrPerm
	streamHPR
	streamHPRPerm
	streamHPRNumber
	streamAR
	streamRESH
	streamFLR
	streamPatient
	// change feeds (delta.go)
	streamDelta
	streamDeltaEnhet
	streamDeltaUnderenhet
	streamDeltaPerson
	streamDeltaDnr
	streamDeltaDoc
	// certificates (certs.go)
	streamCert
)

// mix64 is the splitmix64 finaliser, a bijective 64-bit mixer.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// hash3 hashes a seed, a stream and an index into 64 bits.
func hash3(seed, stream, idx uint64) uint64 {
	return mix64(seed ^ mix64(stream*0x9e3779b97f4a7c15^mix64(idx+0x632be59bd9b4e019)))
}

// rng is a splitmix64 generator: small, fast and good enough for synthetic data.
type rng struct{ s uint64 }

func newRNG(seed, stream, idx uint64) rng { return rng{s: hash3(seed, stream, idx)} }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	return mix64(r.s)
}

// intn returns a value in [0, n); n must be > 0.
func (r *rng) intn(n int) int {
	hi, _ := bits.Mul64(r.next(), uint64(n))
	return int(hi)
}

// between returns a value in [lo, hi].
func (r *rng) between(lo, hi int) int { return lo + r.intn(hi-lo+1) }

// float returns a value in [0, 1).
func (r *rng) float() float64 { return float64(r.next()>>11) / (1 << 53) }

func (r *rng) chance(p float64) bool { return r.float() < p }

// weighted picks an index by integer weights whose sum is total.
func pickWeighted[T any](r *rng, items []T, weight func(*T) int, total int) int {
	x := r.intn(total)
	for i := range items {
		x -= weight(&items[i])
		if x < 0 {
			return i
		}
	}
	return len(items) - 1
}

// perm is a keyed pseudo-random permutation of [0, n): a four-round Feistel
// network over the smallest even number of bits covering n, with cycle
// walking. It lets records be written in a shuffled order, and identifiers be
// scattered, without tables.
type perm struct {
	n    uint64
	half uint
	mask uint64
	keys [4]uint64
}

func newPerm(n uint64, seed, stream uint64) perm {
	b := uint(bits.Len64(n - 1))
	if n <= 1 {
		b = 0
	}
	if b < 2 {
		b = 2
	}
	if b%2 == 1 {
		b++
	}
	p := perm{n: n, half: b / 2, mask: 1<<(b/2) - 1}
	for i := range p.keys {
		p.keys[i] = hash3(seed, stream, uint64(i))
	}
	return p
}

func (p *perm) round(x uint64) uint64 {
	l, r := x>>p.half, x&p.mask
	for _, k := range p.keys {
		l, r = r, l^(mix64(r^k)&p.mask)
	}
	return l<<p.half | r
}

// at returns the image of i (i < n).
func (p *perm) at(i uint64) uint64 {
	if p.n <= 1 {
		return i
	}
	x := p.round(i)
	for x >= p.n {
		x = p.round(x)
	}
	return x
}
