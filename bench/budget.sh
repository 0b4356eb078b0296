#!/bin/sh
# Every line of the budget at the checked-out commit, one benchmark after
# another (about 45 minutes on the 2-core VM). Build first; run as root.
# Usage: bench/budget.sh > budget.txt   (docs/benchmarks.md, "The budget at one commit")
set -e
cd "$(dirname "$0")/.."
echo "commit $(git rev-parse --short HEAD), $(uname -r), $(nproc) CPUs, $(date -u '+%Y-%m-%d %H:%M UTC')"
# HTTP/1 before HTTP/2 was recognised (the commit before it), side by side
before_h2=1e931f9
base=$(mktemp -d /tmp/apiscope-budget-XXXXXX)
trap 'git worktree remove --force "$base" 2>/dev/null; rm -rf "$base"' EXIT
git worktree add --detach "$base" $before_h2 >/dev/null 2>&1
cmake -S "$base" -B "$base/build" >/dev/null && cmake --build "$base/build" --target apiscope -j"$(nproc)" >/dev/null
echo "baseline: $before_h2"
python3 bench/parser_instructions.py --baseline $before_h2
python3 bench/bpf_cost.py --rounds 7 --baseline "$base/build/apiscope"
python3 bench/bpf_cost.py --rounds 7 --close --baseline "$base/build/apiscope"
python3 bench/nginx_overhead.py --only keepalive --rounds 5 --seconds 5 \
	--agents "floor,floor read,floor count,apiscope,apiscope server only,apiscope headers+log,nginx proxy,mtail"
python3 bench/nginx_overhead.py --only close --rounds 5 --seconds 5 \
	--agents "floor,floor read,floor count,apiscope,apiscope server only,nginx proxy,mtail"
python3 bench/nginx_overhead.py --only static --rounds 5 --seconds 5 \
	--agents "floor,floor read,floor count,apiscope,apiscope server only,nginx proxy,mtail"
python3 bench/nginx_overhead.py --only https --rounds 3 --seconds 4 \
	--agents "floor,floor tls,apiscope,apiscope server only by pid"
python3 bench/python_api.py --rounds 7 --seconds 5
python3 bench/non_target.py
python3 bench/scrape_cost.py
python3 bench/map_memory.py
python3 bench/http2_cost.py --rounds 5 --seconds 5
python3 bench/http2_memory.py --connections 10000
python3 bench/go_tls_cost.py --rounds 5 --seconds 5
python3 bench/k8s_pods.py --pods 250
echo "done $(date -u '+%H:%M UTC')"
