package index

import (
	"testing"
	"unsafe"
)

// TestShardLayout: each counter shard fills exactly its cache lines, so two
// shards' counters never share one.
func TestShardLayout(t *testing.T) {
	if n := unsafe.Sizeof(refShard{}); n != cacheLine {
		t.Fatalf("refShard is %d bytes, want %d", n, cacheLine)
	}
	var g Gen
	if off := unsafe.Offsetof(g.shards); off < unsafe.Offsetof(g.closedAt)+cacheLine {
		t.Fatalf("the shards begin %d bytes into Gen, within a cache line of the read-mostly fields", off)
	}
}
