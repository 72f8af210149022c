#!/usr/bin/env bash
# Usage: deploy/kubernetes/run.sh [NAMESPACE]
# Runs the indexed batch Job, waits until it has ended (complete, or failed
# because some case failed: those are listed in the index), then the index Job.
# Gives up after SKINTRACK_WAIT_HOURS (default 24) hours, e.g. on pods that
# stay Pending, leaving the Job for `kubectl describe job skintrack-batch`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ns=(--namespace "${1:-default}")
hours=${SKINTRACK_WAIT_HOURS:-24}
if ! [[ $hours =~ ^[0-9]+$ ]]; then
  echo "SKINTRACK_WAIT_HOURS must be a whole number of hours, not '$hours'" >&2
  exit 2
fi
deadline=$(( $(date +%s) + 10#$hours * 3600 ))
kubectl "${ns[@]}" delete job skintrack-batch skintrack-index --ignore-not-found
kubectl "${ns[@]}" apply -f "$here/batch-job.yaml"
while :; do
  state=$(kubectl "${ns[@]}" get job skintrack-batch \
    -o jsonpath='{range .status.conditions[?(@.status=="True")]}{.type} {end}')
  case "$state" in
    *Complete*|*Failed*) break ;;
  esac
  if (( $(date +%s) > deadline )); then
    echo "skintrack-batch has not ended after $hours h; see: kubectl describe job skintrack-batch" >&2
    exit 1
  fi
  sleep 20
done
echo "batch job ended: $state"
kubectl "${ns[@]}" apply -f "$here/index-job.yaml"
kubectl "${ns[@]}" wait --for=condition=complete --timeout=30m job/skintrack-index
echo "index written to /data/out/index.html on the skintrack-data volume"
