#!/usr/bin/env bash
# Stage 10 (seventeenth session, revised in the eighteenth): are the GPU setting's batch bound and learning rate
# uniform's best? On the CPU (README (2), "Uniform's batch bound, tuned" and "Learning rate and batch bound, tuned
# together") uniform gained far more from a smaller bound and a 3-5x higher peak lr than any selection rule bought,
# and the paper's Assistant stayed within a few tenths of uniform at every setting. Here, 3 seeds each, twelve
# processes with one torch thread (as stage 6), 40 evaluations, 5 epochs of each bound's own unfiltered pass (the
# inverse-sqrt schedule does not depend on the run's length, so these runs are prefixes of 10-epoch ones): uniform
# at 2,048 tokens with the setting's lr 1e-3 (u), uniform at 2,048 and at 4,096 tokens with lr 2e-3 (l, m), and the
# paper's Assistant at 2,048 tokens with lr 2e-3 (a: against l, paired by seed). Compare with stage 6's uniform
# (4,096 tokens, lr 1e-3, multi30k-h100-fine) in target/padded tokens (cross_pool.py --x target_tokens) up to
# stage 6's 5 epochs, and in wall time only within this stage.
#   AUTOASSIST_GIT_COMMIT=<commit> LIMIT=540 bash benchmarks/translation/gpu/run-stage10.sh   (writes runs-gpu10/out/; device timeout_s 590)
# A CPU smoke test: SMALL=1 DEVICE=cpu EPOCHS=0.3 SEEDS=0 LIMIT=150 RUNS=/tmp/gpu10 bash benchmarks/translation/gpu/run-stage10.sh
LIMIT=${LIMIT:-540}
RUNS=${RUNS:-runs-gpu10}
EVAL_POINTS=40
EPOCHS=${EPOCHS:-5}
source benchmarks/translation/gpu/common.sh
COMMON="$COMMON --threads 1 --decode-batch-size 512"
start_log gpu10
for s in ${SEEDS:-0 1 2}; do
  part u$s --methods uniform --seeds $s --max-tokens 2048 &
  part l$s --methods uniform --seeds $s --max-tokens 2048 --lr 2e-3 &
  part m$s --methods uniform --seeds $s --max-tokens 4096 --lr 2e-3 &
  part a$s --methods $P --seeds $s --max-tokens 2048 --lr 2e-3 &
done
wait
finish gpu10 '[ulma]*'
