# Shared by analyse-bounds.sh and analyse-joint.sh (sourced from the repository root): report FILE TITLE starts
# the markdown report FILE and moves to benchmarks/translation/synthetic-lab; run SCRIPT ARGS... then appends
# "python SCRIPT ARGS..." and its output to the report.
set -euo pipefail
PY=${PYTHON:-$PWD/.venv/bin/python}
report() {
  OUT=$PWD/$1
  printf '# %s\n\nEvery command below runs from benchmarks/translation/synthetic-lab (folders are relative to it).\n\n' \
      "$2" > "$OUT"
  cd benchmarks/translation/synthetic-lab
}
run() { printf '`%s`\n\n```\n' "python $*" >> "$OUT"; $PY "$@" >> "$OUT"; printf '```\n\n' >> "$OUT"; }
