#!/usr/bin/env bash
# Stage 2 on the lent H100 (after run.sh): the budget protocol with more seeds. Each run trains a
# fraction of uniform's 1,180 Boss steps with the schedule compressed to it and is evaluated at its end
# only (--eval-points 1): fraction 0.8 for seeds 0-2 (uniform, AutoAssist with the paper's and the
# loss-history Assistant) and 0.6 for seeds 1-2 (uniform and the paper's Assistant; seed 0 of 0.6 is
# in run.sh's results). What fits the lease's last minutes; a process stopped at LIMIT loses its run.
# Same model, data and settings as run.sh; eight processes share the GPU as there.
#   AUTOASSIST_GIT_COMMIT=<commit> LIMIT=220 bash benchmarks/translation/gpu/run-budget.sh
set -uo pipefail
PY=${PY:-python3}
DEVICE=${DEVICE:-cuda}
LIMIT=${LIMIT:-220}
RUNS=${RUNS:-runs-gpu2}
OUTDIR=${OUT:-$RUNS/out}
export PYTHONPATH=src PYTHONUNBUFFERED=1 OMP_NUM_THREADS=2
A="$PY -m autoassist.cli"
SIZE="--d-model 512 --heads 8 --layers 3 --d-ff 2048"
EXTRA=""
if [ -n "${SMALL:-}" ]; then SIZE="--d-model 64 --heads 4 --layers 1 --d-ff 128"; EXTRA="--val-sentences 40 --test-sentences 40"; fi
COMMON="--data-dir gpu-data/multi30k --src en --tgt de --test-split test_2016_flickr --lowercase --vocab-size 8000
        --bpe-dir gpu-data/bpe --max-tokens 4096 --lr 1e-3 --warmup-steps 400 --epochs ${EPOCHS:-10} --eval-points 1
        --beam-size 4 --threads 2 --device $DEVICE $SIZE $EXTRA"
mkdir -p "$RUNS" "$OUTDIR"
part() {
  local name=$1; shift
  timeout -s INT "$LIMIT" $A bench translate $COMMON --out "$RUNS/$name" "$@" > "$RUNS/$name.log" 2>&1
}
P=autoassist:assistant=paper
H=autoassist:assistant=loss-history
( part q1 --methods uniform --seeds 0 --fractions 0.8; part q1b --methods uniform --seeds 1 --fractions 0.6 ) &
( part q2 --methods uniform --seeds 1 --fractions 0.8; part q2b --methods $P --seeds 1 --fractions 0.6 ) &
( part q3 --methods uniform --seeds 2 --fractions 0.8; part q3b --methods uniform --seeds 2 --fractions 0.6 ) &
( part q4 --methods $P --seeds 0 --fractions 0.8; part q4b --methods $P --seeds 2 --fractions 0.6 ) &
( part q5 --methods $P --seeds 1 --fractions 0.8; part q5b --methods $H --seeds 1 --fractions 0.8 ) &
( part q6 --methods $P --seeds 2 --fractions 0.8 ) &
( part q7 --methods $H --seeds 0 --fractions 0.8 ) &
( part q8 --methods $H --seeds 2 --fractions 0.8 ) &
wait
for f in "$RUNS"/q*.log; do echo "=== $f"; grep -v "it/s\]\|s/it\]" "$f" | tail -8; done > "$OUTDIR/gpu2.log" 2>&1
tar czf "$OUTDIR/runs-gpu2.tgz" --exclude='*.png' "$RUNS"/q*
