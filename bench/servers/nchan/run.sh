#!/usr/bin/env bash
# Start nginx + nchan in the foreground for the benchmark.
#   usage: run.sh PORT RUNDIR
# Renders nginx.conf.template into RUNDIR/nginx.conf, prints "LISTENING <PORT>"
# on stdout once this nginx answers GET /healthz, and exec's nginx, so the PID
# the caller started IS the nginx master: SIGTERM (fast) or SIGQUIT (graceful,
# bounded by worker_shutdown_timeout) stops master and worker.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
port="${1:-}"
rundir="${2:-}"
if [[ -z "$port" || -z "$rundir" ]]; then
    echo "usage: run.sh PORT RUNDIR" >&2
    exit 2
fi
if ! [[ "$port" =~ ^[0-9]+$ ]] || (( port < 1 || port > 65535 )); then
    echo "run.sh: PORT must be 1..65535 (nginx cannot report an ephemeral port, so 0 is not supported)" >&2
    exit 2
fi
if ! command -v nginx >/dev/null 2>&1 || [[ ! -f /usr/lib/nginx/modules/ngx_nchan_module.so ]]; then
    echo "run.sh: nginx or the nchan module is missing; run $here/install.sh" >&2
    exit 1
fi

mkdir -p "$rundir"
rundir="$(cd "$rundir" && pwd)"
sed -e "s/{{PORT}}/$port/g" -e "s#{{RUNDIR}}#$rundir#g" "$here/nginx.conf.template" > "$rundir/nginx.conf"
rm -f "$rundir/nginx.pid"

# Readiness poller: after the exec below, $$ is the nginx master. Ready means
# the master wrote its pid file (it does so after binding the port) and the
# port answers /healthz with 200. Bounded: 200 tries x 25 ms = ~5 s.
master=$$
(
    set +e
    for _ in $(seq 1 200); do
        kill -0 "$master" 2>/dev/null || exit 1
        if [[ "$(cat "$rundir/nginx.pid" 2>/dev/null)" == "$master" ]]; then
            status=""
            { printf 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
              IFS= read -r -t 1 status <&3; } 3<>"/dev/tcp/127.0.0.1/$port" 2>/dev/null
            if [[ "$status" == "HTTP/1.1 200"* ]]; then
                echo "LISTENING $port"
                exit 0
            fi
        fi
        sleep 0.025
    done
    echo "run.sh: nginx did not become ready on port $port" >&2
    exit 1
) &

# -e stderr: never touch the compiled-in /var/log/nginx/error.log.
exec nginx -e stderr -c "$rundir/nginx.conf" -p "$rundir/"
