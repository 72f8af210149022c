#!/usr/bin/env bash
# Usage: deploy/slurm/submit.sh ARCHIVE_DIR OUT_DIR [SHARDS]
# Queues SHARDS array tasks of `skintrack batch --shard I/SHARDS` and, after
# all of them have ended (whether or not a case failed), `skintrack index`.
# Run it again at any time: finished cases whose inputs did not change are
# skipped, so only new or changed visits are analysed.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 ARCHIVE_DIR OUT_DIR [SHARDS]" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
archive=$(realpath "$1")
out=$(realpath -m "$2")
shards=${3:-16}
mkdir -p "$out"
batch=$(sbatch --parsable --array="0-$((shards - 1))" \
  --export="ALL,ARCHIVE=$archive,OUT=$out" "$here/batch.sbatch")
# afterany: the index lists failed cases too, so it runs whatever the shards' exit codes
index=$(sbatch --parsable --dependency="afterany:${batch%%;*}" \
  --export="ALL,OUT=$out" "$here/index.sbatch")
echo "batch array job ${batch%%;*} ($shards shards), index job ${index%%;*}; then open $out/index.html"
