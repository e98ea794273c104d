# Shared by the GPU stage scripts (sourced, from the repository root): the model, data and settings of
# run.sh and run-budget.sh, and part NAME ARGS... (one benchmark process, its own --out, stopped after
# LIMIT seconds). The caller sets LIMIT, RUNS and EVAL_POINTS first.
set -uo pipefail
PY=${PY:-python3}
DEVICE=${DEVICE:-cuda}
OUTDIR=${OUT:-$RUNS/out}
export PYTHONPATH=src PYTHONUNBUFFERED=1 OMP_NUM_THREADS=2
A="$PY -m autoassist.cli"
SIZE="--d-model 512 --heads 8 --layers 3 --d-ff 2048"
EXTRA=""
if [ -n "${SMALL:-}" ]; then SIZE="--d-model 64 --heads 4 --layers 1 --d-ff 128"; EXTRA="--val-sentences 40 --test-sentences 40"; fi
COMMON="--data-dir gpu-data/multi30k --src en --tgt de --test-split test_2016_flickr --lowercase --vocab-size 8000
        --bpe-dir gpu-data/bpe --max-tokens 4096 --lr 1e-3 --warmup-steps 400 --epochs ${EPOCHS:-10}
        --eval-points $EVAL_POINTS --beam-size 4 --threads 2 --device $DEVICE $SIZE $EXTRA"
mkdir -p "$RUNS" "$OUTDIR"
part() {
  local name=$1; shift
  timeout -s INT "$LIMIT" $A bench translate $COMMON --out "$RUNS/$name" "$@" > "$RUNS/$name.log" 2>&1
}
P=autoassist:assistant=paper
H=autoassist:assistant=loss-history
# finish TAG GLOB: the end time and each part's last lines into $OUTDIR/TAG.log, the runs (no PNGs) into runs-TAG.tgz
finish() {
  local tag=$1 glob=$2
  date -u >> "$OUTDIR/$tag.log"
  for f in "$RUNS"/*.log; do echo "=== $f"; grep -v "it/s\]\|s/it\]" "$f" | tail -4; done >> "$OUTDIR/$tag.log" 2>&1
  tar czf "$OUTDIR/runs-$tag.tgz" --exclude='*.png' "$RUNS"/$glob
}
# start_log TAG: the date and the GPU into $OUTDIR/TAG.log (the stages that run many one-thread processes)
start_log() {
  { date -u; nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1 | head -3; } > "$OUTDIR/$1.log"
}
