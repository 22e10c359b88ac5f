package index

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/grunndata/grunndata/registry"
)

// Config configures a Store.
type Config struct {
	// Dir is the data directory (holding ACTIVE and snapshots/).
	Dir string
	// BlockCacheBytes sizes Pebble's block cache, shared by all open
	// generations. It is anonymous memory: size it to the hot working set,
	// since the OS page cache is evicted after about a minute idle.
	BlockCacheBytes int64
	// VerifyChecksumBytes: generations up to this size get the full
	// verification (SHA-256 of every file) before they are activated;
	// larger ones the quick one (every file present with its size). See
	// VerifyQuick. Negative: always quick.
	VerifyChecksumBytes int64
	// KeepStats is how many recent generations' counters are kept for
	// metrics and /readyz.
	KeepStats int
	// DrainTimeout bounds the wait for an earlier instance of a generation
	// being re-activated to lose its last reader (Pebble allows one open
	// per directory).
	DrainTimeout time.Duration
	// Logger receives activation and error logs; nil discards.
	Logger *slog.Logger
	// Resident says which generations keep all their data in memory
	// (ResidentAuto, ResidentOn, ResidentOff; see resident.go). A resident
	// generation has a block cache of its own, filled before the swap;
	// the others share BlockCacheBytes.
	Resident string
	// ResidentMarginBytes is the memory ResidentAuto leaves to everything
	// else (the answer cache, the runtime, the OS).
	ResidentMarginBytes int64
	// MemAvailable, when set, replaces the kernel's MemAvailable (tests).
	MemAvailable func() (int64, bool)
}

// DefaultConfig returns the defaults for dir.
func DefaultConfig(dir string) Config {
	return Config{
		Dir:                 dir,
		BlockCacheBytes:     512 << 20,
		VerifyChecksumBytes: 1 << 30,
		KeepStats:           8,
		DrainTimeout:        30 * time.Second,
		Resident:            ResidentAuto,
		ResidentMarginBytes: 2 << 30,
	}
}

// ActiveName is the file in the data directory naming the active generation.
const ActiveName = "ACTIVE"

// Store serves the active generation of a data directory.
type Store struct {
	cfg    Config
	log    *slog.Logger
	cache  *pebble.Cache
	active atomic.Pointer[Gen]

	activations atomic.Int64
	// actMu serialises activations, from the opening of the new generation
	// to the swap, and Close.
	actMu  sync.Mutex
	closed bool // under actMu

	mu struct {
		sync.Mutex
		activatedAt time.Time
		// open holds every generation not yet closed, by id: a
		// re-activated generation waits for its previous instance to
		// drain, because Pebble locks the directory.
		open map[string]*Gen
		// recent are the last KeepStats activated generations, oldest
		// first.
		recent []*Gen
		last   ActivationReport
	}
}

var _ registry.Store = (*Store)(nil)

// ErrNoRollbackTarget reports a rollback with no earlier good generation.
var ErrNoRollbackTarget = errors.New("no earlier generation to roll back to")

// SnapshotsDir returns DATADIR/snapshots.
func SnapshotsDir(dir string) string { return filepath.Join(dir, "snapshots") }

// Open opens the data directory: it removes half-built generations left by a
// crash and opens the active generation, if there is one. A Store without an
// active generation is valid; Acquire returns registry.ErrUnavailable.
//
// If the active generation does not verify (a damaged disk), the store
// serves the newest earlier generation of the history that does, logs an
// error, and leaves ACTIVE alone for the operator; when none does, Open fails.
func Open(cfg Config) (*Store, error) {
	def := DefaultConfig(cfg.Dir)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.BlockCacheBytes <= 0 {
		cfg.BlockCacheBytes = def.BlockCacheBytes
	}
	if cfg.VerifyChecksumBytes == 0 {
		cfg.VerifyChecksumBytes = def.VerifyChecksumBytes
	}
	if cfg.KeepStats <= 0 {
		cfg.KeepStats = def.KeepStats
	}
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = def.DrainTimeout
	}
	if cfg.Resident == "" {
		cfg.Resident = def.Resident
	}
	if !ValidResident(cfg.Resident) {
		return nil, fmt.Errorf("resident mode %q: want auto, on or off", cfg.Resident)
	}
	if cfg.ResidentMarginBytes <= 0 {
		cfg.ResidentMarginBytes = def.ResidentMarginBytes
	}
	if cfg.MemAvailable == nil {
		cfg.MemAvailable = memAvailable
	}
	if err := os.MkdirAll(SnapshotsDir(cfg.Dir), 0o755); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	if err := RemoveTemp(cfg.Dir, cfg.Logger); err != nil {
		return nil, err
	}
	s := &Store{cfg: cfg, log: cfg.Logger, cache: pebble.NewCache(cfg.BlockCacheBytes)}
	s.mu.open = map[string]*Gen{}
	id, err := ReadActive(cfg.Dir)
	if err != nil {
		s.cache.Unref()
		return nil, err
	}
	if id == "" {
		return s, nil
	}
	_, err = s.Activate(id)
	var ve *VerifyError
	if err == nil {
		return s, nil
	}
	if !errors.As(err, &ve) { // not the generation's fault: no fallback
		s.cache.Unref()
		return nil, err
	}
	cands, _ := RollbackCandidates(cfg.Dir)
	for _, c := range cands {
		if _, cerr := s.Activate(c); cerr == nil {
			s.log.Error("the active generation does not open; serving an earlier one (ACTIVE is unchanged: activate or roll back to fix)",
				"active", id, "err", err, "serving", c)
			return s, nil
		}
	}
	s.cache.Unref()
	return nil, err
}

// RemoveTemp deletes what crashes leave in dir/snapshots: half-built
// generations (<gen>.tmp) whose builder is gone (its flock on
// <gen>.tmp.lock is free; a live build in another process is left alone),
// and generations a prune was deleting (<gen>.del).
func RemoveTemp(dir string, log *slog.Logger) error {
	if _, err := os.Stat(SnapshotsDir(dir)); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	unlock, err := lockDataDir(dir)
	if err != nil {
		return err
	}
	defer unlock()
	_, err = removeTemp(dir, log)
	return err
}

// removeTemp is RemoveTemp under the data-directory lock; it returns the ids
// of the half-built generations it removed.
func removeTemp(dir string, log *slog.Logger) ([]string, error) {
	snaps := SnapshotsDir(dir)
	ents, err := os.ReadDir(snaps)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	var removed []string
	done := map[string]bool{}
	for _, e := range ents {
		name := e.Name()
		p := filepath.Join(snaps, name)
		switch {
		case strings.HasSuffix(name, ".del"):
			if err := os.RemoveAll(p); err != nil {
				return removed, fmt.Errorf("remove pruned generation: %w", err)
			}
		case strings.HasSuffix(name, ".tmp") || strings.HasSuffix(name, ".tmp.lock"):
			base := strings.TrimSuffix(strings.TrimSuffix(name, ".lock"), ".tmp")
			if !validGenID(base) || done[base] {
				continue
			}
			// The build lock tells a running load or delta (in any
			// process) from a dead one: the kernel drops it when its
			// holder dies.
			lk, err := lockFile(filepath.Join(snaps, base+".tmp.lock"), false)
			if errors.Is(err, errLocked) {
				continue // a live build
			}
			if err != nil {
				return removed, err
			}
			done[base] = true
			tmp := filepath.Join(snaps, base+".tmp")
			_, statErr := os.Stat(tmp)
			if statErr == nil && log != nil {
				log.Info("removing half-built generation", "dir", tmp)
			}
			err = os.RemoveAll(tmp)
			os.Remove(lk.Name())
			lk.Close()
			if err != nil {
				return removed, fmt.Errorf("remove half-built generation: %w", err)
			}
			if statErr == nil {
				removed = append(removed, base)
			}
		}
	}
	return removed, syncDir(snaps)
}

// ReadActive returns the id of the active generation of dir, or "" if none.
func ReadActive(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, ActiveName))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", nil
		}
		return "", fmt.Errorf("read active generation: %w", err)
	}
	id := strings.TrimSpace(string(b))
	if !validGenID(id) {
		return "", fmt.Errorf("active generation file names %q: not a generation id", id)
	}
	return id, nil
}

// ValidID reports whether id has the form of a generation id.
func ValidID(id string) bool { return validGenID(id) }

func validGenID(id string) bool {
	if len(id) != 6 {
		return false
	}
	for _, c := range id {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// ListGenerations returns the ids of complete generations in dir, ascending.
func ListGenerations(dir string) ([]string, error) {
	ents, err := os.ReadDir(SnapshotsDir(dir))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	var ids []string
	for _, e := range ents {
		if e.IsDir() && validGenID(e.Name()) {
			ids = append(ids, e.Name())
		}
	}
	sort.Strings(ids)
	return ids, nil
}

// nextGenID returns the id after the highest existing one (complete,
// half-built or being pruned). Call it holding the data-directory lock.
func nextGenID(dir string) (string, error) {
	ents, err := os.ReadDir(SnapshotsDir(dir))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	max := 0
	for _, e := range ents {
		name, _, _ := strings.Cut(e.Name(), ".")
		if validGenID(name) {
			var n int
			fmt.Sscanf(name, "%d", &n)
			if n > max {
				max = n
			}
		}
	}
	return fmt.Sprintf("%06d", max+1), nil
}

// Acquire implements registry.Store: it counts a request of the active
// generation and takes a reference, both on a shard of their own cache
// lines (see Gen). It takes no lock and does not allocate.
func (s *Store) Acquire() (registry.View, error) {
	sh, err := s.acquire()
	if err != nil {
		return nil, err
	}
	sh.requests.Add(1)
	return &sh.view, nil
}

// AcquireUncounted is Acquire for background work (the server's search
// catalog): a reference, but no request counted.
func (s *Store) AcquireUncounted() (registry.View, error) {
	sh, err := s.acquire()
	if err != nil {
		return nil, err
	}
	return &sh.view, nil
}

// acquire takes a reference of the active generation on a random shard.
func (s *Store) acquire() (*refShard, error) {
	for {
		g := s.active.Load()
		if g == nil {
			return nil, registry.ErrUnavailable
		}
		if sh := g.anyShard(); g.tryRef(sh) {
			return sh, nil
		}
		// g is retired: it was swapped out after we loaded it; reload.
	}
}

// AcquireGen is Acquire without counting a request (status and metrics).
// The caller must Release the generation.
func (s *Store) AcquireGen() (*Gen, error) {
	for {
		g := s.active.Load()
		if g == nil {
			return nil, registry.ErrUnavailable
		}
		if g.tryRef(&g.shards[0]) {
			return g, nil
		}
	}
}

// Active returns the active generation without taking a reference (for
// its id); nil when none is active. Do not read through it.
func (s *Store) Active() *Gen { return s.active.Load() }

// ActivatedAt returns when the active generation became active.
func (s *Store) ActivatedAt() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.activatedAt
}

// Activations counts swaps since start.
func (s *Store) Activations() int64 { return s.activations.Load() }

// ActivateOptions says how Store.ActivateWith activates.
type ActivateOptions struct {
	// Durable also writes the data directory's pointer (WriteActiveIf, or
	// WriteRollbackIf with Rollback) once the new generation is verified,
	// open and warm, and before the swap: a failure to write leaves the
	// old generation serving, and a crash after the write restarts on the
	// new one. The write is a compare-and-set against the pointer read when
	// the activation started: when a load, delta, CLI or other activation
	// changed it meanwhile, the activation fails with ErrActiveChanged
	// rather than undo that change.
	Durable bool
	// Rollback records the activation as a rollback in the history.
	Rollback bool
	// FullVerify checksums every file whatever the generation's size.
	FullVerify bool
	// Warm, when set, is called with the new generation before the swap
	// (e.g. to read the old generation's hottest keys into the cache); it
	// returns how many keys it read. The view is valid during the call only.
	Warm func(v registry.View) int
}

// ActivationReport is what one activation did and how long each phase took.
type ActivationReport struct {
	Generation string
	Previous   string // "" when none was active
	// Replaced is, for a durable activation, the generation the data
	// directory's ACTIVE pointer named before the write ("" for none); it
	// can differ from Previous while this process follows the pointer.
	Replaced   string
	Rollback   bool
	NoOp       bool // the generation was already active
	At         time.Time
	FullVerify bool
	Warmed     int
	// Resident: the generation's data was read into a block cache of its
	// own before the swap (Fill), ResidentBytes of it; ResidentNeed is
	// the estimate it was sized by. NotResident says why not.
	Resident                    bool
	ResidentNeed, ResidentBytes int64
	NotResident                 string
	// Phases, in order.
	Verify, Open, Fill, Warm, Write, Swap time.Duration
	// OldDrained is the time from the swap until the previous generation's
	// last reader released it, OldClosed until its Pebble DB was closed;
	// both 0 until then (see Store.LastActivation).
	OldDrained, OldClosed time.Duration
}

// Activate opens generation id and swaps it in, in this process only (see
// WriteActive for the durable pointer). Requests in flight finish on the old
// generation, which closes when its last reader leaves. Activating the
// generation that is already active is a no-op.
func (s *Store) Activate(id string) (ActivationReport, error) {
	return s.ActivateWith(id, ActivateOptions{})
}

// ActivateWith verifies, opens and optionally warms generation id, makes it
// durable if asked, and swaps it in. The active generation keeps serving
// whatever fails, and the error says what.
func (s *Store) ActivateWith(id string, opts ActivateOptions) (ActivationReport, error) {
	s.actMu.Lock()
	defer s.actMu.Unlock()
	var expect string
	if opts.Durable {
		var err error
		if expect, err = ReadActive(s.cfg.Dir); err != nil {
			return ActivationReport{Generation: id, Rollback: opts.Rollback, At: time.Now()}, err
		}
	}
	return s.activateLocked(id, expect, opts)
}

// Follow activates the generation the data directory's ACTIVE pointer
// names, if it is not the active one (a server following activations made
// by the CLI or a load). The pointer is read holding the activation lock,
// so a follow that raced with a durable activation in this process never
// reverts it to the pointer's older value. It returns the id it found and
// whether it swapped.
func (s *Store) Follow(opts ActivateOptions) (id string, swapped bool, rep ActivationReport, err error) {
	s.actMu.Lock()
	defer s.actMu.Unlock()
	if s.closed {
		return "", false, rep, nil
	}
	id, err = ReadActive(s.cfg.Dir)
	if err != nil || id == "" {
		return id, false, rep, err
	}
	if g := s.active.Load(); g != nil && g.id == id {
		return id, false, rep, nil
	}
	opts.Durable, opts.Rollback = false, false
	rep, err = s.activateLocked(id, "", opts)
	return id, err == nil, rep, err
}

// Rollback activates, durably, the newest earlier generation of the
// activation history that verifies and opens (see RollbackCandidates), and
// pops the history down to it. It fails with ErrActiveChanged, trying no
// further candidate, when the pointer changed since the candidates were
// read.
func (s *Store) Rollback(opts ActivateOptions) (ActivationReport, error) {
	s.actMu.Lock()
	defer s.actMu.Unlock()
	expect, err := ReadActive(s.cfg.Dir)
	if err != nil {
		return ActivationReport{}, err
	}
	cands, err := RollbackCandidates(s.cfg.Dir)
	if err != nil {
		return ActivationReport{}, err
	}
	opts.Durable, opts.Rollback = true, true
	var errs []error
	for _, c := range cands {
		if g := s.active.Load(); g != nil && g.id == c {
			continue
		}
		rep, err := s.activateLocked(c, expect, opts)
		if err == nil || errors.Is(err, ErrActiveChanged) {
			return rep, err
		}
		s.log.Error("rollback candidate refused", "generation", c, "err", err)
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return ActivationReport{}, fmt.Errorf("%w: %w", ErrNoRollbackTarget, errors.Join(errs...))
	}
	return ActivationReport{}, ErrNoRollbackTarget
}

// errClosed reports an activation after Close.
var errClosed = errors.New("store closed")

// activateLocked activates id; when opts.Durable, it writes the pointer if
// it still names expect.
func (s *Store) activateLocked(id, expect string, opts ActivateOptions) (ActivationReport, error) {
	rep := ActivationReport{Generation: id, Rollback: opts.Rollback, At: time.Now()}
	if opts.Durable {
		rep.Replaced = expect
	}
	if s.closed {
		return rep, errClosed
	}
	if !validGenID(id) {
		return rep, fmt.Errorf("%q is not a generation id", id)
	}
	cur := s.active.Load()
	if cur != nil {
		rep.Previous = cur.id
		if cur.id == id {
			rep.NoOp = true
			if opts.Durable && expect != id {
				if err := s.writePointer(expect, id, opts); err != nil {
					return rep, err
				}
			}
			return rep, nil
		}
	}

	start := time.Now()
	m, err := verify(s.cfg.Dir, id, false)
	if err == nil && (opts.FullVerify || m.SizeBytes <= s.cfg.VerifyChecksumBytes) {
		rep.FullVerify = true
		_, err = verify(s.cfg.Dir, id, true)
	}
	rep.Verify = time.Since(start)
	if err != nil {
		return rep, err
	}

	if err := s.waitDrained(id); err != nil {
		return rep, err
	}
	start = time.Now()
	gdir := filepath.Join(SnapshotsDir(s.cfg.Dir), id)
	cache := s.cache
	rep.ResidentNeed, rep.Resident, rep.NotResident = s.residentPlan(gdir)
	if rep.Resident {
		cache = pebble.NewCache(rep.ResidentNeed + rep.ResidentNeed/4)
	}
	var g *Gen
	for wait := 10 * time.Millisecond; ; wait *= 2 {
		g, err = openGen(gdir, cache, s.log)
		if err == nil || !lockBusy(err) || time.Since(start) > 5*time.Second {
			break
		}
		// Another process has it open for a moment (`snapshots verify`).
		time.Sleep(wait)
	}
	if rep.Resident {
		cache.Unref() // the DB holds its own reference: the cache goes with it
	}
	if err != nil {
		var ve *VerifyError
		switch {
		case lockBusy(err):
			err = fmt.Errorf("generation %s is held open by another process: %w", id, err)
		case !errors.As(err, &ve):
			err = refuse(id, "%v", err)
		}
		return rep, err
	}
	s.mu.Lock()
	s.mu.open[id] = g
	s.mu.Unlock()
	rep.Open = time.Since(start)
	if rep.Resident {
		start = time.Now()
		if _, err := g.fill(); err != nil {
			g.retire()
			return rep, refuse(id, "read into memory: %v", err)
		}
		rep.Fill = time.Since(start)
		rep.ResidentBytes = g.db.Metrics().BlockCache.Size
		g.resident = true
	}

	if opts.Warm != nil {
		start = time.Now()
		rep.Warmed = opts.Warm(g)
		rep.Warm = time.Since(start)
	}
	if opts.Durable {
		start = time.Now()
		if err := s.writePointer(expect, id, opts); err != nil {
			g.retire()
			return rep, err
		}
		rep.Write = time.Since(start)
	}

	start = time.Now()
	old := s.active.Swap(g)
	swapped := time.Now()
	rep.Swap = swapped.Sub(start)
	s.activations.Add(1)
	s.mu.Lock()
	s.mu.activatedAt = swapped
	g.activatedAt = swapped
	if old != nil {
		old.deactivatedAt = swapped
	}
	s.mu.recent = append(s.mu.recent, g)
	if len(s.mu.recent) > s.cfg.KeepStats {
		s.mu.recent = s.mu.recent[len(s.mu.recent)-s.cfg.KeepStats:]
	}
	s.mu.last = rep
	s.mu.Unlock()
	if old == nil {
		s.logActivation(rep)
		return rep, nil
	}
	old.retire()
	go func(rep ActivationReport) {
		select {
		case <-old.closed:
		case <-time.After(time.Minute):
			s.log.Warn("the previous generation still has readers a minute after the swap", "generation", old.id)
			<-old.closed
		}
		rep.OldDrained = old.drainedAt.Sub(swapped)
		rep.OldClosed = old.closedAt.Sub(swapped)
		s.mu.Lock()
		if s.mu.last.Generation == rep.Generation && s.mu.last.At.Equal(rep.At) {
			s.mu.last = rep
		}
		s.mu.Unlock()
		s.logActivation(rep)
	}(rep)
	return rep, nil
}

func (s *Store) writePointer(expect, id string, opts ActivateOptions) error {
	if opts.Rollback {
		return WriteRollbackIf(s.cfg.Dir, expect, id)
	}
	return WriteActiveIf(s.cfg.Dir, expect, id)
}

func (s *Store) logActivation(r ActivationReport) {
	ms := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }
	attrs := []any{"generation", r.Generation, "previous", r.Previous, "rollback", r.Rollback,
		"verify_ms", ms(r.Verify), "full_verify", r.FullVerify, "open_ms", ms(r.Open),
		"resident", r.Resident, "resident_mib", r.ResidentBytes >> 20, "fill_ms", ms(r.Fill),
		"warm_ms", ms(r.Warm), "warmed_keys", r.Warmed, "write_ms", ms(r.Write), "swap_ms", ms(r.Swap)}
	if r.NotResident != "" {
		attrs = append(attrs, "not_resident", r.NotResident)
	}
	if r.Previous != "" {
		attrs = append(attrs, "old_drained_ms", ms(r.OldDrained), "old_closed_ms", ms(r.OldClosed))
	}
	s.log.Info("generation active", attrs...)
}

// waitDrained waits until no earlier instance of generation id is open.
func (s *Store) waitDrained(id string) error {
	s.mu.Lock()
	g := s.mu.open[id]
	s.mu.Unlock()
	if g == nil {
		return nil
	}
	select {
	case <-g.closed:
		return nil
	case <-time.After(s.cfg.DrainTimeout):
		return fmt.Errorf("generation %s: its previous activation still has readers after %s", id, s.cfg.DrainTimeout)
	}
}

// LastActivation returns the report of the latest activation; its
// OldDrained and OldClosed are filled in once the old generation closed.
func (s *Store) LastActivation() (ActivationReport, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.last, !s.mu.last.At.IsZero()
}

// GenStats is what one generation served while this process had it open.
type GenStats struct {
	Generation string
	Seq        uint64
	Active     bool
	// ActivatedAt and DeactivatedAt bound its time as the active one
	// (DeactivatedAt zero while active); ClosedAt is when its Pebble DB
	// closed (zero while open).
	ActivatedAt, DeactivatedAt, ClosedAt time.Time
	// Requests counts lookups that acquired it; Reads the store reads it
	// answered (cache misses and warm-up).
	Requests, Reads int64
}

// Generations returns the counters of the last Config.KeepStats activated
// generations, newest first.
func (s *Store) Generations() []GenStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	act := s.active.Load()
	out := make([]GenStats, 0, len(s.mu.recent))
	for i := len(s.mu.recent) - 1; i >= 0; i-- {
		g := s.mu.recent[i]
		st := GenStats{Generation: g.id, Seq: g.seq, Active: g == act, ActivatedAt: g.activatedAt,
			DeactivatedAt: g.deactivatedAt, Requests: g.Requests(), Reads: g.Served()}
		select {
		case <-g.closed:
			st.ClosedAt = g.closedAt
		default:
		}
		out = append(out, st)
	}
	return out
}

// OpenGenerations counts generations whose Pebble DB is open (the active
// one and those still draining readers).
func (s *Store) OpenGenerations() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for id, g := range s.mu.open {
		select {
		case <-g.closed:
			delete(s.mu.open, id)
		default:
			n++
		}
	}
	return n
}

// Dir returns the data directory.
func (s *Store) Dir() string { return s.cfg.Dir }

// Close releases the active generation and waits for every generation to
// close.
func (s *Store) Close() error {
	s.actMu.Lock()
	defer s.actMu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	g := s.active.Swap(nil)
	if g != nil {
		g.retire()
	}
	s.mu.Lock()
	open := make([]*Gen, 0, len(s.mu.open))
	for _, o := range s.mu.open {
		open = append(open, o)
	}
	s.mu.Unlock()
	var errs []error
	for _, o := range open {
		select {
		case <-o.closed:
			errs = append(errs, o.closeErr)
		case <-time.After(s.cfg.DrainTimeout):
			errs = append(errs, fmt.Errorf("generation %s still has readers", o.id))
		}
	}
	s.cache.Unref()
	return errors.Join(errs...)
}
