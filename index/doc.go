// Package index is the only package that imports Pebble. It builds snapshot
// generations (Builder), verifies and opens them read-only, and keeps the
// active one behind an atomic pointer with reference counting (Store).
//
// # On disk
//
//	DATADIR/ACTIVE                     id of the active generation (write-temp, fsync, rename, fsync dir)
//	DATADIR/HISTORY                    activation history, the stack rollback walks (same write discipline)
//	DATADIR/LOADS                      the latest successful and the latest failed load (metrics, alerts)
//	DATADIR/.lock                      flock serialising ACTIVE/HISTORY changes, id allocation and prunes
//	DATADIR/snapshots/<gen>/           a complete generation: Pebble files + manifest.json
//	DATADIR/snapshots/<gen>.tmp/       a generation being built; removed at start-up unless its build lives
//	DATADIR/snapshots/<gen>.tmp.lock   flock held by the build of <gen> while it runs
//	DATADIR/snapshots/<gen>.del/       a generation a prune was deleting; removed at start-up
//
// Generation ids are zero-padded sequence numbers ("000001"), so they sort;
// prune never removes the newest, so an id is never reused.
//
// # Crash safety
//
// A build writes only under <gen>.tmp; Commit fsyncs the tables and the
// manifest (which lists every file with its size and SHA-256), fsyncs the
// directory, renames it into place and fsyncs snapshots/: the rename is the
// commit point. Activation writes HISTORY, then ACTIVE, each atomically;
// ReadHistory reconciles the two (ACTIVE is the truth), so a kill -9 at any
// point leaves ACTIVE naming a complete generation: the last one fully
// activated, or the one whose activation was under way. Open removes what
// dead builds and prunes left (crash_test.go kills a child at random points
// of loads, deltas, activations, rollbacks and prunes to check this).
//
// # Verification
//
// A generation is refused, with the reason, unless its manifest reads, has
// this FormatVersion and names its directory, and every file it lists has
// its size (VerifyQuick: a stat per file); generations up to
// Config.VerifyChecksumBytes also have every file's SHA-256 checked
// (VerifyFull). Pebble's open then checks that every table its MANIFEST
// lists exists with the recorded size, and each block read checks its
// block checksum.
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
// Release. Activating a new generation (verify, open, optional warm-up,
// optional durable write, then one atomic pointer swap) drops the Store's
// reference; the Pebble DB closes when the last reader releases. A reader
// therefore never sees a closed DB, and never waits. Pebble locks a
// generation's directory, so re-activating a generation whose previous
// instance still drains readers waits for them (DrainTimeout).
package index
