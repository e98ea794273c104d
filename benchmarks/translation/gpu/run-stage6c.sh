#!/usr/bin/env bash
# Stage 6c, on the same warm H100 after 6b: a fifth seed of uniform and of AutoAssist (paper's
# Assistant), and the loss-history Assistant, seeds 0-3, all full runs evaluated every 29 steps as in
# stage 6. Six processes (decoding 256 sentences per batch to stay inside the GPU's memory): wall times
# are comparable within this stage only.
#   AUTOASSIST_GIT_COMMIT=<commit> bash benchmarks/translation/gpu/run-stage6c.sh
LIMIT=280; RUNS=runs-gpu6c; EVAL_POINTS=40
source benchmarks/translation/gpu/common.sh
COMMON="$COMMON --threads 1 --decode-batch-size 256"
date -u > $OUT/gpu6c.log
part u4 --methods uniform --seeds 4 &
part a4 --methods $P --seeds 4 &
for s in 0 1 2 3; do part h$s --methods $H --seeds $s & done
wait
date -u >> $OUT/gpu6c.log
for f in "$RUNS"/*.log; do echo "=== $f"; grep -v "it/s\]\|s/it\]" "$f" | tail -4; done >> "$OUT/gpu6c.log" 2>&1
tar czf "$OUT/runs-gpu6c.tgz" --exclude='*.png' "$RUNS"/[uah]*
