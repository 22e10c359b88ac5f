// Package index is the only package that imports Pebble. It builds snapshot
// generations (Builder), opens them read-only, and keeps the active one behind
// an atomic pointer with reference counting (Store).
//
// # On disk
//
//	DATADIR/ACTIVE                     id of the active generation (write-temp, fsync, rename, fsync dir)
//	DATADIR/snapshots/<gen>/           a complete generation: Pebble files + manifest.json
//	DATADIR/snapshots/<gen>.tmp/       a generation being built; removed at start-up
//
// Generation ids are zero-padded sequence numbers ("000001"), so they sort.
//
// # Keys and values
//
// Keys are registry.Key bytes (one prefix byte per register family, then
// fixed-width ids); values are registry.AppendValue encodings holding the
// bytes the server writes. The index stores both as they are.
//
// # Reading and swapping
//
// A Gen is reference counted: the Store holds one reference for as long as the
// generation is active, and each reader holds one between Acquire and
// Release. Activating a new generation swaps the pointer and drops the
// Store's reference; the Pebble DB closes when the last reader releases. A
// reader therefore never sees a closed DB, and never waits.
package index
