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
	// Logger receives activation and error logs; nil discards.
	Logger *slog.Logger
}

// DefaultConfig returns the defaults for dir.
func DefaultConfig(dir string) Config {
	return Config{Dir: dir, BlockCacheBytes: 512 << 20}
}

// ActiveName is the file in the data directory naming the active generation.
const ActiveName = "ACTIVE"

// Store serves the active generation of a data directory.
type Store struct {
	cfg    Config
	log    *slog.Logger
	cache  *pebble.Cache
	active atomic.Pointer[Gen]

	mu struct {
		sync.Mutex
		activatedAt time.Time
	}
	activations atomic.Int64
}

var _ registry.Store = (*Store)(nil)

// SnapshotsDir returns DATADIR/snapshots.
func SnapshotsDir(dir string) string { return filepath.Join(dir, "snapshots") }

// Open opens the data directory: it removes half-built generations left by a
// crash and opens the active generation, if there is one. A Store without an
// active generation is valid; Acquire returns registry.ErrUnavailable.
func Open(cfg Config) (*Store, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.BlockCacheBytes <= 0 {
		cfg.BlockCacheBytes = DefaultConfig(cfg.Dir).BlockCacheBytes
	}
	if err := os.MkdirAll(SnapshotsDir(cfg.Dir), 0o755); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	if err := RemoveTemp(cfg.Dir, cfg.Logger); err != nil {
		return nil, err
	}
	s := &Store{cfg: cfg, log: cfg.Logger, cache: pebble.NewCache(cfg.BlockCacheBytes)}
	id, err := ReadActive(cfg.Dir)
	if err != nil {
		s.cache.Unref()
		return nil, err
	}
	if id != "" {
		if _, err := s.Activate(id); err != nil {
			s.cache.Unref()
			return nil, err
		}
	}
	return s, nil
}

// RemoveTemp deletes half-built generations (*.tmp) in dir/snapshots.
func RemoveTemp(dir string, log *slog.Logger) error {
	ents, err := os.ReadDir(SnapshotsDir(dir))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".tmp") {
			p := filepath.Join(SnapshotsDir(dir), e.Name())
			if log != nil {
				log.Info("removing half-built generation", "dir", p)
			}
			if err := os.RemoveAll(p); err != nil {
				return fmt.Errorf("remove half-built generation: %w", err)
			}
		}
	}
	return nil
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

// WriteActive durably makes id the active generation of dir.
func WriteActive(dir, id string) error {
	if !validGenID(id) {
		return fmt.Errorf("%q is not a generation id", id)
	}
	return writeFileSync(filepath.Join(dir, ActiveName), []byte(id+"\n"))
}

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

// nextGenID returns the id after the highest existing one (complete or not).
func nextGenID(dir string) (string, error) {
	ents, err := os.ReadDir(SnapshotsDir(dir))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	max := 0
	for _, e := range ents {
		name := strings.TrimSuffix(e.Name(), ".tmp")
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

// Acquire implements registry.Store. It takes no lock.
func (s *Store) Acquire() (registry.View, error) {
	for {
		g := s.active.Load()
		if g == nil {
			return nil, registry.ErrUnavailable
		}
		if g.tryRef() {
			return g, nil
		}
		// g is closing: it was swapped out after we loaded it; reload.
	}
}

// Active returns the active generation without taking a reference (for
// metrics and status); nil when none is active.
func (s *Store) Active() *Gen { return s.active.Load() }

// ActivatedAt returns when the active generation became active.
func (s *Store) ActivatedAt() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.activatedAt
}

// Activations counts swaps since start.
func (s *Store) Activations() int64 { return s.activations.Load() }

// ActivationTimings reports the phases of one activation.
type ActivationTimings struct {
	Open, Swap time.Duration
}

// Activate opens generation id and swaps it in, in this process only (see
// WriteActive for the durable pointer). Requests in flight finish on the old
// generation, which closes when its last reader leaves. Activating the
// generation that is already active is a no-op.
func (s *Store) Activate(id string) (ActivationTimings, error) {
	var t ActivationTimings
	if !validGenID(id) {
		return t, fmt.Errorf("%q is not a generation id", id)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur := s.active.Load(); cur != nil && cur.id == id {
		return t, nil
	}
	start := time.Now()
	g, err := openGen(filepath.Join(SnapshotsDir(s.cfg.Dir), id), s.cache, s.log)
	if err != nil {
		return t, err
	}
	t.Open = time.Since(start)
	start = time.Now()
	old := s.active.Swap(g)
	s.mu.activatedAt = time.Now()
	t.Swap = time.Since(start)
	s.activations.Add(1)
	if old != nil {
		old.Release()
	}
	s.log.Info("generation active", "generation", id, "open", t.Open, "swap", t.Swap)
	return t, nil
}

// Dir returns the data directory.
func (s *Store) Dir() string { return s.cfg.Dir }

// Close releases the active generation and waits for it to close.
func (s *Store) Close() error {
	g := s.active.Swap(nil)
	if g != nil {
		g.Release()
		<-g.closed
	}
	s.cache.Unref()
	if g != nil {
		return g.closeErr
	}
	return nil
}
