#!/usr/bin/env bash
# Stage 8 (for a GPU lease; an alternative to stage 7): the perfect-Assistant check of the synthetic lab
# (benchmarks/translation/synthetic-lab) in stage 6's setting. `oracle` is AutoAssist's translation rules with an
# Assistant that scores candidates with the Boss's current losses (a no-grad forward pass, run inline between
# steps, not counted in wall time): what the rule does with exact knowledge of the current losses (on the
# corrupted synthetic corpus it trailed uniform by 3.9 BLEU; it is not an upper bound for learned Assistants,
# which beat it on the clean one). 5 seeds of oracle and 5 of random skipping at AutoAssist's stage-6 keep rate
# (random:keep_rate=0.69, the control the synthetic lab showed is needed: 5 seeds of uniform alone can put a
# random skipper 1.7 BLEU ahead), uniform's 5 seeds are stage 6's (same code path and settings: uniform seed 0
# reproduces stage 1 to the hundredth); ten processes, one torch thread each, the 29-step grid of stage 6.
# Compare Boss steps with multi30k-h100-fine (merge this stage's o* and r* folders with stage6/u?, stage6c/u4).
#   AUTOASSIST_GIT_COMMIT=<commit> LIMIT=540 bash benchmarks/translation/gpu/run-stage8.sh   (writes runs-gpu8/out/)
# A CPU smoke test: SMALL=1 DEVICE=cpu EPOCHS=1 SEEDS=0 LIMIT=150 RUNS=/tmp/gpu8 bash benchmarks/translation/gpu/run-stage8.sh
LIMIT=${LIMIT:-540}
RUNS=${RUNS:-runs-gpu8}
EVAL_POINTS=40
source benchmarks/translation/gpu/common.sh
COMMON="$COMMON --threads 1 --decode-batch-size 256"
start_log gpu8
for s in ${SEEDS:-0 1 2 3 4}; do
  part o$s --methods oracle --seeds $s &
  part r$s --methods random:keep_rate=0.69 --seeds $s &
done
wait
finish gpu8 '[or]*'
