#!/usr/bin/env bash
# Mounts a journaled ext4 file system (a loop image) for benchmark data
# directories and prints the TMPDIR line to run the benchmarks with:
#
#   eval "$(bash scripts/bench-fs.sh)"; npm run bench -- rest-jobs
#
# Why: the development machines' root file system is ext4 without a journal,
# and such ext4 skips (checking one by one) every inode freed in the last
# 60–360 s when it allocates a new one. Each benchmark deletes its data
# directory, so the next run pays up to 0.4 ms per file it creates. A
# journaled ext4, as servers use, has no such check. Needs root.
set -euo pipefail
image=${OCP_BENCH_FS_IMAGE:-/var/tmp/ocp-bench-fs.img}
mountpoint=${OCP_BENCH_FS_MOUNT:-/mnt/ocp-bench}
if ! mountpoint -q "$mountpoint"; then
  if [ ! -f "$image" ]; then
    truncate -s 8G "$image"
    mkfs.ext4 -q -F "$image"
  fi
  mkdir -p "$mountpoint"
  mount -o loop "$image" "$mountpoint"
fi
echo "export TMPDIR=$mountpoint"
