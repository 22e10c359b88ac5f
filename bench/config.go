package bench

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Route is one kind of lookup the harness sends.
type Route uint8

// The routes of the EPJ mix.
const (
	RouteHer    Route = iota // GET /v1/communication-parties/{herId}
	RouteOrg                 // GET /v1/organisations/{orgnr}
	RoutePerson              // POST /v1/persons/lookup {"nin"}
	RouteHPR                 // GET /v1/personnel/{hpr}
	RouteGP                  // POST /v1/gp/lookup {"nin"}
	RouteResh                // GET /v1/resh/{reshId}
	NumRoutes
)

type routeInfo struct {
	name string // in --mix and reports
	post bool   // POST {"nin":…} to path; else GET path+id
	path string
}

var routeInfos = [NumRoutes]routeInfo{
	RouteHer:    {"her", false, "/v1/communication-parties/"},
	RouteOrg:    {"org", false, "/v1/organisations/"},
	RoutePerson: {"person", true, "/v1/persons/lookup"},
	RouteHPR:    {"hpr", false, "/v1/personnel/"},
	RouteGP:     {"gp", true, "/v1/gp/lookup"},
	RouteResh:   {"resh", false, "/v1/resh/"},
}

// String returns the route's name in --mix.
func (r Route) String() string {
	if r < NumRoutes {
		return routeInfos[r].name
	}
	return "route(" + strconv.Itoa(int(r)) + ")"
}

// Method returns GET or POST.
func (r Route) Method() string {
	if routeInfos[r].post {
		return "POST"
	}
	return "GET"
}

// Path returns the URL path of a lookup of id; for POST routes the id goes
// in the body instead.
func (r Route) Path(id string) string {
	if routeInfos[r].post {
		return routeInfos[r].path
	}
	return routeInfos[r].path + id
}

// ParseRoute returns the route named s.
func ParseRoute(s string) (Route, error) {
	for r := Route(0); r < NumRoutes; r++ {
		if routeInfos[r].name == s {
			return r, nil
		}
	}
	return 0, fmt.Errorf("unknown route %q (want one of %s)", s, strings.Join(routeNames(), ", "))
}

func routeNames() []string {
	var out []string
	for r := Route(0); r < NumRoutes; r++ {
		out = append(out, routeInfos[r].name)
	}
	return out
}

// Mix holds the relative weight of each route; they need not add up to 100.
type Mix [NumRoutes]float64

// DefaultMix is an EPJ system's traffic: organisation lookups (HER-id and
// orgnr) are about three quarters of NHN's grunndata calls.
const DefaultMix = "her=55,org=15,person=15,hpr=7,gp=5,resh=3"

// ParseMix parses "her=55,org=15,…": route=weight pairs separated by commas.
// Routes left out get weight 0; at least one weight must be positive.
func ParseMix(s string) (Mix, error) {
	var m Mix
	var seen [NumRoutes]bool
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, w, ok := strings.Cut(part, "=")
		if !ok {
			return Mix{}, fmt.Errorf("mix: %q is not route=weight", part)
		}
		r, err := ParseRoute(strings.TrimSpace(name))
		if err != nil {
			return Mix{}, fmt.Errorf("mix: %w", err)
		}
		if seen[r] {
			return Mix{}, fmt.Errorf("mix: %s given twice", r)
		}
		seen[r] = true
		v, err := strconv.ParseFloat(strings.TrimSpace(w), 64)
		if err != nil || v < 0 || v != v || v > 1e9 {
			return Mix{}, fmt.Errorf("mix: weight %q of %s is not a number ≥ 0", w, r)
		}
		m[r] = v
	}
	if m.total() == 0 {
		return Mix{}, fmt.Errorf("mix: %q gives no route a positive weight", s)
	}
	return m, nil
}

func (m Mix) total() float64 {
	t := 0.0
	for _, w := range m {
		t += w
	}
	return t
}

// String returns the mix as ParseMix reads it, routes with weight 0 left out.
func (m Mix) String() string {
	var parts []string
	for r := Route(0); r < NumRoutes; r++ {
		if m[r] > 0 {
			parts = append(parts, r.String()+"="+strconv.FormatFloat(m[r], 'g', -1, 64))
		}
	}
	return strings.Join(parts, ",")
}

// Share returns route r's share of the requests, in [0, 1].
func (m Mix) Share(r Route) float64 {
	t := m.total()
	if t == 0 {
		return 0
	}
	return m[r] / t
}

// Config configures a run. The zero value is not usable; start from
// DefaultConfig.
type Config struct {
	// Target is the API's base URL, http://host:port or https://host:port,
	// or several comma-separated (connection i sends to target i mod n).
	Target string
	// Duration is how long requests are sent (or, in open loop, how long
	// requests are scheduled for).
	Duration time.Duration
	// Rate is the open-loop arrival rate in requests per second; 0 runs a
	// closed loop.
	Rate float64
	// Connections is the size of the connection pool and the number of
	// requests in flight at most. In open loop, requests that find every
	// connection busy wait, and their waiting counts as latency.
	Connections int
	// Mix weights the routes.
	Mix Mix
	// MissRate is the share of requests for well-formed identifiers that do
	// not exist (valid check digits, absent from every dataset the generator
	// writes); InvalidRate the share for malformed identifiers.
	MissRate, InvalidRate float64
	// Zipf, when > 1, makes key popularity zipfian with exponent s = Zipf
	// (rank k is drawn with probability ∝ 1/(1+k)^s) over a random ordering
	// of the ids; otherwise every id is equally likely.
	Zipf float64
	// IDs are the identifiers to look up. If nil, Run loads them from
	// IDsFrom (at most MaxIDs per route).
	IDs     *IDs
	IDsFrom string
	MaxIDs  int
	// Seed makes the request sequence (routes, kinds, keys) reproducible.
	Seed uint64
	// AuthToken, when set, is sent as "Authorization: Bearer …" on every
	// request, admin requests included.
	AuthToken string
	// Timeout bounds one request (read and write). A request that times out
	// is a transport error.
	Timeout time.Duration
	// Drain is how long, after Duration, an open-loop run keeps sending
	// requests that were due before the end but could not be sent yet.
	// Those still unsent then are reported as Unsent.
	Drain time.Duration
	// Admin is the admin listener's base URL; with ActivateEvery > 0 the
	// harness alternates the two newest generations every ActivateEvery
	// (POST {Admin}/admin/snapshots/{gen}/activate).
	Admin         string
	ActivateEvery time.Duration
	// Progress receives one line per second while running; nil: none.
	Progress io.Writer
}

// DefaultConfig returns the defaults: a 10 s closed loop on 50 connections
// with the EPJ mix, 5 % misses, 1 % invalid identifiers and zipfian
// popularity (s = 1.1).
func DefaultConfig() Config {
	mix, err := ParseMix(DefaultMix)
	if err != nil {
		panic("BUG: " + err.Error())
	}
	return Config{
		Target:      "http://127.0.0.1:8080",
		Duration:    10 * time.Second,
		Connections: 50,
		Mix:         mix,
		MissRate:    0.05,
		InvalidRate: 0.01,
		Zipf:        1.1,
		MaxIDs:      100_000,
		Seed:        1,
		Timeout:     5 * time.Second,
		Drain:       2 * time.Second,
	}
}

func (c *Config) validate() error {
	switch {
	case c.Duration <= 0:
		return fmt.Errorf("duration must be positive")
	case c.Connections <= 0:
		return fmt.Errorf("connections must be positive")
	case c.Rate < 0 || c.Rate != c.Rate:
		return fmt.Errorf("rate must be ≥ 0")
	case c.MissRate < 0 || c.InvalidRate < 0 || c.MissRate+c.InvalidRate > 1:
		return fmt.Errorf("miss rate and invalid rate must be ≥ 0 and add up to at most 1")
	case c.Zipf != 0 && c.Zipf <= 1:
		return fmt.Errorf("zipf exponent must be > 1 (or 0 for uniform)")
	case c.Mix.total() == 0:
		return fmt.Errorf("the mix gives no route a positive weight")
	case c.Timeout <= 0:
		return fmt.Errorf("timeout must be positive")
	case c.ActivateEvery > 0 && c.Admin == "":
		return fmt.Errorf("activating generations needs the admin URL")
	}
	return nil
}
