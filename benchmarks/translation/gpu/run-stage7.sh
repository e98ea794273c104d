#!/usr/bin/env bash
# Stage 7 (for the next GPU lease): stage 6's protocol (a) with the validation and test BLEU of an exponential
# moving average of the Boss's weights (`--eval-ema`, decay 0.95: about the last 20 steps, shorter than the
# 29-step evaluation spacing), 5 seeds each of uniform and AutoAssist with the paper's Assistant, ten
# processes with one torch thread each (stage 6 ran twelve in 500 s; decoding 256 sentences per batch keeps
# ten beam-4 decodes inside the GPU's memory). The question: with the raw weights, greedy validation BLEU
# moved 1-2 points between evaluations, as much as the methods' differences; does the average make
# "steps to uniform's BLEU - 0.5" resolvable, and which way does it go? Compare Boss steps, and wall times
# only within this stage. A CPU smoke test of the script: SMALL=1 DEVICE=cpu EPOCHS=1 LIMIT=120 bash ...
#   AUTOASSIST_GIT_COMMIT=<commit> LIMIT=540 bash benchmarks/translation/gpu/run-stage7.sh   (writes runs-gpu7/out/gpu7.log, runs-gpu7.tgz)
LIMIT=${LIMIT:-540}
RUNS=${RUNS:-runs-gpu7}
EVAL_POINTS=40
DECAY=${DECAY:-0.95}
source benchmarks/translation/gpu/common.sh
COMMON="$COMMON --threads 1 --decode-batch-size 256 --eval-ema $DECAY"
start_log gpu7
for s in ${SEEDS:-0 1 2 3 4}; do
  part u$s --methods uniform --seeds $s &
  part a$s --methods $P --seeds $s &
done
wait
finish gpu7 '[ua]*'
