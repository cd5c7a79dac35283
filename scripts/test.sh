#!/usr/bin/env bash
# scripts/test.sh - the whole test suite: installs what it needs, builds, and runs
#   1. the Criterion unit suites (ctest), -Werror build
#   2. the same suites under AddressSanitizer + UndefinedBehaviorSanitizer (leaks fail)
#   3. a bounded libFuzzer run of every fuzz target over its seed corpus (clang)
#   4. the network-namespace tests: integration (our programs, NAT routers) and interop (strongSwan)
#   5. the browser tests (Playwright + Debian chromium), when present
# Ends with one line "tests: N passed, N failed" and exits non-zero on any failure.
#   4b. the self-healing namespace tests again with the ASan + UBSan build (ASAN_LAB lists them)
# Options (environment): FUZZ_SECONDS (default 20 per target), ONLY=unit|asan|fuzz|lab|asanlab|web.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
LOGDIR=${LOGDIR:-$ROOT/build-logs}
mkdir -p "$LOGDIR"
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
ONLY=${ONLY:-}
JOBS=$(nproc)

passed=0
failed=0
failures=()

stage() { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; }
note_pass() { passed=$((passed + $1)); }
note_fail() { failed=$((failed + $1)); failures+=("$2"); }

# Adds up Criterion's "Synthesis" lines from a ctest -V log.
count_criterion() {
	local log=$1 p f c
	p=$(grep -ao 'Synthesis: Tested: [0-9]* | Passing: [0-9]*' "$log" | awk -F'Passing: ' '{s+=$2} END {print s+0}')
	f=$(grep -ao 'Failing: [0-9]*' "$log" | awk -F': ' '{s+=$2} END {print s+0}')
	c=$(grep -ao 'Crashing: [0-9]*' "$log" | awk -F': ' '{s+=$2} END {print s+0}')
	echo "$p $((f + c))"
}

run_ctest() {
	local name=$1 dir=$2 log="$LOGDIR/$1.log" p f
	ctest --test-dir "$dir" -V --timeout 600 >"$log" 2>&1
	local rc=$?
	read -r p f < <(count_criterion "$log")
	note_pass "$p"
	if [ "$rc" -ne 0 ] || [ "$f" -ne 0 ]; then
		note_fail $((f > 0 ? f : 1)) "$name (see $log)"
		grep -aE '\[(FAIL|----)\]|Assertion|runtime error|ERROR: ' "$log" | head -40
	fi
	if grep -aq 'ERROR: LeakSanitizer' "$log"; then
		note_fail 1 "$name: LeakSanitizer reported a leak (see $log)"
		grep -a -A12 'ERROR: LeakSanitizer' "$log" | head -40
	fi
	echo "== $name: $p passing, $f failing, ctest rc=$rc"
}

build() {
	local dir=$1; shift
	cmake -S "$ROOT" -B "$dir" -G Ninja "$@" >"$LOGDIR/$(basename "$dir")-configure.log" 2>&1 &&
		ninja -C "$dir" -j "$JOBS" >"$LOGDIR/$(basename "$dir")-build.log" 2>&1
}

bash scripts/setup.sh || { echo "setup failed"; exit 1; }

if stage unit || stage lab || stage web; then
	echo "== build (RelWithDebInfo, -Werror)"
	if build "$ROOT/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo; then
		stage unit && run_ctest unit "$ROOT/build"
	else
		tail -40 "$LOGDIR/build-build.log"; note_fail 1 "build"
	fi
fi

if stage asan; then
	echo "== build (ASan + UBSan)"
	if build "$ROOT/build-asan" -DCMAKE_BUILD_TYPE=Debug -DSANITIZE=ON; then
		run_ctest asan "$ROOT/build-asan"
	else
		tail -40 "$LOGDIR/build-asan-build.log"; note_fail 1 "asan build"
	fi
fi

if stage fuzz && [ -f test/fuzz/CMakeLists.txt ]; then
	echo "== fuzz ($FUZZ_SECONDS s per target)"
	if build "$ROOT/build-fuzz" -DCMAKE_C_COMPILER=clang -DFUZZ=ON -DBUILD_TESTING=ON -DCMAKE_BUILD_TYPE=Debug; then
		for bin in "$ROOT"/build-fuzz/bin/fuzz_*; do
			[ -x "$bin" ] || continue
			name=$(basename "$bin")
			corpus="$ROOT/test/fuzz/corpus/${name#fuzz_}"
			work=$(mktemp -d)
			[ -d "$corpus" ] && cp -r "$corpus"/. "$work"/ 2>/dev/null
			if (cd "$work" && "$bin" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "$work" \
				>"$LOGDIR/$name.log" 2>&1); then
				note_pass 1; echo "   $name: ok ($(grep -ao 'stat::number_of_executed_units: [0-9]*' "$LOGDIR/$name.log" | awk '{print $2}') runs)"
			else
				note_fail 1 "$name (see $LOGDIR/$name.log)"; tail -30 "$LOGDIR/$name.log"
			fi
			rm -rf "$work"
		done
	else
		tail -40 "$LOGDIR/build-fuzz-build.log"; note_fail 1 "fuzz build"
	fi
fi

# run_lab TEST_SCRIPT BUILD_DIR SUFFIX: one namespace test, counted.
run_lab() {
	local t=$1 dir=$2 sfx=$3 name log start rc
	name=$(basename "$t" .sh)$sfx
	log="$LOGDIR/$name.log"
	start=$SECONDS
	BUILD_DIR="$dir" timeout --kill-after=10 600 bash "$t" >"$log" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		note_pass 1; echo "   $name: ok ($((SECONDS - start)) s)"
	elif [ $rc -eq 77 ]; then
		echo "   $name: skipped ($(tail -1 "$log"))"
	else
		note_fail 1 "$name (rc $rc, see $log)"; echo "   $name: FAILED rc=$rc"; tail -30 "$log"
	fi
}

if stage lab; then
	echo "== network-namespace tests"
	for t in test/integration/test_*.sh test/interop/test_*.sh; do
		[ -f "$t" ] || continue
		run_lab "$t" "$ROOT/build" ""
	done
fi

# The self-healing tests (issue 9) and the relayed tunnel (issue 10) again with
# the ASan + UBSan daemons: a sanitizer report in a daemon's log fails them.
ASAN_LAB=${ASAN_LAB:-test_medcli_pair test_medcli_heal test_medcli_start test_medcli_peer_away test_medcli_chaos test_medsrv_flood test_medsrv_turn_creds test_medcli_relay_symmetric}
if stage asanlab; then
	echo "== network-namespace tests, ASan + UBSan build"
	if [ -x "$ROOT/build-asan/bin/medcli" ] || build "$ROOT/build-asan" -DCMAKE_BUILD_TYPE=Debug -DSANITIZE=ON; then
		for n in $ASAN_LAB; do
			[ -f "test/integration/$n.sh" ] || continue
			run_lab "test/integration/$n.sh" "$ROOT/build-asan" "-asan"
		done
	else
		tail -40 "$LOGDIR/build-asan-build.log"; note_fail 1 "asan build"
	fi
fi

if stage web && [ -f test/web/run.sh ]; then
	echo "== browser tests"
	if BUILD_DIR="$ROOT/build" timeout 900 bash test/web/run.sh >"$LOGDIR/web.log" 2>&1; then
		n=$(grep -ac '^ok ' "$LOGDIR/web.log"); note_pass "${n:-1}"; echo "   web: ok ($n)"
	else
		note_fail 1 "web (see $LOGDIR/web.log)"; tail -40 "$LOGDIR/web.log"
	fi
fi

echo
for f in "${failures[@]}"; do echo "FAILED: $f"; done
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
