#!/usr/bin/env bash
# Stage 5 on a lent H100: AutoAssist (paper's Assistant) with the last 15% of the Boss steps trained on
# every instance (anneal_fraction=0.15, as InfoBatch anneals), at fraction 0.7 (826 steps, seeds 0-4) and
# 0.6 (708 steps, seeds 0-2). Stage 4 showed two of five AutoAssist runs at 0.7 ending 3 BLEU low with a
# normal training loss: a selected (harder, longer) mix in the last steps of a compressed schedule is
# the suspect. Same model, data and settings as run.sh (common.sh); eight processes share the GPU.
#   AUTOASSIST_GIT_COMMIT=<commit> LIMIT=180 bash benchmarks/translation/gpu/run-stage5.sh
LIMIT=${LIMIT:-180}
RUNS=${RUNS:-runs-gpu5}
EVAL_POINTS=1
source benchmarks/translation/gpu/common.sh
A7=autoassist:assistant=paper,anneal_fraction=0.15,total_steps=826
A6=autoassist:assistant=paper,anneal_fraction=0.15,total_steps=708
for s in 0 1 2 3 4; do part t7s$s --methods $A7 --seeds $s --fractions 0.7 & done
for s in 0 1 2; do part t6s$s --methods $A6 --seeds $s --fractions 0.6 & done
wait
for f in "$RUNS"/t*.log; do echo "=== $f"; grep -v "it/s\]\|s/it\]" "$f" | tail -4; done > "$OUTDIR/gpu5.log" 2>&1
tar czf "$OUTDIR/runs-gpu5.tgz" --exclude='*.png' "$RUNS"/t*
