package cache

import (
	"bytes"
	"slices"
	"sync"

	"github.com/cespare/xxhash/v2"

	"github.com/grunndata/grunndata/registry"
)

// TopKeys finds the most requested keys approximately, in fixed memory, with
// the Space-Saving algorithm (Metwally, Agrawal, El Abbadi 2005): it tracks
// at most Capacity keys; a key not tracked replaces the least counted one
// and inherits its count plus one. Every key seen more than total/Capacity
// times is tracked, and a tracked key's count overestimates its true count
// by at most the count it inherited. Observe allocates nothing: the table,
// its hash index and the min-heap are fixed arrays.
type TopKeys struct {
	mu      sync.Mutex
	entries []topEntry // stable slots
	heap    []int32    // entry ids, min-heap by count
	table   []int32    // open addressing, linear probing: entry id + 1; 0 empty
	mask    uint64
}

type topEntry struct {
	key   registry.Key
	hash  uint64
	count uint64
	pos   int32 // index in heap
}

// NewTopKeys returns a tracker of capacity keys (at least 16).
func NewTopKeys(capacity int) *TopKeys {
	capacity = max(capacity, 16)
	size := 1
	for size < 2*capacity {
		size <<= 1
	}
	return &TopKeys{
		entries: make([]topEntry, 0, capacity),
		heap:    make([]int32, 0, capacity),
		table:   make([]int32, size),
		mask:    uint64(size - 1),
	}
}

// Observe counts one request of key.
func (t *TopKeys) Observe(key *registry.Key) {
	kb := key.Bytes()
	h := xxhash.Sum64(kb)
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		id := t.table[i]
		if id == 0 {
			break
		}
		e := &t.entries[id-1]
		if e.hash == h && bytes.Equal(e.key.Bytes(), kb) {
			e.count++
			t.down(int(e.pos))
			return
		}
	}
	if len(t.entries) < cap(t.entries) {
		id := int32(len(t.entries))
		t.entries = append(t.entries, topEntry{key: *key, hash: h, count: 1, pos: int32(len(t.heap))})
		t.heap = append(t.heap, id)
		t.insert(id)
		t.up(len(t.heap) - 1)
		return
	}
	id := t.heap[0] // the least counted key gives up its slot
	t.remove(id)
	e := &t.entries[id]
	e.key, e.hash = *key, h
	e.count++
	t.insert(id)
	t.down(0)
}

func (t *TopKeys) insert(id int32) {
	i := t.entries[id].hash & t.mask
	for t.table[i] != 0 {
		i = (i + 1) & t.mask
	}
	t.table[i] = id + 1
}

// remove deletes id from the hash index with backward-shift deletion, so
// probe sequences stay unbroken without tombstones.
func (t *TopKeys) remove(id int32) {
	i := t.entries[id].hash & t.mask
	for t.table[i] != id+1 {
		i = (i + 1) & t.mask
	}
	t.table[i] = 0
	for j := (i + 1) & t.mask; t.table[j] != 0; j = (j + 1) & t.mask {
		home := t.entries[t.table[j]-1].hash & t.mask
		// Move the entry at j into the hole at i unless its home lies
		// cyclically in (i, j].
		if (j > i && (home <= i || home > j)) || (j < i && home <= i && home > j) {
			t.table[i], t.table[j] = t.table[j], 0
			i = j
		}
	}
}

func (t *TopKeys) less(a, b int) bool {
	return t.entries[t.heap[a]].count < t.entries[t.heap[b]].count
}

func (t *TopKeys) swap(a, b int) {
	t.heap[a], t.heap[b] = t.heap[b], t.heap[a]
	t.entries[t.heap[a]].pos = int32(a)
	t.entries[t.heap[b]].pos = int32(b)
}

func (t *TopKeys) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !t.less(i, p) {
			return
		}
		t.swap(i, p)
		i = p
	}
}

func (t *TopKeys) down(i int) {
	n := len(t.heap)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && t.less(r, l) {
			m = r
		}
		if !t.less(m, i) {
			return
		}
		t.swap(i, m)
		i = m
	}
}

// Top returns up to n keys, most requested first.
func (t *TopKeys) Top(n int) []registry.Key {
	t.mu.Lock()
	ids := make([]int32, len(t.entries))
	counts := make([]uint64, len(t.entries))
	for i := range t.entries {
		ids[i], counts[i] = int32(i), t.entries[i].count
	}
	slices.SortStableFunc(ids, func(a, b int32) int {
		switch {
		case counts[a] > counts[b]:
			return -1
		case counts[a] < counts[b]:
			return 1
		}
		return 0
	})
	n = min(n, len(ids))
	out := make([]registry.Key, n)
	for i := range out {
		out[i] = t.entries[ids[i]].key
	}
	t.mu.Unlock()
	return out
}

// Decay halves every count, so that popularity from long ago fades. Halving
// keeps the heap order.
func (t *TopKeys) Decay() {
	t.mu.Lock()
	for i := range t.entries {
		t.entries[i].count /= 2
	}
	t.mu.Unlock()
}

// Len returns how many keys are tracked.
func (t *TopKeys) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.entries)
}
