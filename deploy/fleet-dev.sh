#!/usr/bin/env bash
# make fleet: on loopback, an embedded NATS (JetStream), the $PRESET preset
# loaded and published, and three replicas following the fleet. Ctrl-C
# stops all of it. Data under $FLEET_DIR (default fleet-data).
set -euo pipefail
BIN=${BIN:-bin/grunndata}
PRESET=${PRESET:-small}
SEED=${SEED:-1}
DIR=${FLEET_DIR:-fleet-data}
NATS_ADDR=${NATS_ADDR:-127.0.0.1:4222}
NATS=nats://$NATS_ADDR
ISSUER=https://grunndata.local/dev-issuer
mkdir -p "$DIR"
pids=()
stop() {
	trap - INT TERM EXIT
	echo
	echo "== stopping the fleet"
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap stop INT TERM EXIT

"$BIN" nats --store "$DIR/nats" --addr "$NATS_ADDR" --quiet &
pids+=($!)
for _ in $(seq 50); do "$BIN" fleet status --nats "$NATS" >/dev/null 2>&1 && break; sleep 0.2; done

if [ ! -f "$DIR/producer/ACTIVE" ]; then
	echo "== generating the $PRESET preset and loading it into $DIR/producer"
	"$BIN" gen --preset "$PRESET" --seed "$SEED" --out "$DIR/source"
	"$BIN" load --from "$DIR/source" --data "$DIR/producer"
fi
echo "== publishing the producer's active generation to the fleet"
"$BIN" publish --data "$DIR/producer" --nats "$NATS"

TOKEN=$("$BIN" token --key-dir "$DIR/devkey" --ttl 12h \
	--scope 'grunndata:organisation.read grunndata:personnel.read grunndata:person.read grunndata:gp.read grunndata:ain.write')
for i in 1 2 3; do
	"$BIN" serve --data "$DIR/replica$i" --addr "127.0.0.1:808$i" --admin-addr "127.0.0.1:909$i" \
		--nats "$NATS" --replica-id "replica$i" \
		--jwks "$DIR/devkey/dev-jwks.json" --issuer "$ISSUER" --audience grunndata 2>"$DIR/replica$i.log" &
	pids+=($!)
	eval "replica${i}_pid=$!"
done
for i in 1 2 3; do
	for _ in $(seq 300); do curl -sf "http://127.0.0.1:909$i/readyz" >/dev/null && break; sleep 0.2; done
done
echo
"$BIN" fleet status --nats "$NATS"
echo
echo "== replica 1 (the same requests work on :8082 and :8083; the token is a 12 h development token):"
"$BIN" examples --data "$DIR/producer" --addr 127.0.0.1:8081 --token "$TOKEN"
echo
echo "== the fleet (first: export TOKEN=$TOKEN)"
echo "   status:          $BIN fleet status --nats $NATS"
echo "   readiness:       curl -s http://127.0.0.1:9092/readyz | head -c 600"
echo "   fleet metrics:   curl -s http://127.0.0.1:9093/metrics | grep ^grunndata_fleet_"
echo "   kill a replica:  kill -9 $replica2_pid    (the others keep serving; fleet status drops it after the heartbeat TTL)"
echo "   new generation:  $BIN load --from $DIR/source --data $DIR/producer && $BIN publish --data $DIR/producer --nats $NATS"
echo "   roll back:       $BIN fleet rollback --nats $NATS"
echo "   load all three:  $BIN bench --target http://127.0.0.1:8081,http://127.0.0.1:8082,http://127.0.0.1:8083 --ids-from $DIR --auth-token \$TOKEN"
echo "   logs:            $DIR/replica{1,2,3}.log"
echo "== Ctrl-C stops NATS and the three replicas"
wait
