#!/usr/bin/env bash
# Stage 9 (fifteenth session): the synthetic lab's easy-pairs finding on Multi30k, in stage 6's setting, with
# fresh decisions (`--fresh-decisions`, AutoAssist(fresh_decisions=True)): each batch's candidates are decided as
# it is cut from a pool of 32 batches' worth of undecided candidates, so decisions are as fresh as the generator's
# lag and batches pack as the default pool's (keep-all: 115 steps a pass against the default batcher's 118).
# 4 seeds each of uniform through the same batcher, the paper's Assistant (its rule, fresh), and the paper's
# Assistant with `prefer=easy` (accept with 0.5 + 0.5 * (1 - p): the pairs the Assistant calls learned are kept,
# half of the others), twelve processes with one torch thread each (as stage 6), the 29-step grid of stage 6
# (budget: 10 epochs of the default batcher's steps, 1,180). The synthetic lab (fifteenth session) found the
# paper's rule +1.1 +- 0.5 BLEU ahead with fresh decisions (as with stale ones) and prefer=easy -0.9 +- 0.5.
# Compare Boss steps with each other, and with stage 6's uniform (multi30k-h100-fine, the default batcher);
# wall times only within this stage.
#   AUTOASSIST_GIT_COMMIT=<commit> LIMIT=540 bash benchmarks/translation/gpu/run-stage9.sh   (writes runs-gpu9/out/; device timeout_s 590)
# A CPU smoke test: SMALL=1 DEVICE=cpu EPOCHS=0.3 SEEDS=0 LIMIT=150 RUNS=/tmp/gpu9 bash benchmarks/translation/gpu/run-stage9.sh
LIMIT=${LIMIT:-540}
RUNS=${RUNS:-runs-gpu9}
EVAL_POINTS=40
source benchmarks/translation/gpu/common.sh
COMMON="$COMMON --threads 1 --decode-batch-size 256 --fresh-decisions"
start_log gpu9
for s in ${SEEDS:-0 1 2 3}; do
  part u$s --methods uniform --seeds $s &
  part a$s --methods $P --seeds $s &
  part e$s --methods $P,prefer=easy --seeds $s &
done
wait
finish gpu9 '[uae]*'
