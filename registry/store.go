package registry

// View is one snapshot generation, held by a reader between Store.Acquire
// and Release. A View never changes: a new load or delta makes a new
// generation. Slices a View returns are owned by the caller.
type View interface {
	// ID is the generation id, as operators see it ("000042").
	ID() string
	// Seq is a process-unique number for this open generation; caches tag
	// entries with it so no entry is served from another generation.
	Seq() uint64
	// Get appends the value stored under key to dst, or returns ErrNotFound.
	Get(dst []byte, key *Key) ([]byte, error)
	// Scan calls fn for each key with prefix, from prefix+from on, in order,
	// until fn returns false. key and value are valid only during the call.
	Scan(prefix, from []byte, fn func(key, value []byte) bool) error
	// Release gives the view back. It must be called exactly once.
	Release()
}

// Store hands out the active generation.
type Store interface {
	// Acquire returns the active generation with a reference held, or
	// ErrUnavailable when none is active. It never blocks.
	Acquire() (View, error)
}
