#!/usr/bin/env bash
# Stage 6b: the two runs of stage 6 that ran out of GPU memory (AutoAssist with the unfiltered last 15%,
# seeds 0 and 1: twelve processes decoding 512 sentences x beam 4 at once filled the 80 GB), rerun on the
# same warm H100 right after, two processes alone: their Boss steps and BLEU are comparable with stage
# 6, their wall times are not (less contention).
#   AUTOASSIST_GIT_COMMIT=<commit> bash benchmarks/translation/gpu/run-stage6b.sh
LIMIT=300; RUNS=runs-gpu6b; EVAL_POINTS=40
source benchmarks/translation/gpu/common.sh
COMMON="$COMMON --threads 1 --decode-batch-size 512"
AN=autoassist:assistant=paper,anneal_fraction=0.15,total_steps=1180
date -u > $OUT/gpu6b.log
part n0 --methods $AN --seeds 0 &
part n1 --methods $AN --seeds 1 &
wait
date -u >> $OUT/gpu6b.log
for f in "$RUNS"/*.log; do echo "=== $f"; grep -v "it/s\]\|s/it\]" "$f" | tail -4; done >> "$OUT/gpu6b.log" 2>&1
tar czf "$OUT/runs-gpu6b.tgz" --exclude='*.png' "$RUNS"/n*
