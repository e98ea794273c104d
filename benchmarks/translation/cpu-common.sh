# The CPU setting of benchmarks/translation/README.md (2), shared by run.sh and run-seeds.sh: Multi30k en->de
# (lower-cased), joint BPE 4,000, the 2+2-layer Transformer (width 128, ff 512, 4 heads, dropout 0.1, tied
# embeddings), Adam 1e-3 with inverse-sqrt warm-up over 200 steps, label smoothing 0.1, batches of <= 2,048
# padded tokens, 3 epochs of uniform's Boss steps, one torch thread per process. Sourced from the repository root.
set -euo pipefail
mkdir -p runs
export OMP_NUM_THREADS=1
A=${AUTOASSIST:-.venv/bin/autoassist}
COMMON="--data-dir ../shared/data/multi30k --src en --tgt de --test-split test_2016_flickr --lowercase
        --vocab-size 4000 --max-tokens 2048 --lr 1e-3 --warmup-steps 200 --epochs 3 --eval-points 10
        --beam-size 4 --threads 1 --bpe-dir runs/bpe-multi30k"
