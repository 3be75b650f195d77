# Shared by the side-by-side benchmarks (compare.sh, views.sh); sourced, not run.

# A free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# "req/s p99_ms" of one wrk run (one thread on core 0, $CONNECTIONS connections, $DURATION s):
#   run_wrk PORT PATH [HEADER]
run_wrk() {
  local port=$1 path=$2 header=${3:-} args=(-t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency)
  [ -n "$header" ] && args+=(-H "$header")
  taskset -c 0 wrk "${args[@]}" "http://127.0.0.1:$port$path" | awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /^ +99%/ { p99 = ms($2) } /^Requests\/sec/ { rps = $2 }
    END { printf "%.0f %.3f\n", rps, p99 }'
}

# The median of the numbers on stdin, one a line.
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
