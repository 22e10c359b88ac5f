package index

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"

	"github.com/cockroachdb/pebble/v2"

	"github.com/grunndata/grunndata/registry"
)

// AINStore is the durable store of allocated AINs (registry.AINStore): a
// read-write Pebble DB in DATADIR/ain, never part of a snapshot generation,
// so reloads and rollbacks keep every AIN. Each allocation is written with a
// synced WAL commit before it is returned; concurrent allocations share
// fsyncs through Pebble's commit pipeline. Uniqueness: a number is reserved
// under a mutex (checked against the store, numbers being written, and the
// caller's taken func) before it is written; Pebble's directory lock keeps a
// second process out.
type AINStore struct {
	db  *pebble.DB
	mu  sync.Mutex
	res map[registry.NIN]struct{} // reserved, being written
}

var _ registry.AINStore = (*AINStore)(nil)

// AINDir is the AIN store's directory in a data directory.
func AINDir(dataDir string) string { return filepath.Join(dataDir, "ain") }

// OpenAINStore opens (or creates) the AIN store of dataDir.
func OpenAINStore(dataDir string, log *slog.Logger) (*AINStore, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts := pebbleOptions(pebble.NewCache(16<<20), log)
	db, err := pebble.Open(AINDir(dataDir), opts)
	opts.Cache.Unref()
	if err != nil {
		return nil, fmt.Errorf("open AIN store: %w", err)
	}
	return &AINStore{db: db, res: map[registry.NIN]struct{}{}}, nil
}

func (s *AINStore) exists(n registry.NIN) (bool, error) {
	k := registry.PersonKey(n)
	_, c, err := s.db.Get(k.Bytes())
	if err == pebble.ErrNotFound {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	c.Close()
	return true, nil
}

// Allocate implements registry.AINStore.
func (s *AINStore) Allocate(build func(n registry.NIN) []byte, taken func(n registry.NIN) bool) (registry.NIN, []byte, error) {
	var n registry.NIN
	found := false
	for try := 0; try < 1000 && !found; try++ {
		n = registry.RandomAIN()
		s.mu.Lock()
		_, busy := s.res[n]
		if !busy {
			ex, err := s.exists(n)
			if err != nil {
				s.mu.Unlock()
				return n, nil, err
			}
			busy = ex || (taken != nil && taken(n))
		}
		if !busy {
			s.res[n] = struct{}{}
			found = true
		}
		s.mu.Unlock()
	}
	if !found {
		return n, nil, registry.ErrAINExhausted
	}
	defer func() {
		s.mu.Lock()
		delete(s.res, n)
		s.mu.Unlock()
	}()
	val := registry.AppendValue(nil, 0, build(n), nil)
	k := registry.PersonKey(n)
	if err := s.db.Set(k.Bytes(), val, pebble.Sync); err != nil {
		return n, nil, fmt.Errorf("store AIN: %w", err)
	}
	return n, val, nil
}

// Get implements registry.AINStore.
func (s *AINStore) Get(dst []byte, key *registry.Key) ([]byte, error) {
	return getInto(s.db, dst, key.Bytes())
}

// Scan implements registry.AINStore.
func (s *AINStore) Scan(fn func(n registry.NIN, value []byte) bool) error {
	it, err := s.db.NewIter(nil)
	if err != nil {
		return err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		if len(k) != 12 {
			continue
		}
		var n registry.NIN
		copy(n[:], k[1:])
		if !fn(n, it.Value()) {
			break
		}
	}
	return it.Error()
}

// Verify checks the store's invariants: every key is a person key holding a
// valid AIN (first digit 8 or 9, check digits), whose value decodes and names
// the same number. It returns the number of AINs.
func (s *AINStore) Verify() (int64, error) {
	it, err := s.db.NewIter(nil)
	if err != nil {
		return 0, err
	}
	defer it.Close()
	var n int64
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		if len(k) != 12 || registry.Register(k[0]) != registry.RegPerson {
			return n, fmt.Errorf("key %q is not an AIN key", k)
		}
		nin, info, err := registry.ParseNIN(k[1:])
		if err != nil || info.Kind != registry.NINAin {
			return n, fmt.Errorf("key %d holds an invalid AIN: %v", n, err)
		}
		_, full, _, err := registry.DecodeValue(it.Value())
		if err != nil {
			return n, fmt.Errorf("AIN %d: %w", n, err)
		}
		if !containsNIN(full, nin) {
			return n, fmt.Errorf("AIN %d: the stored person names another number", n)
		}
		n++
	}
	return n, it.Error()
}

func containsNIN(b []byte, n registry.NIN) bool {
	want := `"nin":"` + string(n[:]) + `"`
	for i := 0; i+len(want) <= len(b); i++ {
		if string(b[i:i+len(want)]) == want {
			return true
		}
	}
	return false
}

// Close closes the store.
func (s *AINStore) Close() error { return s.db.Close() }
