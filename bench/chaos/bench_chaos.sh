#!/bin/bash
# SPDX-License-Identifier: MIT
# bench/chaos/bench_chaos.sh [FAULTS] [SEED] - the long chaos run (issue 9).
#
# Runs test/integration/test_medcli_chaos.sh with FAULTS faults (default 60) of
# seed SEED (default: a fresh one, printed; give it again to reproduce), then
# prints a table per kind of fault: how many, and the time until pings passed
# again (median, max), the longest CPU use of a daemon in 3 quiet seconds, and
# the RSS of each daemon over the run. Exit status: the test's.
# BUILD_DIR (default build-rel, else build) names the build.
set -u
cd "$(dirname "$0")/../.."
FAULTS=${1:-60}
SEED=${2:-$((($(date +%s) ^ $$) % 100000))}
if [ -z "${BUILD_DIR:-}" ]; then
	BUILD_DIR=$PWD/build-rel
	[ -x "$BUILD_DIR/bin/medcli" ] || BUILD_DIR=$PWD/build
fi
export BUILD_DIR
log=$(mktemp /tmp/bench_chaos.XXXXXX)
trap 'rm -f "$log"' EXIT
echo "chaos: $FAULTS faults, seed $SEED (reproduce: bash bench/chaos/bench_chaos.sh $FAULTS $SEED)"
t0=$SECONDS
CHAOS_FAULTS=$FAULTS CHAOS_SEED=$SEED timeout $((FAULTS * 60 + 120)) bash test/integration/test_medcli_chaos.sh >"$log" 2>&1
rc=$?
python3 - "$log" "$rc" "$((SECONDS - t0))" <<'PY'
import re, statistics, sys
log, rc, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
kinds = {}
for line in open(log, errors="replace"):
    m = re.match(r"chaos-result: (\w+) (\d+)", line)
    if m:
        kinds.setdefault(m.group(1), []).append(int(m.group(2)))
rss = re.findall(r"RSS of (\w+ \(\d+\)): (\d+) -> (\d+) KiB", open(log, errors="replace").read())
cpu = re.findall(r"most CPU ticks in a quiet 3 s: (\d+)", open(log, errors="replace").read())
print()
print("| fault | count | back after, median | max |")
print("|---|---|---|---|")
names = {"flush": "NAT conntrack flush", "renumber": "NAT port change", "loss": "loss burst (30-100 %, 1-6 s)",
         "srvkill": "medsrv kill -9 + restart", "clikill": "medcli kill -9 + restart", "down": "down, held, up"}
for k in ["flush", "renumber", "loss", "srvkill", "clikill", "down"]:
    v = kinds.get(k)
    if v:
        print(f"| {names[k]} | {len(v)} | {statistics.median(v):.0f} ms | {max(v)} ms |")
print()
for pid, a, b in rss:
    print(f"RSS of daemon {pid}: {a} -> {b} KiB")
if cpu:
    print(f"most CPU ticks of a daemon in 3 quiet seconds after a fault: {cpu[0]} (100 ticks = 1 s of CPU)")
print(f"{'PASS' if rc == 0 else 'FAIL'}: {sum(len(v) for v in kinds.values())} faults survived in {secs} s")
if rc != 0:
    lines = open(log, errors="replace").readlines()
    print("".join([l for l in lines if " lab: " in l][-12:]))
    print("".join(lines[-40:]))
PY
exit $rc
