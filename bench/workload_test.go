package bench

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/grunndata/grunndata/registry"
)

func TestParseMix(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // canonical String(), or "" for an error
		err  string
	}{
		{DefaultMix, DefaultMix, ""},
		{"her=100", "her=100", ""},
		{" org = 1 , person=2.5,", "org=1,person=2.5", ""},
		{"resh=3,her=55", "her=55,resh=3", ""}, // canonical order
		{"her=1,gp=0", "her=1", ""},
		{"", "", "no route a positive weight"},
		{"her=0", "", "no route a positive weight"},
		{"her", "", "not route=weight"},
		{"hers=1", "", "unknown route"},
		{"her=1,her=2", "", "given twice"},
		{"her=-1", "", "not a number"},
		{"her=x", "", "not a number"},
		{"her=NaN", "", "not a number"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			m, err := ParseMix(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("ParseMix(%q) = %v, %v; want error containing %q", tc.in, m, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := m.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
			again, err := ParseMix(m.String())
			if err != nil || again != m {
				t.Errorf("round trip: %v, %v", again, err)
			}
		})
	}
}

func TestMixShare(t *testing.T) {
	m, _ := ParseMix("her=3,org=1")
	if m.Share(RouteHer) != 0.75 || m.Share(RouteOrg) != 0.25 || m.Share(RouteGP) != 0 {
		t.Errorf("shares %v %v %v", m.Share(RouteHer), m.Share(RouteOrg), m.Share(RouteGP))
	}
}

// testIDs returns n ids per route: serials for serial routes, valid orgnrs
// and (synthetic) person numbers for the others.
func testIDs(n int) *IDs {
	ids := new(IDs)
	rng := rand.New(rand.NewPCG(7, 7))
	for r := Route(0); r < NumRoutes; r++ {
		for i := range n {
			switch r {
			case RouteOrg, RoutePerson, RouteGP:
				// Misses are well-formed absent ids: good enough as
				// distinct, valid test ids.
				ids[r] = append(ids[r], missID(r, rng))
			default:
				ids[r] = append(ids[r], strconv.Itoa(80000+i))
			}
		}
	}
	return ids
}

func testWorkload(t *testing.T, mut func(*Config)) *workload {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Zipf = 0
	if mut != nil {
		mut(&cfg)
	}
	w, err := newWorkload(&cfg, testIDs(1000))
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// within reports whether got is within tol (absolute) of want.
func within(got, want, tol float64) bool { return math.Abs(got-want) <= tol }

func TestPickerMixAndKinds(t *testing.T) {
	w := testWorkload(t, func(c *Config) { c.MissRate, c.InvalidRate = 0.1, 0.05 })
	p := newPicker(w, 1, 1)
	const n = 200_000
	var routes [NumRoutes]int
	var kinds [numKinds]int
	mix, _ := ParseMix(DefaultMix)
	for range n {
		r, k, rq := p.next()
		routes[r]++
		kinds[k]++
		if routeInfos[r].post != (rq.body != nil) {
			t.Fatalf("%s request with body %q", r, rq.body)
		}
		if !strings.HasPrefix(string(rq.uri), routeInfos[r].path) {
			t.Fatalf("%s request for %s", r, rq.uri)
		}
	}
	for r := Route(0); r < NumRoutes; r++ {
		if got := float64(routes[r]) / n; !within(got, mix.Share(r), 0.005) {
			t.Errorf("%s: share %.4f, want %.4f", r, got, mix.Share(r))
		}
	}
	for k, want := range []float64{0.85, 0.1, 0.05} {
		if got := float64(kinds[k]) / n; !within(got, want, 0.005) {
			t.Errorf("%s: share %.4f, want %.4f", kindNames[k], got, want)
		}
	}
}

func TestPickerDeterministic(t *testing.T) {
	a, b := newPicker(testWorkload(t, nil), 5, 3), newPicker(testWorkload(t, nil), 5, 3)
	c := newPicker(testWorkload(t, nil), 5, 4)
	same := 0
	for range 1000 {
		_, _, ra := a.next()
		_, _, rb := b.next()
		_, _, rc := c.next()
		if string(ra.uri) != string(rb.uri) || string(ra.body) != string(rb.body) {
			t.Fatal("same seed and stream, different sequences")
		}
		if string(ra.uri) == string(rc.uri) && string(ra.body) == string(rc.body) {
			same++
		}
	}
	if same > 500 {
		t.Errorf("streams 3 and 4 agree on %d of 1000 requests", same)
	}
}

func TestZipf(t *testing.T) {
	const n, draws = 1000, 400_000
	for _, s := range []float64{0, 1.1, 1.5} {
		t.Run(strconv.FormatFloat(s, 'g', -1, 64), func(t *testing.T) {
			w := testWorkload(t, func(c *Config) { c.Zipf = s; c.MissRate, c.InvalidRate = 0, 0 })
			p := newPicker(w, 1, 1)
			counts := make([]int, n)
			for range draws {
				counts[p.index(RouteHer)]++
			}
			if s == 0 {
				for i, c := range counts {
					if !within(float64(c), draws/n, 0.25*draws/n) {
						t.Fatalf("uniform: id %d drawn %d times, want ≈ %d", i, c, draws/n)
					}
				}
				return
			}
			// P(k) ∝ 1/(1+k)^s: the ratio of rank 0 to rank 9 is 10^s.
			want := math.Pow(10, s)
			if got := float64(counts[0]) / float64(counts[9]); !within(got, want, 0.15*want) {
				t.Errorf("rank 0 / rank 9 = %.2f, want ≈ %.2f", got, want)
			}
			// The hottest 1 % of keys take a large share of requests.
			top := 0
			for _, c := range counts[:n/100] {
				top += c
			}
			if share := float64(top) / draws; share < 0.3 {
				t.Errorf("top 1%% of keys drew %.2f of requests", share)
			}
		})
	}
}

func TestZipfRanksAreShuffled(t *testing.T) {
	// The hot keys must not be the first ids of the dataset file.
	w := testWorkload(t, func(c *Config) { c.Zipf = 1.2 })
	ids := testIDs(1000)
	first := "/v1/communication-parties/" + ids[RouteHer][0]
	hits := w.sets[RouteHer].reqs[kindHit]
	if string(hits[0].uri) == first && string(hits[1].uri) == "/v1/communication-parties/"+ids[RouteHer][1] {
		t.Error("hits are in file order")
	}
	if len(hits) != 1000 {
		t.Errorf("%d hits, want 1000", len(hits))
	}
}

func TestMissAndInvalidIDs(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	valid := map[Route]string{RouteHer: "80001", RouteHPR: "1000017", RouteResh: "100100",
		RouteOrg: missID(RouteOrg, rng), RoutePerson: missID(RoutePerson, rng), RouteGP: missID(RouteGP, rng)}
	parse := func(r Route, id string) error {
		switch r {
		case RouteHer:
			_, err := registry.ParseSerial(registry.IDHerID, []byte(id))
			return err
		case RouteHPR:
			_, err := registry.ParseSerial(registry.IDHPR, []byte(id))
			return err
		case RouteResh:
			_, err := registry.ParseSerial(registry.IDReshID, []byte(id))
			return err
		case RouteOrg:
			_, err := registry.ParseOrgnr([]byte(id))
			return err
		default:
			_, _, err := registry.ParseNIN([]byte(id))
			return err
		}
	}
	for r := Route(0); r < NumRoutes; r++ {
		for range 2000 {
			m := missID(r, rng)
			if err := parse(r, m); err != nil {
				t.Fatalf("%s miss %q does not parse: %v", r, m, err)
			}
			switch r {
			case RouteOrg:
				if m[0] == '8' || m[0] == '9' {
					t.Fatalf("orgnr miss %s starts with 8 or 9", m)
				}
			case RoutePerson, RouteGP:
				_, info, _ := registry.ParseNIN([]byte(m))
				ind, _ := strconv.Atoi(m[6:9])
				yy, _ := strconv.Atoi(m[4:6])
				if info.Kind != registry.NINTnr || ind < 500 || ind > 749 || yy < 54 {
					t.Fatalf("person miss %s: kind %s, individnummer %d, year %d", m, info.Kind, ind, yy)
				}
			default:
				if v, _ := strconv.Atoi(m); v < 2_000_000_000 {
					t.Fatalf("serial miss %s below 2e9", m)
				}
			}
			bad := invalidID(r, valid[r], rng)
			if err := parse(r, bad); err == nil {
				t.Fatalf("%s invalid id %q parses", r, bad)
			}
		}
	}
}

func TestExpected(t *testing.T) {
	for _, tc := range []struct {
		k      kind
		status int
		want   bool
	}{
		{kindHit, 200, true}, {kindHit, 410, true}, {kindHit, 404, false},
		{kindMiss, 404, true}, {kindMiss, 200, false},
		{kindInvalid, 400, true}, {kindInvalid, 404, false}, {kindInvalid, 500, false},
	} {
		if got := tc.k.expected(tc.status); got != tc.want {
			t.Errorf("%s %d: %v", kindNames[tc.k], tc.status, got)
		}
	}
}
