#!/usr/bin/env bash
# Memory of clients that send GETs and never read their replies: starts ringlb (the sharding proxy
# over three redis-servers, or the embedded server) in a JVM with a small heap, stores one large
# value, and starts CLIENTS processes that each pipeline GETs of it without ever reading (one that
# is disconnected connects again). Every second it prints the JVM's resident memory (VmRSS), the
# JVM's committed heap, the memory INFO says clients hold (mem_clients_normal), the JVM's direct
# memory and the buffer pool's, the clients disconnected for it (evicted_clients), the memory the
# redis-servers use, and whether a well-behaved client still gets the value; then it stops the
# clients and prints the same once they are gone.
#
#   bench/client-memory.sh [JAR] [proxy|embedded] [SERVE ARGS...]
#
# JAR defaults to ringlb-cli/target/ringlb.jar, run with `java -jar`; a path not ending in .jar is
# taken for the launcher (bin/ringlb), which adds its own options for serve. SERVE ARGS are added
# to `serve` (e.g. --maxmemory-clients 64mb). Environment: JAVA_OPTS (default -Xmx512m), CLIENTS
# (8), VALUE_BYTES (262144), RUN_SECONDS (20) the clients run, AFTER (40) seconds watched after
# they left, REQUEST_TIMEOUT (60s, the proxy's timeouts.request), BASE_PORT (27500: redis
# 27501-27503, ringlb 27510).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

JAR=${1:-$(dirname "$0")/../ringlb-cli/target/ringlb.jar}
MODE=${2:-proxy}
shift $(($# < 2 ? $# : 2))
JAVA_OPTS=${JAVA_OPTS:--Xmx512m}
CLIENTS=${CLIENTS:-8}
VALUE_BYTES=${VALUE_BYTES:-262144}
SECONDS_RUN=${RUN_SECONDS:-20}
AFTER=${AFTER:-40}
BASE_PORT=${BASE_PORT:-27500}
REQUEST_TIMEOUT=${REQUEST_TIMEOUT:-60s}
REDIS_PORTS=($((BASE_PORT + 1)) $((BASE_PORT + 2)) $((BASE_PORT + 3)))
PORT=$((BASE_PORT + 10))

[[ -f "$JAR" ]] || { echo "$JAR: no such jar or launcher (mvn -q -DskipTests package)" >&2; exit 2; }
[[ $MODE == proxy || $MODE == embedded ]] || { echo "mode must be proxy or embedded" >&2; exit 2; }
require_tools redis-server redis-cli python3
require_free_ports BASE_PORT "${REDIS_PORTS[@]}" "$PORT"

bench_workdir
args=(serve --port "$PORT")
if [[ $MODE == proxy ]]; then
  # A long request timeout: on a loaded machine a backend's replies may wait behind the flood,
  # and a timed-out backend would answer errors instead of the values.
  echo "timeouts: {request: $REQUEST_TIMEOUT}" > "$WORK/proxy.yaml"
  echo "backends:" >> "$WORK/proxy.yaml"
  for i in 0 1 2; do
    start_redis "${REDIS_PORTS[$i]}"
    echo "  $i: 127.0.0.1:${REDIS_PORTS[$i]}" >> "$WORK/proxy.yaml"
  done
  args+=(--config "$WORK/proxy.yaml")
  await_servers "${REDIS_PORTS[@]}"
fi
if [[ $JAR == *.jar ]]; then
  # shellcheck disable=SC2086 # JAVA_OPTS is split into words on purpose
  java $JAVA_OPTS -jar "$JAR" "${args[@]}" "$@" > "$WORK/ringlb.log" 2>&1 &
else # a launcher, bin/ringlb: its own JVM options and environment for serve, and JAVA_OPTS
  RINGLB_JAVA_OPTS="$JAVA_OPTS" RINGLB_CDS=0 "$JAR" "${args[@]}" "$@" > "$WORK/ringlb.log" 2>&1 &
fi
JVM=$!
PIDS+=("$JVM")
await_servers "$PORT"

python3 - "$PORT" "$VALUE_BYTES" <<'EOF'
import socket, sys
port, size = int(sys.argv[1]), int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port))
value = b"v" * size
s.sendall(b"*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$%d\r\n%s\r\n" % (size, value))
assert s.recv(16).startswith(b"+OK"), "SET big failed"
EOF

cat > "$WORK/flood.py" <<'EOF'
# Pipelines GETs of "big" and never reads; connects again when disconnected, until the deadline.
import socket, sys, time
port, deadline = int(sys.argv[1]), time.time() + float(sys.argv[2])
burst = b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n" * 256
while time.time() < deadline:
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sent = 0
        while time.time() < deadline:
            try:
                sent += s.send(burst[sent % len(burst):])
            except socket.timeout:
                pass
    except OSError:
        time.sleep(0.05)
EOF

rss() { awk '/^VmRSS/ { printf "%d", $2 / 1024 }' "/proc/$JVM/status" 2>/dev/null || echo dead; }
mb() { [[ -n $1 ]] && echo $(($1 / 1048576)) || echo -; }
served() {
  local n
  n=$(timeout 10 redis-cli -p "$PORT" strlen big 2>/dev/null) || n=
  [[ $n == "$VALUE_BYTES" ]] && echo yes || echo no
}
backends_mb() { # the redis-servers' used_memory, summed (proxy mode)
  local total=0 port used
  [[ $MODE == proxy ]] || { echo -; return; }
  for port in "${REDIS_PORTS[@]}"; do
    used=$(timeout 5 redis-cli -p "$port" info memory 2>/dev/null | tr -d '\r' \
      | awk -F: '$1 == "used_memory" { print $2 }') || used=0
    total=$((total + ${used:-0}))
  done
  mb "$total"
}
sample() { # LABEL: one INFO (5 s at most), then a GET of the value (10 s at most)
  local info
  info=$(timeout 5 redis-cli -p "$PORT" info 2>/dev/null | tr -d '\r') || info=
  f() { awk -F: -v f="$1" '$1 == f { print $2 }' <<<"$info"; }
  printf '%-5s rss_mb=%-4s heap_mb=%-4s clients_mb=%-4s direct_mb=%-4s pool_mb=%-4s evicted=%-4s' \
    "$1" "$(rss)" "$(mb "$(f used_memory_heap_committed)")" "$(mb "$(f mem_clients_normal)")" \
    "$(mb "$(f used_memory_direct)")" "$(mb "$(f allocator_direct)")" "$(f evicted_clients)"
  printf ' backends_mb=%-5s served=%s\n' "$(backends_mb)" "$(served)"
}

echo "ringlb $MODE, JAVA_OPTS=$JAVA_OPTS, serve args: ${*:-none}; $CLIENTS clients, value $VALUE_BYTES bytes"
sample before
start=$SECONDS
flooders=()
for ((i = 0; i < CLIENTS; i++)); do
  python3 "$WORK/flood.py" "$PORT" "$SECONDS_RUN" &
  flooders+=($!)
  PIDS+=($!)
done
for ((t = 1; t <= SECONDS_RUN; t++)); do
  sleep 1
  kill -0 "$JVM" 2>/dev/null || { echo "ringlb died:"; tail -20 "$WORK/ringlb.log"; exit 1; }
  sample "$((SECONDS - start))s"
done
wait "${flooders[@]}" 2>/dev/null || true
echo "clients gone after $((SECONDS - start))s"
for ((t = 1; t <= AFTER; t++)); do
  sleep 1
  sample "$((SECONDS - start))s"
done
kill -0 "$JVM" 2>/dev/null || { echo "ringlb died:"; tail -20 "$WORK/ringlb.log"; exit 1; }
echo "log lines about disconnected clients: $(grep -ci "client.*unread\|evict" "$WORK/ringlb.log" || true)"
echo "log lines about OutOfMemoryError: $(grep -c OutOfMemoryError "$WORK/ringlb.log" || true)"
grep -m3 -i "outofmemory\|client.*unread\|evict" "$WORK/ringlb.log" || true
