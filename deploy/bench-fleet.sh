#!/usr/bin/env bash
# make bench-fleet: the fleet's measurements (docs/fleet.md#measured), on
# loopback, every figure printed with the load average when it was taken
# (the machine may be shared). For each preset in $PRESETS:
#   - generate and load it into $DIR/PRESET/producer (once; timed);
#   - an embedded NATS (grunndata nats) on a free port, its own store;
#   - publish: MB/s as `grunndata publish` reports it;
#   - replica join: `grunndata serve --nats` on an empty data directory,
#     from process start to /readyz 200.
# For $ACT_PRESET (medium) also: two more replicas join, a second
# generation is published without activating it, and an open-loop
# `grunndata bench --target A,B,C` runs across the three replicas while the
# fleet activates it and then rolls back: p99 and failed requests.
# Then AIN allocations/s through the API, single node vs fleet, in one run
# (go test -bench BenchmarkAINAllocation).
#
# Settings (environment or make variables):
#   PRESETS         presets measured                      (small medium)
#   ACT_PRESET      preset of the activation run          (medium; none: skip)
#   BENCH_FLEET_DIR data                                  (bench-data/fleet)
#   BENCH_RATE      open-loop rate across the replicas    (3000)
#   BENCH_DURATION  open-loop duration                    (40s)
#   AIN_N           allocations per AIN benchmark         (3000; 0: skip)
set -euo pipefail
BIN=${BIN:-bin/grunndata}
PRESETS=${PRESETS:-small medium}
ACT_PRESET=${ACT_PRESET:-medium}
DIR=${BENCH_FLEET_DIR:-bench-data/fleet}
RATE=${BENCH_RATE:-3000}
DURATION=${BENCH_DURATION:-40s}
AIN_N=${AIN_N:-3000}
SEED=${SEED:-1}
GO=${GO:-go}

say() { printf '\n== %s\n' "$*"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
result() { printf 'RESULT %s  [load average %s]\n' "$*" "$(load)" | tee -a "$DIR/results.txt"; }

pids=()
stop_all() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	pids=()
}
trap stop_all EXIT INT TERM

mkdir -p "$DIR"
{
	echo
	echo "# $(date -u '+%Y-%m-%d %H:%M UTC') $(git describe --always --dirty 2>/dev/null || echo dev) on $(nproc) cores: PRESETS='$PRESETS' ACT_PRESET=$ACT_PRESET RATE=$RATE DURATION=$DURATION"
} >>"$DIR/results.txt"

# start_nats STORE: an embedded NATS on a free port; sets NATS.
start_nats() {
	local log=$1.log
	"$BIN" nats --store "$1" --addr 127.0.0.1:0 --quiet >"$log" 2>&1 &
	pids+=($!)
	NATS=
	for _ in $(seq 300); do
		NATS=$(sed -n 's/^NATS with JetStream on \(nats:[^ ]*\).*/\1/p' "$log")
		[ -n "$NATS" ] && return 0
		sleep 0.1
	done
	echo "NATS did not start:" >&2
	cat "$log" >&2
	exit 1
}

# start_replica NAME DATA: a replica on free ports; sets API, ADMIN_ADDR, PID.
start_replica() {
	local log=$2.log
	"$BIN" serve --auth=off --data "$2" --addr 127.0.0.1:0 --admin-addr 127.0.0.1:0 \
		--nats "$NATS" --replica-id "$1" >"$log" 2>&1 &
	PID=$!
	pids+=("$PID")
	local line=
	for _ in $(seq 600); do
		kill -0 "$PID" 2>/dev/null || { cat "$log" >&2; exit 1; }
		line=$(grep -m1 'msg=serving' "$log" || true)
		[ -n "$line" ] && break
		sleep 0.05
	done
	[ -n "$line" ] || { echo "replica $1 did not start" >&2; cat "$log" >&2; exit 1; }
	API=$(sed 's/.* api=\([^ ]*\).*/\1/' <<<"$line")
	ADMIN_ADDR=$(sed 's/.* admin=\([^ ]*\).*/\1/' <<<"$line")
}

# wait_ready ADMIN [GEN]: until /readyz is 200 (and serves GEN), 30 min at most.
wait_ready() {
	local body
	for _ in $(seq 36000); do
		if body=$(curl -sf "http://$1/readyz" 2>/dev/null); then
			[ -z "${2:-}" ] && return 0
			grep -q "\"generation\":\"$2\"" <<<"$body" && return 0
		fi
		sleep 0.05
	done
	echo "replica at $1 never became ready${2:+ on $2}" >&2
	exit 1
}

for preset in $PRESETS; do
	P=$DIR/$preset
	mkdir -p "$P"
	if [ ! -f "$P/producer/ACTIVE" ]; then
		if [ ! -f "$P/source/dataset.json" ]; then
			say "$preset: generating"
			t=$(now)
			"$BIN" gen --preset "$preset" --seed "$SEED" --out "$P/source" >/dev/null
			result "$preset: gen $(since "$t") s ($(du -sm "$P/source" | cut -f1) MB of source)"
		fi
		say "$preset: loading"
		t=$(now)
		"$BIN" load --from "$P/source" --data "$P/producer" --quiet
		result "$preset: load $(since "$t") s ($(du -smL "$P/producer/snapshots" | cut -f1) MB of snapshot)"
	fi
	rm -rf "$P/nats" "$P/replica"*
	start_nats "$P/nats"
	say "$preset: publishing to $NATS"
	out=$("$BIN" publish --data "$P/producer" --nats "$NATS")
	echo "$out"
	first=${out%%$'\n'*}
	result "$preset: publish: ${first#published }"

	say "$preset: a replica joins with an empty data directory"
	t=$(now)
	start_replica r1 "$P/replica1"
	wait_ready "$ADMIN_ADDR"
	result "$preset: replica join (process start, empty data directory -> /readyz 200): $(since "$t") s"
	R1_API=$API R1_ADMIN=$ADMIN_ADDR

	if [ "$preset" = "$ACT_PRESET" ]; then
		say "$preset: two more replicas; a second generation published, not activated"
		start_replica r2 "$P/replica2"
		R2_API=$API R2_ADMIN=$ADMIN_ADDR
		start_replica r3 "$P/replica3"
		R3_API=$API R3_ADMIN=$ADMIN_ADDR
		wait_ready "$R2_ADMIN"
		wait_ready "$R3_ADMIN"
		gen1=$(cat "$P/producer/ACTIVE")
		"$BIN" load --from "$P/source" --data "$P/producer" --quiet
		gen2=$(cat "$P/producer/ACTIVE")
		"$BIN" publish --no-activate --data "$P/producer" --nats "$NATS"
		say "$preset: open loop at $RATE/s for $DURATION across three replicas; activate $gen2 after 10 s, roll back to $gen1 once all serve it"
		"$BIN" bench --target "http://$R1_API,http://$R2_API,http://$R3_API" --ids-from "$P/source" \
			--rate "$RATE" --duration "$DURATION" --json "$P/activation.json" --quiet >"$P/activation.txt" &
		bpid=$!
		sleep 10
		t=$(now)
		"$BIN" fleet activate "$gen2" --nats "$NATS"
		for a in "$R1_ADMIN" "$R2_ADMIN" "$R3_ADMIN"; do wait_ready "$a" "$gen2"; done
		act=$(since "$t")
		sleep 5
		t=$(now)
		"$BIN" fleet rollback --nats "$NATS"
		for a in "$R1_ADMIN" "$R2_ADMIN" "$R3_ADMIN"; do wait_ready "$a" "$gen1"; done
		rb=$(since "$t")
		wait "$bpid"
		cat "$P/activation.txt"
		result "$preset: fleet-wide activation of $gen2 (pointer move -> all three serve it) $act s, rollback $rb s"
		result "$preset: open loop across 3 replicas during both: $(jq -r '"rate \(.requestedRate)/s, answered \(.completed) of \(.sent) sent, p50 \(.total.latency.p50/10|floor/100) ms, p99 \(.total.latency.p99/10|floor/100) ms, max \(.total.latency.max/10|floor/100) ms, failed \(.transportErrors + .unexpected) (transport errors \(.transportErrors), unexpected status \(.unexpected)), unsent \(.unsent)"' "$P/activation.json")"
	fi
	stop_all
done

if [ "$AIN_N" -gt 0 ]; then
	say "AIN allocations through the API: single node, fleet R1, fleet R3 ($AIN_N each, 48 clients)"
	out=$("$GO" test -count=1 -run '^$' -bench '^BenchmarkAINAllocation$' -benchtime "${AIN_N}x" ./cmd/grunndata/)
	echo "$out"
	while read -r name _ _ _ rate unit; do
		[ "$unit" = "allocs/s" ] && result "AIN allocation ${name#BenchmarkAINAllocation/}: $rate allocs/s"
	done < <(grep '^BenchmarkAINAllocation/' <<<"$out")
fi
say "results (also in $DIR/results.txt)"
sed -n '/^# /h; /^# /!H; ${x;p}' "$DIR/results.txt"
