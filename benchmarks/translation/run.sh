#!/usr/bin/env bash
# The commands behind benchmarks/translation/multi30k. Run from the repository root after `make install`
# (this session ran them as `PYTHONPATH=src /work/main/.venv/bin/python -m autoassist.cli`: set AUTOASSIST).
# Hardware: the project's shared, busy 2-core x86-64 CPU machine (details in results.json); no GPU was lent
# to this task. Every run goes through the public path: AutoAssist(TranslationDataset(...), max_tokens=...),
# assist.loader(collate_fn=dataset.collate), assist.report(idx, sentence_losses, tokens=target_lengths).
#
# Multi30k en->de (lower-cased), joint BPE 4,000, the 2+2-layer Transformer (width 128, ff 512, 4 heads,
# dropout 0.1, tied embeddings), Adam 1e-3 with inverse-sqrt warm-up over 200 steps, label smoothing 0.1,
# batches of <= 2,048 padded tokens, 3 epochs of uniform's Boss steps, 1 seed, one torch thread per process,
# two processes side by side. Stage 1 (full runs) took 14 minutes, stage 2 (fraction 0.8) 19 minutes; this
# session stopped stage 2 during its fraction-0.6 runs (deadline), so only 1.0 and 0.8 are in the results.
# The translation demo (benchmarks/translation/demo) is `$A demo --task translation --out runs/demo-translation`.
source benchmarks/translation/cpu-common.sh
COMMON="$COMMON --seeds 0"

# random:keep_rate=auto takes AutoAssist's keep rate from the paper-Assistant run before it (same process).
$A bench translate $COMMON --methods autoassist:assistant=paper random:keep_rate=auto --out runs/m30k/partA \
  > runs/m30k-partA.log 2>&1 &
$A bench translate $COMMON --methods uniform autoassist:assistant=loss-history --out runs/m30k/partB \
  > runs/m30k-partB.log 2>&1 &
wait
# stage 2: the budget protocol (schedule compressed to the fraction)
$A bench translate $COMMON --methods autoassist:assistant=paper random:keep_rate=auto --fractions 0.8 0.6 \
  --out runs/m30k/partC > runs/m30k-partC.log 2>&1 &
$A bench translate $COMMON --methods uniform autoassist:assistant=loss-history --fractions 0.8 0.6 \
  --out runs/m30k/partD > runs/m30k-partD.log 2>&1 &
wait
# stage 3: InfoBatch and importance sampling, full runs (this session ran them beside the demo trials)
$A bench translate $COMMON --methods infobatch --out runs/m30k/partE > runs/m30k-partE.log 2>&1 &
$A bench translate $COMMON --methods importance --out runs/m30k/partF > runs/m30k-partF.log 2>&1 &
wait
$A merge benchmarks/translation/multi30k runs/m30k/partB runs/m30k/partA runs/m30k/partD runs/m30k/partC \
  runs/m30k/partE runs/m30k/partF
$A plot benchmarks/translation/multi30k
