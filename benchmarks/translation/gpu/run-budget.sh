#!/usr/bin/env bash
# Stage 2 on the lent H100 (after run.sh): the budget protocol with more seeds. Each run trains a
# fraction of uniform's 1,180 Boss steps with the schedule compressed to it and is evaluated at its end
# only (--eval-points 1): fraction 0.8 for seeds 0-2 (uniform, AutoAssist with the paper's and the
# loss-history Assistant) and 0.6 for seeds 1-2 (uniform and the paper's Assistant; seed 0 of 0.6 is
# in run.sh's results). What fits the lease's last minutes; a process stopped at LIMIT loses its run.
# Same model, data and settings as run.sh; eight processes share the GPU as there.
#   AUTOASSIST_GIT_COMMIT=<commit> LIMIT=220 bash benchmarks/translation/gpu/run-budget.sh
LIMIT=${LIMIT:-220}
RUNS=${RUNS:-runs-gpu2}
EVAL_POINTS=1
source benchmarks/translation/gpu/common.sh   # the header this stage ran with, moved there unchanged
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
