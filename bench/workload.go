package bench

import (
	"fmt"
	"math/rand/v2"
)

// kind says what a request's identifier is, and so what answer is expected.
type kind uint8

const (
	kindHit     kind = iota // an id of the dataset: 200 (or 410 for a removed record)
	kindMiss                // well-formed but absent: 404
	kindInvalid             // malformed: 400
	numKinds
)

var kindNames = [numKinds]string{"hit", "miss", "invalid"}

// expected reports whether status is the answer a request of kind k should
// get.
func (k kind) expected(status int) bool {
	switch k {
	case kindHit:
		return status == 200 || status == 410
	case kindMiss:
		return status == 404
	default:
		return status == 400
	}
}

// request is one pre-built lookup: the path, and the body of a POST. Built
// once before the run and never modified, so workers share them.
type request struct {
	uri  []byte
	body []byte
}

// Sizes of the pre-built miss and invalid sets per route.
const (
	numMisses   = 4096
	numInvalids = 1024
)

type routeSet struct {
	reqs [numKinds][]request
}

// workload is the pre-built request space of a run: every request a worker
// sends is one of these, chosen by a picker.
type workload struct {
	cum                   [NumRoutes]float64 // cumulative route shares; cum[NumRoutes-1] = 1
	sets                  [NumRoutes]routeSet
	missRate, invalidRate float64
	zipf                  float64
}

func newRequest(r Route, id string) request {
	if routeInfos[r].post {
		return request{uri: []byte(routeInfos[r].path), body: []byte(`{"nin":"` + id + `"}`)}
	}
	return request{uri: []byte(routeInfos[r].path + id)}
}

// newWorkload pre-builds the requests of every route the mix uses. Hits are
// put in a random order (from seed): with zipfian popularity, rank 0 is the
// first of them, so the hot keys are spread over the dataset.
func newWorkload(cfg *Config, ids *IDs) (*workload, error) {
	w := &workload{missRate: cfg.MissRate, invalidRate: cfg.InvalidRate, zipf: cfg.Zipf}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x6772756e6e64))
	total, acc := cfg.Mix.total(), 0.0
	for r := Route(0); r < NumRoutes; r++ {
		acc += cfg.Mix[r]
		w.cum[r] = acc / total
		if cfg.Mix[r] == 0 {
			continue
		}
		src := ids[r]
		if len(src) == 0 {
			return nil, fmt.Errorf("route %s has weight %g but no ids", r, cfg.Mix[r])
		}
		hits := make([]request, len(src))
		for i, j := range rng.Perm(len(src)) {
			hits[i] = newRequest(r, src[j])
		}
		s := &w.sets[r]
		s.reqs[kindHit] = hits
		if cfg.MissRate > 0 {
			for range numMisses {
				s.reqs[kindMiss] = append(s.reqs[kindMiss], newRequest(r, missID(r, rng)))
			}
		}
		if cfg.InvalidRate > 0 {
			for range numInvalids {
				s.reqs[kindInvalid] = append(s.reqs[kindInvalid], newRequest(r, invalidID(r, src[rng.IntN(len(src))], rng)))
			}
		}
	}
	w.cum[NumRoutes-1] = 1 // no rounding gap at the top
	return w, nil
}

// picker is one worker's random source over a workload; it is not safe for
// concurrent use.
type picker struct {
	w    *workload
	rng  *rand.Rand
	zipf [NumRoutes]*rand.Zipf
}

func newPicker(w *workload, seed, stream uint64) *picker {
	p := &picker{w: w, rng: rand.New(rand.NewPCG(seed, stream))}
	if w.zipf > 1 {
		for r := Route(0); r < NumRoutes; r++ {
			if n := len(w.sets[r].reqs[kindHit]); n > 0 {
				p.zipf[r] = rand.NewZipf(p.rng, w.zipf, 1, uint64(n-1))
			}
		}
	}
	return p
}

// route draws a route by the mix.
func (p *picker) route() Route {
	u := p.rng.Float64()
	for r := Route(0); r < NumRoutes-1; r++ {
		if u < p.w.cum[r] {
			return r
		}
	}
	return NumRoutes - 1
}

// kind draws hit, miss or invalid by the configured rates.
func (p *picker) kind() kind {
	u := p.rng.Float64()
	switch {
	case u < p.w.invalidRate:
		return kindInvalid
	case u < p.w.invalidRate+p.w.missRate:
		return kindMiss
	}
	return kindHit
}

// index draws the position of a hit of route r: zipfian rank or uniform.
func (p *picker) index(r Route) int {
	if z := p.zipf[r]; z != nil {
		return int(z.Uint64())
	}
	return p.rng.IntN(len(p.w.sets[r].reqs[kindHit]))
}

// next draws the next request.
func (p *picker) next() (Route, kind, *request) {
	r := p.route()
	k := p.kind()
	reqs := p.w.sets[r].reqs[k]
	if k == kindHit {
		return r, k, &reqs[p.index(r)]
	}
	return r, k, &reqs[p.rng.IntN(len(reqs))]
}
