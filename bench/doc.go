// Package bench is grunndata's load harness as a library: it drives a running
// server from the outside over HTTP, the way EPJ systems do, and reports
// latency distributions that can be trusted.
//
// Run sends a weighted mix of lookups (Mix) for identifiers read from a
// dataset directory (LoadIDs), some of them well-formed but absent (misses)
// and some malformed (invalid), with uniform or zipfian key popularity. It
// has two modes:
//
//   - Closed loop (Config.Rate 0): Connections workers each send a request,
//     wait for the answer and send the next. This finds the maximum
//     throughput; its latencies are those of a saturated server.
//   - Open loop (Config.Rate > 0): requests are due at a constant arrival
//     rate, whatever the server does, and latency is measured from the time
//     a request was due, not from the time it could be sent. A server that
//     stalls for a second is charged for every request that should have been
//     sent during that second (no coordinated omission, as in wrk2).
//
// Latencies are recorded in HDR histograms (1 µs to 60 s, three significant
// digits) per route, into a few mutex-guarded shards so that workers do not
// contend. The generator measures its own CPU time, so a Report says how
// many requests per second one core of the generator can drive.
//
// The package never imports index or the server: it knows the API only by
// its URLs, and the dataset only by its source files.
package bench
