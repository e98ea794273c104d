#!/usr/bin/env bash
# Three seeds (0-2) of the CPU setting (README (2)), all at one commit: full runs of uniform, AutoAssist with
# either Assistant and random at the paper-Assistant run's keep rate, then the budget protocol at 0.8 for
# uniform and the paper's Assistant. Two processes side by side (the project's 2-core machine); run from the
# repository root after `make install`. Each seed's budget is its own unfiltered pass (seed 0: 260 steps an
# epoch, seeds 1-2: 259). Output: benchmarks/translation/multi30k-3seeds.
source benchmarks/translation/cpu-common.sh
COMMON="$COMMON --seeds 0 1 2"
# random:keep_rate=auto takes AutoAssist's keep rate from the paper-Assistant run before it (same --out).
( $A bench translate $COMMON --methods autoassist:assistant=paper random:keep_rate=auto --out runs/m30k3/g1 \
    > runs/m30k3-g1.log 2>&1
  $A bench translate $COMMON --methods autoassist:assistant=paper --fractions 0.8 --out runs/m30k3/g3 \
    > runs/m30k3-g3.log 2>&1 ) &
( $A bench translate $COMMON --methods uniform autoassist:assistant=loss-history --out runs/m30k3/g2 \
    > runs/m30k3-g2.log 2>&1
  $A bench translate $COMMON --methods uniform --fractions 0.8 --out runs/m30k3/g4 > runs/m30k3-g4.log 2>&1 ) &
wait
$A merge benchmarks/translation/multi30k-3seeds runs/m30k3/g2 runs/m30k3/g1 runs/m30k3/g4 runs/m30k3/g3
$A plot benchmarks/translation/multi30k-3seeds
