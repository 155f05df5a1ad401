#!/usr/bin/env bash
# One shard of a time-boxed fuzzing campaign; failures are collected as artifacts.
#
#   bash ci/campaign.sh --shard 0/2 --duration 30s [--protocol all] [--out DIR] [--start SEED]
#
# Each shard runs the seeds start+I, start+I+N, … of every protocol until the budget is
# spent, writes report.json + summary.md per protocol and a failures/ case file per failing
# seed, then gathers every case under DIR/artifacts/ (what CI uploads). Exit 0 when no
# protocol except the expected baselines failed, 1 otherwise, 2 on bad arguments.
set -euo pipefail

shard="0/1"; duration="60s"; protocol="all"; out="campaign-out"; start="${DTX_CAMPAIGN_START:-0}"
while [ $# -gt 0 ]; do
  case "$1" in
    --shard) shard="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --protocol) protocol="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --start) start="$2"; shift 2 ;;
    *) echo "campaign.sh: unknown argument '$1'; valid: --shard I/N --duration D --protocol P --out DIR --start SEED" >&2; exit 2 ;;
  esac
done

cd "$(dirname "$0")/.."
cargo build --release --quiet --bin dtx
dtx=target/release/dtx
mkdir -p "$out/artifacts"

status=0
"$dtx" campaign --protocol "$protocol" --shard "$shard" --duration "$duration" \
  --start "$start" --out "$out/reports" || status=$?

# Every failure case, flat, named by protocol and seed: ready to upload or to copy into
# tests/corpus/ as a regression case.
find "$out/reports" -path '*/failures/*.json' -exec cp {} "$out/artifacts/" \; 2>/dev/null || true
count=$(find "$out/artifacts" -name '*.json' | wc -l)
echo "shard $shard: $count failure case(s) in $out/artifacts"
case "$status" in
  0|1) exit "$status" ;;
  *) echo "campaign.sh: dtx campaign exited $status" >&2; exit "$status" ;;
esac
