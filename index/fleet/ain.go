package fleet

import (
	"context"
	"errors"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/grunndata/grunndata/registry"
)

// AINStore is registry.AINStore across the fleet: an allocation reserves
// the number with a create-only put in the replicated KV bucket
// grunndata-ain (a number another replica holds is refused by JetStream,
// and another is drawn), so two replicas can never issue the same AIN.
// Every replica watches the bucket and keeps every AIN in memory, so a
// number allocated anywhere is found by lookups and searches everywhere
// within the watch's delay. While NATS does not answer, allocations fail
// (503) and the AINs already known keep being served.
type AINStore struct {
	c   *Client
	log *slog.Logger

	mu     sync.RWMutex
	vals   map[registry.NIN][]byte
	synced chan struct{} // closed once the bucket's contents were read

	cancel context.CancelFunc
	done   chan struct{}
}

var _ registry.AINStore = (*AINStore)(nil)

// OpenAINStore starts watching the AIN bucket (creating it if needed). It
// returns at once; WaitSynced waits for the bucket's contents.
func OpenAINStore(c *Client, log *slog.Logger) *AINStore {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &AINStore{c: c, log: log, vals: map[registry.NIN][]byte{}, synced: make(chan struct{}),
		cancel: cancel, done: make(chan struct{})}
	go s.watch(ctx)
	return s
}

// WaitSynced waits until every AIN in the bucket at the start is known.
func (s *AINStore) WaitSynced(ctx context.Context) error {
	select {
	case <-s.synced:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Len is the number of AINs known.
func (s *AINStore) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.vals)
}

func (s *AINStore) watch(ctx context.Context) {
	defer close(s.done)
	once := sync.Once{}
	for ctx.Err() == nil {
		kv, err := s.c.ainKV(ctx)
		var w jetstream.KeyWatcher
		if err == nil {
			w, err = kv.WatchAll(ctx)
		}
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("watch the fleet's AIN bucket; retrying", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			continue
		}
		for e := range w.Updates() {
			if e == nil {
				once.Do(func() { close(s.synced) })
				continue
			}
			s.apply(e)
		}
		w.Stop()
	}
}

func (s *AINStore) apply(e jetstream.KeyValueEntry) {
	k := e.Key()
	if len(k) != 11 {
		return
	}
	n, info, err := registry.ParseNIN([]byte(k))
	if err != nil || info.Kind != registry.NINAin {
		s.log.Error("the fleet's AIN bucket holds a key that is not an AIN; ignored", "revision", e.Revision())
		return
	}
	s.mu.Lock()
	if e.Operation() == jetstream.KeyValuePut {
		s.vals[n] = e.Value()
	} else {
		delete(s.vals, n)
	}
	s.mu.Unlock()
}

// Allocate implements registry.AINStore.
func (s *AINStore) Allocate(build func(n registry.NIN) []byte, taken func(n registry.NIN) bool) (registry.NIN, []byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), s.c.cfg.Timeout)
	defer cancel()
	kv, err := s.c.ainKV(ctx)
	if err != nil {
		s.log.Error("fleet AIN allocation: the bucket does not open", "err", err)
		return registry.NIN{}, nil, registry.ErrUnavailable
	}
	for try := 0; try < 1000; try++ {
		n := registry.RandomAIN()
		s.mu.RLock()
		_, busy := s.vals[n]
		s.mu.RUnlock()
		if busy || (taken != nil && taken(n)) {
			continue
		}
		val := registry.AppendValue(nil, 0, build(n), nil)
		_, err := kv.Create(ctx, string(n[:]), val)
		if errors.Is(err, jetstream.ErrKeyExists) {
			continue // another replica holds it: draw again
		}
		if err != nil {
			s.log.Error("fleet AIN allocation: the create-only put failed", "err", err)
			return n, nil, registry.ErrUnavailable
		}
		s.mu.Lock()
		s.vals[n] = val
		s.mu.Unlock()
		return n, val, nil
	}
	return registry.NIN{}, nil, registry.ErrAINExhausted
}

// Get implements registry.AINStore.
func (s *AINStore) Get(dst []byte, key *registry.Key) ([]byte, error) {
	b := key.Bytes()
	if len(b) != 12 || registry.Register(b[0]) != registry.RegPerson {
		return dst, registry.ErrNotFound
	}
	var n registry.NIN
	copy(n[:], b[1:])
	s.mu.RLock()
	v, ok := s.vals[n]
	s.mu.RUnlock()
	if !ok {
		return dst, registry.ErrNotFound
	}
	return append(dst, v...), nil
}

// Scan implements registry.AINStore, in number order.
func (s *AINStore) Scan(fn func(n registry.NIN, value []byte) bool) error {
	s.mu.RLock()
	ns := make([]registry.NIN, 0, len(s.vals))
	for n := range s.vals {
		ns = append(ns, n)
	}
	s.mu.RUnlock()
	sort.Slice(ns, func(i, j int) bool { return string(ns[i][:]) < string(ns[j][:]) })
	for _, n := range ns {
		s.mu.RLock()
		v := s.vals[n]
		s.mu.RUnlock()
		if !fn(n, v) {
			break
		}
	}
	return nil
}

// Close stops the watch.
func (s *AINStore) Close() error {
	s.cancel()
	<-s.done
	return nil
}
