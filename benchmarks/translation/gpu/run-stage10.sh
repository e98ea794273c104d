#!/usr/bin/env bash
# Stage 10 (seventeenth session): is the GPU setting's batch bound uniform's best? On the CPU (README (2),
# "Uniform's batch bound, tuned") uniform at 768 tokens reached the 2,048-token uniform's target with 0.70x of its
# tokens and 0.78x of its wall time, far more than any selection rule bought, and the paper's Assistant was within
# a few tenths of uniform at every bound. Here: uniform and the paper's Assistant at 2,048 tokens (half of stage 6's
# 4,096), and uniform at 3,072, 4 seeds each, twelve processes with one torch thread (as stage 6), 40 evaluations,
# 5 epochs of each bound's own unfiltered pass (the inverse-sqrt schedule does not depend on the run's length, so
# these runs are prefixes of 10-epoch ones; 5 keeps 2,048 tokens' ~1,180 steps within stage 6's time). Compare with
# stage 6's uniform (multi30k-h100-fine) in target/padded tokens (cross_pool.py --x target_tokens) up to stage 6's
# 5 epochs, and in wall time only within this stage.
#   AUTOASSIST_GIT_COMMIT=<commit> LIMIT=540 bash benchmarks/translation/gpu/run-stage10.sh   (writes runs-gpu10/out/; device timeout_s 590)
# A CPU smoke test: SMALL=1 DEVICE=cpu EPOCHS=0.3 SEEDS=0 LIMIT=150 RUNS=/tmp/gpu10 bash benchmarks/translation/gpu/run-stage10.sh
LIMIT=${LIMIT:-540}
RUNS=${RUNS:-runs-gpu10}
EVAL_POINTS=40
EPOCHS=${EPOCHS:-5}
source benchmarks/translation/gpu/common.sh
COMMON="$COMMON --threads 1 --decode-batch-size 512"
start_log gpu10
for s in ${SEEDS:-0 1 2 3}; do
  part u$s --methods uniform --seeds $s --max-tokens 2048 &
  part a$s --methods $P --seeds $s --max-tokens 2048 &
  part t$s --methods uniform --seeds $s --max-tokens 3072 &
done
wait
finish gpu10 '[uat]*'
