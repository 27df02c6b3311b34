#!/usr/bin/env bash
# Runs one libFuzzer target for a while and says whether it found anything.
#
#   tests/fuzz/run_fuzzer.sh <fuzzer binary> <corpus dir> <seconds>
#
# The committed corpus (tests/fuzz/corpus/<target>) is copied to a scratch directory first,
# so a run never changes the tree; the dictionary tests/fuzz/dict/<target>.dict is used when
# there is one. KAM_FUZZ_SECONDS=N overrides <seconds>; KAM_RELIABILITY_LONG=1 makes it 300.
# KAM_FUZZ_KEEP=<dir> keeps the grown corpus there (to merge useful inputs back by hand).
#
# Exit status 0 only when the time ran out with no crash, leak, UBSan report, timeout or
# broken property. A failing input is copied to fuzz-artifacts/<target>/ under the current
# directory, with the command that replays it. Either way the last line on stdout is
#   RELIABILITY {"scenario":"fuzz_<target>","pass":...,"gates":{"crashes":N},"figures":{...}}
# (runs, executions per second, coverage and feature counts, corpus size), and it is
# appended to $KAM_RELIABILITY_REPORT when that is set, like the scenarios' lines.
set -uo pipefail

if [[ $# -ne 3 ]]; then
  echo "usage: $0 <fuzzer binary> <corpus dir> <seconds>" >&2
  exit 2
fi
binary=$1
corpus=$2
seconds=$3
target=$(basename "$binary")
target=${target%_fuzzer}
long_mode=false
if [[ ${KAM_RELIABILITY_LONG:-} == 1 ]]; then
  long_mode=true
  seconds=300
fi
seconds=${KAM_FUZZ_SECONDS:-$seconds}

if [[ ! -x $binary ]]; then
  echo "$binary is not built: it is made in the sanitized clang tree (scripts/dev" \
    "build_sanitized, or cmake -DKAM_SANITIZE=ON -DKAM_FUZZ=ON ... && ninja fuzzers)" >&2
  exit 1
fi
if [[ ! -d $corpus ]]; then
  echo "no corpus directory $corpus" >&2
  exit 1
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/kam-fuzz-$target.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/corpus" "$scratch/artifacts"
cp -R "$corpus"/. "$scratch/corpus/"
options=(
  -max_total_time="$seconds"
  # CI's short run starts from a fixed seed so that a red run can be repeated; the longer
  # mode (and KAM_FUZZ_SEED=0) explores from a random one.
  -seed="${KAM_FUZZ_SEED:-$([[ $long_mode == true ]] && echo 0 || echo 1)}"
  -timeout=25                 # one input taking longer is a finding (a hang)
  -rss_limit_mb=4096          # ASan and gRPC's arenas need more than the default 2 GB
  -max_len=8192
  -print_final_stats=1
  -artifact_prefix="$scratch/artifacts/"
)
dictionary=$(dirname "$corpus")/../dict/$target.dict
if [[ -f $dictionary ]]; then options+=(-dict="$dictionary"); fi

# UBSan stops at its first report; ASan's leak check runs at the end and after inputs that
# leak (libFuzzer's -detect_leaks, on by default).
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
"$binary" "${options[@]}" "$scratch/corpus" >"$scratch/log" 2>&1
status=$?

stat() {
  sed -n "s/^stat::$1: *//p" "$scratch/log" | tail -n 1
}
# The last status line: "#1234 DONE cov: 812 ft: 2001 corp: 64/3Kb ..." (or pulse/NEW).
last=$(grep -E '^#[0-9]+[[:space:]]' "$scratch/log" | tail -n 1)
field() {
  sed -n "s/.* $1: \\([0-9]*\\).*/\\1/p" <<<"$last"
}
crashes=0
if [[ $status -ne 0 ]]; then crashes=1; fi
pass=$([[ $crashes -eq 0 ]] && echo true || echo false)
line=$(printf '{"scenario":"fuzz_%s","pass":%s,"long_mode":%s,"gates":{"crashes":%d},"figures":{"seconds":%d,"runs":%d,"execs_per_sec":%d,"coverage":%d,"features":%d,"corpus_units":%d,"new_units":%d,"peak_rss_mb":%d}}' \
  "$target" "$pass" "$long_mode" "$crashes" "$seconds" "$(stat number_of_executed_units)" \
  "$(stat average_exec_per_sec)" "$(field cov)" "$(field ft)" \
  "$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$last")" "$(stat new_units_added)" \
  "$(stat peak_rss_mb)")

if [[ $crashes -ne 0 ]]; then
  # The finding: what libFuzzer and the sanitizers said, and the input to replay it.
  grep -v -E '^#[0-9]+[[:space:]]' "$scratch/log" | tail -n 60 >&2
  keep=$PWD/fuzz-artifacts/$target
  mkdir -p "$keep"
  for artifact in "$scratch"/artifacts/*; do
    [[ -e $artifact ]] || continue
    cp "$artifact" "$keep/"
    echo "failing input: $keep/$(basename "$artifact")  (replay: $binary $keep/$(basename "$artifact"))" >&2
  done
fi
if [[ -n ${KAM_FUZZ_KEEP:-} ]]; then
  mkdir -p "$KAM_FUZZ_KEEP"
  cp -R "$scratch/corpus"/. "$KAM_FUZZ_KEEP/"
fi
echo "RELIABILITY $line"
if [[ -n ${KAM_RELIABILITY_REPORT:-} ]]; then echo "$line" >>"$KAM_RELIABILITY_REPORT"; fi
exit $((crashes == 0 ? 0 : 1))
