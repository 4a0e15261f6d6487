#!/usr/bin/env bash
# A faultline sweep as a Slurm job array: each array task runs one shard (a block of seeds,
# every variant of each seed) and writes a partial result; a dependent job merges them.
#
#   sbatch --array=0-15 examples/cluster/slurm-sweep.sh
#   sbatch --dependency=afterok:<array job id> --wrap \
#       "faultline merge results/all-controls --out results/all-controls/merged"
#
# faultline reads SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT and SLURM_ARRAY_TASK_MIN, so
# the array's size is the shard count; arrays numbered from 1 (--array=1-16) work as well.
# The merged summary.json is byte-identical to running the whole sweep on one machine.
#SBATCH --job-name=faultline-sweep
#SBATCH --cpus-per-task=4
#SBATCH --mem=1G
#SBATCH --time=01:00:00
#SBATCH --output=logs/%x-%A_%a.out
set -euo pipefail

SCENARIO=${SCENARIO:-scenarios/all-controls.ron}
RUNS=${RUNS:-10000}
OUT=${OUT:-results/all-controls}
TOGGLE=${TOGGLE:-dpi,segmentation}
# HOURS: simulated hours per run (the scenario's own when unset).
# SHARD=K/N reruns one shard outside the array (a task that failed or was cancelled):
#   sbatch --export=ALL,SHARD=2/16 examples/cluster/slurm-sweep.sh
# (an array of one task would count itself as the only shard).

# Every task shares one --out: shard k writes OUT/shard-KKKK-of-NNNN/ (runs.csv, then
# partial.json). The partial.json is written last, so a shard that died mid-way is never
# merged: the merge names the shards missing.
faultline sweep "$SCENARIO" \
    --runs "$RUNS" \
    --toggle "$TOGGLE" \
    ${HOURS:+--hours "$HOURS"} \
    ${SHARD:+--shard "$SHARD"} \
    --threads "${SLURM_CPUS_PER_TASK:-1}" \
    --out "$OUT"
