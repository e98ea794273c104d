#!/usr/bin/env bash
# Stage 3 on a lent H100 (after run.sh and run-budget.sh, same model, data and settings): the budget
# protocol at fraction 0.7 (uniform and both AutoAssist Assistants, seeds 0-2), the missing seeds at 0.6
# (loss-history 1-2, random 1-2 at AutoAssist's measured keep rate 0.69, InfoBatch and importance seed 0),
# and two attempts at a stronger filter at 0.6: base_prob 0.3 (the paper's image value) with the adaptive
# floor (raised to 1 - accuracy while the Assistant is unsure) and without it, seeds 0-2.
# Each run trains a fraction of uniform's 1,180 Boss steps with the schedule compressed to it, evaluated
# at its end only. Eight processes share the GPU; a process stopped at LIMIT loses its unfinished run.
#   AUTOASSIST_GIT_COMMIT=<commit> LIMIT=330 bash benchmarks/translation/gpu/run-stage3.sh
# (Its header now lives in common.sh, unchanged in effect.) DEVICE=cpu EPOCHS=0.2 SMALL=1 LIMIT=200 runs the same plumbing on a CPU in minutes.
LIMIT=${LIMIT:-330}
RUNS=${RUNS:-runs-gpu3}
EVAL_POINTS=1
source benchmarks/translation/gpu/common.sh
P3=autoassist:assistant=paper,base_prob=0.3
P3F=autoassist:assistant=paper,base_prob=0.3,adaptive_base=false
R=random:keep_rate=0.69
( part r1 --methods uniform --seeds 0 --fractions 0.7; part r1b --methods uniform --seeds 1 --fractions 0.7; part r1c --methods $P3 --seeds 0 --fractions 0.6 ) &
( part r2 --methods uniform --seeds 2 --fractions 0.7; part r2b --methods $P --seeds 0 --fractions 0.7; part r2c --methods $P3 --seeds 1 --fractions 0.6 ) &
( part r3 --methods $P --seeds 1 --fractions 0.7; part r3b --methods $P --seeds 2 --fractions 0.7; part r3c --methods $P3 --seeds 2 --fractions 0.6 ) &
( part r4 --methods $H --seeds 0 --fractions 0.7; part r4b --methods $H --seeds 1 --fractions 0.7; part r4c --methods $H --seeds 1 --fractions 0.6 ) &
( part r5 --methods $H --seeds 2 --fractions 0.7; part r5b --methods $H --seeds 2 --fractions 0.6; part r5c --methods $R --seeds 1 --fractions 0.6 ) &
( part r6 --methods $P3F --seeds 0 --fractions 0.6; part r6b --methods $P3F --seeds 1 --fractions 0.6; part r6c --methods $P3F --seeds 2 --fractions 0.6 ) &
( part r7 --methods $R --seeds 2 --fractions 0.6; part r7b --methods infobatch --seeds 0 --fractions 0.6; part r7c --methods importance --seeds 0 --fractions 0.6 ) &
( part r8 --methods uniform --seeds 0 --fractions 0.65; part r8b --methods $P --seeds 0 --fractions 0.65; part r8c --methods $H --seeds 0 --fractions 0.65 ) &
wait
for f in "$RUNS"/r*.log; do echo "=== $f"; grep -v "it/s\]\|s/it\]" "$f" | tail -4; done > "$OUTDIR/gpu3.log" 2>&1
tar czf "$OUTDIR/runs-gpu3.tgz" --exclude='*.png' "$RUNS"/r*
