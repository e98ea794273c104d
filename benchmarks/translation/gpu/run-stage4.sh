#!/usr/bin/env bash
# Stage 4 on a lent H100: seeds 3 and 4 at the two decisive budgets of stage 3, where three seeds left the
# medians within the seed spread of the target: fraction 0.7 for uniform and both AutoAssist Assistants,
# 0.6 for uniform and the paper's Assistant. Budget protocol (schedule compressed to the fraction,
# evaluated at the end), same model, data and settings as run.sh (common.sh); eight processes share the GPU.
#   AUTOASSIST_GIT_COMMIT=<commit> LIMIT=300 bash benchmarks/translation/gpu/run-stage4.sh
LIMIT=${LIMIT:-300}
RUNS=${RUNS:-runs-gpu4}
EVAL_POINTS=1
source benchmarks/translation/gpu/common.sh
( part s1 --methods uniform --seeds 3 --fractions 0.7; part s1b --methods uniform --seeds 3 --fractions 0.6 ) &
( part s2 --methods uniform --seeds 4 --fractions 0.7; part s2b --methods uniform --seeds 4 --fractions 0.6 ) &
part s3 --methods $P --seeds 3 --fractions 0.7 &
part s4 --methods $P --seeds 4 --fractions 0.7 &
part s5 --methods $H --seeds 3 --fractions 0.7 &
part s6 --methods $H --seeds 4 --fractions 0.7 &
part s7 --methods $P --seeds 3 --fractions 0.6 &
part s8 --methods $P --seeds 4 --fractions 0.6 &
wait
for f in "$RUNS"/s*.log; do echo "=== $f"; grep -v "it/s\]\|s/it\]" "$f" | tail -4; done > "$OUTDIR/gpu4.log" 2>&1
tar czf "$OUTDIR/runs-gpu4.tgz" --exclude='*.png' "$RUNS"/s*
