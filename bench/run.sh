#!/usr/bin/env bash
# bench/run.sh PRESET — what `make bench` (medium) and `make bench-national`
# run: load the preset into its own data directory if it has no active
# generation, start the server pinned to CPU 0 with GOMAXPROCS=1, run a
# closed-loop and an open-loop scenario with the generator pinned to CPU 1,
# print the reports side by side and stop the server.
#
# Settings (environment, or make variables: make bench BENCH_DURATION=60s):
#   BENCH_DATA         data directory            (bench-data/PRESET)
#   BENCH_SOURCE       load this dataset instead of generating one (e.g. an
#                      existing `grunndata gen` output)
#   BENCH_DURATION     length of each scenario   (20s)
#   BENCH_WARMUP       unreported warm-up        (5s)
#   BENCH_CONNECTIONS  connections               (50)
#   BENCH_RATE         open-loop rate in req/s   (half the closed-loop throughput)
#   BENCH_MIX          route weights             (the EPJ mix)
#   BENCH_ARGS         more `grunndata bench` flags for both scenarios
#   BENCH_ADDR, BENCH_ADMIN  listen addresses    (127.0.0.1:0: free ports, read
#                      back from the server's log, so that nobody else's
#                      server or load test on a well-known port gets measured)
#   BENCH_AUTH         off (default): serve with --auth=off; on: a development
#                      token (grunndata token), verified on every request,
#                      without the per-client rate limit
#   BENCH_SERVE_ARGS   more `grunndata serve` flags
set -euo pipefail

PRESET=${1:-medium}
BIN=${BIN:-bin/grunndata}
DIR=${BENCH_DATA:-bench-data/$PRESET}
SOURCE=${BENCH_SOURCE:-}
DURATION=${BENCH_DURATION:-20s}
WARMUP=${BENCH_WARMUP:-5s}
CONNS=${BENCH_CONNECTIONS:-50}
RATE=${BENCH_RATE:-}
MIX=${BENCH_MIX:-her=55,org=15,person=15,hpr=7,gp=5,resh=3}
ADDR=${BENCH_ADDR:-127.0.0.1:0}
ADMIN=${BENCH_ADMIN:-127.0.0.1:0}
SEED=${SEED:-1}
OUT=$DIR/reports

say() { printf '\n== %s\n' "$*"; }

# One core each: the server on CPU 0, the generator on CPU 1.
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
	SERVER_PIN=(taskset -c 0)
	GEN_PIN=(taskset -c 1)
else
	echo "warning: fewer than 2 CPUs or no taskset: server and generator share the machine" >&2
	SERVER_PIN=()
	GEN_PIN=()
fi

if [ ! -f "$DIR/ACTIVE" ]; then
	mkdir -p "$DIR"
	if [ -z "$SOURCE" ]; then
		SOURCE=$DIR/source
		if [ ! -f "$SOURCE/dataset.json" ]; then
			say "generating the $PRESET preset into $SOURCE"
			"$BIN" gen --preset "$PRESET" --seed "$SEED" --out "$SOURCE"
		fi
	fi
	say "loading $SOURCE into $DIR"
	"$BIN" load --from "$SOURCE" --data "$DIR" --quiet
fi
# The harness reads its ids from DIR/source.
if [ -n "$SOURCE" ] && [ ! -e "$DIR/source" ]; then
	ln -s "$(cd "$SOURCE" && pwd)" "$DIR/source"
fi
mkdir -p "$OUT"

SERVE_ARGS=(--data "$DIR" --addr "$ADDR" --admin-addr "$ADMIN")
TOKEN_ARGS=()
serve_help=$("$BIN" serve -h 2>&1 || true)
if [ "${BENCH_AUTH:-off}" = on ]; then
	"$BIN" token --key-dir "$DIR/devkey" --ttl 12h --scope all >"$OUT/token"
	SERVE_ARGS+=(--jwks "$DIR/devkey/dev-jwks.json" --issuer https://grunndata.local/dev-issuer
		--audience grunndata --rate-limit 0)
	TOKEN_ARGS=(--token-file "$OUT/token")
elif grep -q -- '-auth ' <<<"$serve_help"; then
	# Loopback only; BENCH_AUTH=on measures with token verification.
	SERVE_ARGS+=(--auth=off)
fi
# shellcheck disable=SC2206
SERVE_ARGS+=(${BENCH_SERVE_ARGS:-})
say "starting the server on CPU 0 (GOMAXPROCS=1): $BIN serve ${SERVE_ARGS[*]}"
GOMAXPROCS=1 "${SERVER_PIN[@]}" "$BIN" serve "${SERVE_ARGS[@]}" >"$OUT/serve.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null || true' EXIT
# The bound addresses, from the server's "serving" log line.
for _ in $(seq 600); do
	kill -0 "$SERVER" 2>/dev/null || { cat "$OUT/serve.log"; exit 1; }
	line=$(grep -m1 'msg=serving' "$OUT/serve.log" || true)
	[ -n "$line" ] && break
	sleep 0.1
done
[ -n "$line" ] || { echo "server did not start" >&2; cat "$OUT/serve.log"; exit 1; }
ADDR=$(sed 's/.* api=\([^ ]*\).*/\1/' <<<"$line")
ADMIN=$(sed 's/.* admin=\([^ ]*\).*/\1/' <<<"$line")
curl -sf "http://$ADMIN/readyz" >/dev/null || { echo "server at $ADDR not ready" >&2; cat "$OUT/serve.log"; exit 1; }
echo "serving on $ADDR (admin $ADMIN), pid $SERVER"

# shellcheck disable=SC2206
COMMON=(--target "http://$ADDR" --ids-from "$DIR" --mix "$MIX" "${TOKEN_ARGS[@]}" ${BENCH_ARGS:-})
bench() { GOMAXPROCS=1 "${GEN_PIN[@]}" "$BIN" bench "${COMMON[@]}" "$@"; }

say "warm-up: closed loop for $WARMUP (not reported)"
bench --duration "$WARMUP" --connections "$CONNS" --quiet >/dev/null

say "closed loop: $CONNS connections for $DURATION"
bench --duration "$DURATION" --connections "$CONNS" --json "$OUT/closed.json"

if [ -z "$RATE" ]; then
	tput=$(grep -m1 '"throughput"' "$OUT/closed.json" | tr -dc '0-9.')
	RATE=$(awk -v t="$tput" 'BEGIN { r = int(t / 2 / 1000) * 1000; if (r < 1000) r = 1000; print r }')
fi
say "open loop: $RATE req/s for $DURATION on $CONNS connections"
bench --duration "$DURATION" --connections "$CONNS" --rate "$RATE" --json "$OUT/open.json"

say "closed (A) and open (B) side by side"
"$BIN" bench --compare "$OUT/closed.json" "$OUT/open.json"
echo
echo "reports: $OUT/closed.json $OUT/open.json; server log: $OUT/serve.log"
