#!/usr/bin/env bash
# One shard of a fuzzing campaign, for CI: validates its options, finds or builds `dtx`, runs
# `dtx campaign` and leaves every result under --out.
#
#   bash ci/campaign.sh [--shard I/N] [--duration D] [--seeds N] [--start S] [--jobs J]
#                       [--protocol P] [--out DIR] [--append] [--findings-exit CODE]
#
#   --shard I/N        this shard's part of the seeds: start+I, start+I+N, … (default 0/1)
#   --duration D       wall-clock budget, e.g. 30s, 10m, 1h (default 60s unless --seeds is given)
#   --seeds N          how many seeds of the range to run (with --duration: whichever ends first)
#   --start S          first seed, decimal or 0x hex (default $DTX_START, else 0); give every
#                      run a new one (a run number, a date) so each run tests new seeds
#   --jobs J           worker threads (default: every core dtx sees)
#   --protocol P       a protocol, or `all` (every protocol but the baselines; default)
#   --out DIR          where the results go (default campaign-out; dtx refuses a non-empty
#                      one unless --append)
#   --append           write into a non-empty --out (a retried pod): what an earlier attempt
#                      left there is listed as earlier, never counted as this run's
#   --findings-exit C  the exit code when bugs are found (default 1); a Kubernetes Job uses 0
#                      so that findings, which are in the files, do not count as pod failures
#
# Results, the layout `dtx campaign --out DIR --junit DIR/junit.xml` writes:
#   DIR/report.json   the combined report (schema dtx.campaign/1), every protocol of the run
#   DIR/summary.md    the same, for people (dtx also appends it to $GITHUB_STEP_SUMMARY if set)
#   DIR/junit.xml     the results as JUnit XML, for CI test reports
#   DIR/failures/     one case file per failure signature: `dtx replay FILE` reproduces it
#
# Exit codes:
#   0    clean: no protocol failed
#   1    bugs found (or the --findings-exit code): see DIR/summary.md and DIR/failures/
#   2    bad arguments (one line on stderr naming the option), here or in dtx
#   130  interrupted (SIGINT or SIGTERM): dtx was stopped and wrote its reports first
#   other: an error — the build failed, no dtx was found (127), dtx crashed
#
# Which dtx: $DTX if set; in a source checkout, `cargo build --release --locked --bin dtx`
# and target/release/dtx; otherwise `dtx` on PATH (the campaign image, ci/Dockerfile).
set -euo pipefail

usage="usage: campaign.sh [--shard I/N] [--duration D] [--seeds N] [--start S] [--jobs J] [--protocol P] [--out DIR] [--append] [--findings-exit CODE]"

# A one-line error naming what is wrong, exit 2.
bad() {
  echo "campaign.sh: $*" >&2
  exit 2
}

shard="0/1"; duration=""; seeds=""; start="${DTX_START:-0}"; jobs=""
protocol="all"; out="campaign-out"; findings_exit=1; append=""
while [ $# -gt 0 ]; do
  option="$1"
  case "$option" in
    --shard | --duration | --seeds | --start | --jobs | --protocol | --out | --findings-exit)
      # A value is missing when the option is last or followed by another option.
      if [ $# -lt 2 ] || [[ "$2" == --* ]] || [ -z "$2" ]; then
        bad "$option needs a value; $usage"
      fi
      value="$2"
      shift 2
      ;;
    --append) append=1; shift; continue ;;
    -h | --help) echo "$usage"; exit 0 ;;
    *) bad "unknown argument '$option'; $usage" ;;
  esac
  case "$option" in
    --shard) shard="$value" ;;
    --duration) duration="$value" ;;
    --seeds) seeds="$value" ;;
    --start) start="$value" ;;
    --jobs) jobs="$value" ;;
    --protocol) protocol="$value" ;;
    --out) out="$value" ;;
    --findings-exit) findings_exit="$value" ;;
  esac
done

# Each check names the option and the value it got.
if [[ ! "$shard" =~ ^([0-9]+)/([0-9]+)$ ]]; then
  bad "--shard '$shard' is not I/N (e.g. 0/4)"
fi
if [ "${BASH_REMATCH[2]}" -eq 0 ] || [ "${BASH_REMATCH[1]}" -ge "${BASH_REMATCH[2]}" ]; then
  bad "--shard '$shard': needs 0 <= I < N"
fi
if [ -n "$seeds" ] && [[ ! "$seeds" =~ ^[1-9][0-9]*$ ]]; then
  bad "--seeds '$seeds' is not a positive whole number"
fi
if [ -n "$jobs" ] && [[ ! "$jobs" =~ ^[1-9][0-9]*$ ]]; then
  bad "--jobs '$jobs' is not a positive whole number"
fi
if [[ ! "$start" =~ ^([0-9]+|0[xX][0-9a-fA-F]+)$ ]]; then
  bad "--start '$start' is not a seed (decimal or 0x hex)"
fi
if [ -n "$duration" ] && [[ ! "$duration" =~ ^[0-9] ]]; then
  bad "--duration '$duration' is not a duration (e.g. 30s, 10m, 1h)"
fi
if [[ ! "$findings_exit" =~ ^[0-9]+$ ]] || [ "$findings_exit" -gt 255 ]; then
  bad "--findings-exit '$findings_exit' is not an exit code (0-255)"
fi
if [ -z "$duration" ] && [ -z "$seeds" ]; then
  duration="60s"
fi

# Which dtx.
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ -n "${DTX:-}" ]; then
  dtx="$DTX"
elif [ -f "$root/Cargo.toml" ] && [ -d "$root/src" ] && command -v cargo >/dev/null 2>&1; then
  (cd "$root" && cargo build --release --locked --quiet --bin dtx)
  dtx="$root/target/release/dtx"
elif command -v dtx >/dev/null 2>&1; then
  dtx="$(command -v dtx)"
else
  echo "campaign.sh: no dtx: not in a source checkout with cargo, and none on PATH" >&2
  exit 127
fi

args=(campaign --protocol "$protocol" --shard "$shard" --start "$start"
  --out "$out" --junit "$out/junit.xml")
[ -n "$duration" ] && args+=(--duration "$duration")
[ -n "$seeds" ] && args+=(--seeds "$seeds")
[ -n "$jobs" ] && args+=(--jobs "$jobs")
[ -n "$append" ] && args+=(--append)
mkdir -p "$out"

# dtx runs as a background job in a process group of its own (set -m), and this script
# forwards SIGINT and SIGTERM to it exactly once, then waits for it to write its reports.
# That way a terminal's Ctrl-C, `kill` of this script, a cancelled CI job and a Kubernetes pod
# being stopped (SIGTERM to the container's first process, this script) all reach dtx once.
pid=""; pending=""
# shellcheck disable=SC2329 # called from the traps below
forward() {
  signalled=1
  if [ -n "$pid" ]; then kill -s "$1" "$pid" 2>/dev/null || true; else pending="$1"; fi
}
trap 'forward INT' INT
trap 'forward TERM' TERM
set -m
"$dtx" "${args[@]}" &
pid=$!
if [ -n "$pending" ]; then kill -s "$pending" "$pid" 2>/dev/null || true; fi
# `wait` returns early (above 128) when a trapped signal arrives: then wait again for dtx's own
# exit status (127 from a second wait means dtx's status was already the one we had).
status=""; last=""
while [ -z "$status" ]; do
  signalled=0
  wait "$pid" && rc=0 || rc=$?
  if [ "$rc" = 127 ] && [ -n "$last" ]; then
    status="$last"
  elif [ "$signalled" = 0 ] || [ "$rc" -le 128 ]; then
    status="$rc"
  fi
  last="$rc"
done
trap - INT TERM

if [ "$status" = 0 ] || [ "$status" = 1 ] || [ "$status" = 130 ]; then
  cases=0
  if [ -d "$out/failures" ]; then
    cases=$(find "$out/failures" -name '*.json' | wc -l | tr -d ' ')
  fi
  echo "shard $shard: $cases failure case(s) in $out/failures; reports in $out" >&2
fi
case "$status" in
  0) exit 0 ;;
  1) exit "$findings_exit" ;;
  2 | 130) exit "$status" ;;
  *) echo "campaign.sh: dtx campaign exited $status" >&2; exit "$status" ;;
esac
