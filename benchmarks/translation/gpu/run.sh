#!/usr/bin/env bash
# The Multi30k translation benchmark on one lent NVIDIA H100 (issue 8: "run the benchmark there too with a
# larger model"). One prepared script, run once through the device tool from the repository root:
#   AUTOASSIST_GIT_COMMIT=<commit> bash benchmarks/translation/gpu/run.sh
# with the Multi30k files copied to gpu-data/multi30k and the joint BPE cached in gpu-data/bpe (both
# git-ignored, carried to the machine). Eight benchmark processes share the GPU (2 torch threads each,
# 16 CPU cores): wall times of one run are taken under the same contention as every other run's, so
# compare them only within this run; Boss steps do not depend on it.
#
# Model: pre-norm Transformer 3+3 layers, width 512, 8 heads, feed-forward 2048, dropout 0.1, tied
# embeddings; joint BPE 8,000; batches of <= 4,096 padded tokens; Adam 1e-3, inverse-sqrt warm-up 400;
# EPOCHS epochs of uniform's Boss steps (118 batches each).
# DEVICE=cpu EPOCHS=0.02 SMALL=1 runs the same script in minutes on a CPU (a dry run of the plumbing).
LIMIT=${LIMIT:-480}   # seconds each benchmark process may run before it is stopped (finished runs are kept)
RUNS=${RUNS:-runs-gpu}
EVAL_POINTS=10
source benchmarks/translation/gpu/common.sh   # the header this stage ran with, moved there unchanged
LOG="$OUTDIR/gpu.log"
{ date -u; nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1 | head -3
  $PY -c "import torch, sacrebleu, sentencepiece, numba, scipy; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"
} > "$LOG" 2>&1
# smoke: a few CUDA steps on the synthetic corpus; stop at once if the plumbing fails
if ! timeout 120 $A bench translate --synthetic-train 300 --epochs 0.2 --eval-points 1 --val-sentences 20 \
     --test-sentences 20 --methods uniform autoassist:assistant=paper --device $DEVICE --out "$RUNS/smoke" >> "$LOG" 2>&1; then
  echo "SMOKE FAILED" >> "$LOG"; exit 1
fi
( part p1 --methods uniform --seeds 0 1 ) &
( part p2 --methods autoassist:assistant=paper random:keep_rate=auto --seeds 0 ) &
( part p3 --methods autoassist:assistant=paper --seeds 1 2 ) &
( part p4 --methods autoassist:assistant=loss-history infobatch --seeds 0 ) &
( part p5 --methods importance --seeds 0; part p5b --methods uniform --seeds 2 ) &
( part p6 --methods autoassist:assistant=paper random:keep_rate=auto --seeds 0 --fractions 0.6 ) &
( part p7 --methods uniform autoassist:assistant=loss-history --seeds 0 --fractions 0.6 ) &
( part p8 --methods autoassist:assistant=loss-history --seeds 1 2 ) &
wait
date -u >> "$LOG"
for f in "$RUNS"/p*.log; do echo "=== $f"; grep -v "it/s\]\|s/it\]" "$f" | tail -40; done >> "$LOG" 2>&1
tar czf "$OUTDIR/runs-gpu.tgz" --exclude='*.png' "$RUNS"/p* "$RUNS"/smoke/results.json 2>> "$LOG"
echo done >> "$LOG"
