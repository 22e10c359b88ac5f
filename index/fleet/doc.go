// Package fleet runs grunndata as a fleet on NATS JetStream: one producer
// publishes snapshot generations, many replicas follow the fleet's active
// generation, AINs are unique across the fleet. It is the only package that
// imports NATS (the client and the embeddable server).
//
// It lives under index because what it moves is index's on-disk format:
// a generation directory and its manifest (every file with its size and
// SHA-256), downloaded into a replica's data directory next to the
// generations a load would build, verified the way index verifies, then
// activated through index.Store's zero-failure swap (by the caller). Like
// index.AINStore it also implements registry.AINStore, on a replicated KV
// bucket instead of a local Pebble DB, and like audit.Log audit.Auditor, on a
// replicated stream. It imports index, registry and registry/audit; the
// HTTP server never imports it (it reads through registry.AINStore), and
// nothing below cmd wires it (layout_test.go pins both).
//
// # JetStream layout
//
//	object store grunndata-generations   sha256/<hex>   one object per distinct file (content-addressed: a
//	                                                    delta generation uploads only its new tables)
//	                                     manifest/<gen> the generation's manifest.json, uploaded last
//	KV grunndata-fleet      active       the fleet's active generation and its history (JSON), moved
//	                                     with compare-and-set on the revision
//	KV grunndata-replicas   <replica>    each replica's heartbeat (JSON); the bucket's TTL drops the
//	                                     heartbeats of replicas that stopped
//	KV grunndata-ain        <AIN>        each allocated AIN's stored value, created with a create-only
//	                                     put (an existing key refuses it: the AIN was taken)
//	stream GRUNNDATA_AUDIT  grunndata.audit.<replica>  audit records, one hash chain per replica
//	                                     (registry/audit's format), one group-committed batch per message
//
// # Downloads
//
// A replica fetches generation G into DATADIR/snapshots/G.fetch/ (index
// ignores that name): each file is written to a .part file, hashed as it
// arrives, compared with the manifest's SHA-256 and renamed into place, so a
// crash keeps every complete file and the next fetch resumes after them
// (complete files are re-hashed first). Files another local generation
// already has (same SHA-256) are hard-linked instead of downloaded. Only
// when every file verifies is manifest.json written and the directory
// renamed to G: a half-downloaded generation never looks complete, so it is
// never activated.
package fleet
