package index

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cockroachdb/pebble/v2"

	"github.com/grunndata/grunndata/registry"
)

// Snapshot is a read-only copy of a complete generation opened beside a
// build (to compare a new load with the generation it replaces). It is a
// hard-linked clone, so a server holding the generation open is no obstacle.
type Snapshot struct {
	db  *pebble.DB
	dir string
}

// OpenPrevious clones generation id into the builder's scratch space and
// opens it read-only. Close it before Commit.
func (b *Builder) OpenPrevious(id string) (*Snapshot, error) {
	if !validGenID(id) {
		return nil, fmt.Errorf("%q is not a generation id", id)
	}
	dir := filepath.Join(b.tmp, "build", "prev-"+id)
	if err := cloneGen(filepath.Join(SnapshotsDir(b.cfg.Dir), id), dir); err != nil {
		return nil, fmt.Errorf("copy generation %s: %w", id, err)
	}
	opts := pebbleOptions(nil, b.log)
	db, err := pebble.Open(dir, opts)
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("open generation %s: %w", id, err)
	}
	return &Snapshot{db: db, dir: dir}, nil
}

// Scan calls fn for each key with prefix in order.
func (s *Snapshot) Scan(prefix []byte, fn func(k, v []byte) bool) error {
	return scanDB(s.db, prefix, nil, fn)
}

// Get appends the value of key to dst or returns registry.ErrNotFound.
func (s *Snapshot) Get(dst []byte, key []byte) ([]byte, error) { return getInto(s.db, dst, key) }

// getInto appends the value of key in db to dst; a missing key is the bare
// registry.ErrNotFound. Every point read of the package goes through it.
func getInto(db *pebble.DB, dst, key []byte) ([]byte, error) {
	v, c, err := db.Get(key)
	if err == pebble.ErrNotFound {
		return dst, registry.ErrNotFound
	}
	if err != nil {
		return dst, err
	}
	dst = append(dst, v...)
	c.Close()
	return dst, nil
}

// Close closes and removes the copy.
func (s *Snapshot) Close() error {
	err := s.db.Close()
	os.RemoveAll(s.dir)
	return err
}

// Scan calls fn for each flushed key with prefix, from prefix+from on.
func (b *Builder) Scan(prefix, from []byte, fn func(k, v []byte) bool) error {
	return scanDB(b.db, prefix, from, fn)
}

// GetRaw appends the flushed value of key to dst or returns
// registry.ErrNotFound (keys of any length, unlike Get).
func (b *Builder) GetRaw(dst []byte, key []byte) ([]byte, error) { return getInto(b.db, dst, key) }

func scanDB(db *pebble.DB, prefix, from []byte, fn func(k, v []byte) bool) error {
	it, err := db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixUpper(prefix)})
	if err != nil {
		return err
	}
	start := prefix
	if len(from) > 0 {
		start = append(append([]byte(nil), prefix...), from...)
	}
	for ok := it.SeekGE(start); ok; ok = it.Next() {
		if !bytes.HasPrefix(it.Key(), prefix) || !fn(it.Key(), it.Value()) {
			break
		}
	}
	err = it.Error()
	if cerr := it.Close(); err == nil {
		err = cerr
	}
	return err
}

// Iter walks the keys of one prefix in order.
type Iter struct{ it *pebble.Iterator }

// First positions at the first key; Next at the next one. Both report
// whether there is one.
func (i *Iter) First() bool { return i.it.First() }
func (i *Iter) Next() bool  { return i.it.Next() }

// Key and Value are valid until the next move.
func (i *Iter) Key() []byte   { return i.it.Key() }
func (i *Iter) Value() []byte { return i.it.Value() }

// Close releases the iterator and returns its first error.
func (i *Iter) Close() error {
	err := i.it.Error()
	if cerr := i.it.Close(); err == nil {
		err = cerr
	}
	return err
}

func newIter(db *pebble.DB, prefix []byte) (*Iter, error) {
	it, err := db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixUpper(prefix)})
	if err != nil {
		return nil, err
	}
	return &Iter{it}, nil
}

// Iter returns an iterator over prefix in the snapshot.
func (s *Snapshot) Iter(prefix []byte) (*Iter, error) { return newIter(s.db, prefix) }

// Iter returns an iterator over the builder's flushed keys with prefix.
func (b *Builder) Iter(prefix []byte) (*Iter, error) { return newIter(b.db, prefix) }
