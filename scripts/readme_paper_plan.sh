#!/usr/bin/env bash
# The README's paper-scale plan: what each chapter's grid costs at PROFILE=paper, computed, not typed.
#
# Every chapter target the Makefile lists (its CHAPTERS variable) is run as `make` runs it, with
# GENECODING_BACKEND=manifest and an empty scratch store under build/, so the chapter writes the
# manifest of its whole grid and stops (make reports the chapter's exit status 75, as intended).
# Nothing is trained. `genecoding grid plan` then prints, as Markdown: runs, CPU-hours, the largest
# memory request, the longest run, runs by memory class and the wall time on an example cluster.
# A chapter with several grids (chapters 2, 4 and 5) stops at the first one with missing runs, so
# only that grid's manifest is written and planned.
#
#   GUE_DIR=../shared/data/GUE scripts/readme_paper_plan.sh > plan.md
#
# The example cluster: NODES (default 8), CORES_PER_NODE (64), MEMORY_PER_NODE (256G); CPUS sets
# the threads of every run (default: the profile's). Progress goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${GUE_DIR:?set GUE_DIR to the GUE folder (<group>/<task>/{train,dev,test}.csv)}"
NODES=${NODES:-8}
CORES_PER_NODE=${CORES_PER_NODE:-64}
MEMORY_PER_NODE=${MEMORY_PER_NODE:-256G}
scratch=build/paper-plan
say() { echo "readme_paper_plan: $*" >&2; }

# The chapters, as the Makefile names them (chapter-<name> targets).
chapters=$(make -s --no-print-directory -f Makefile -f - print-chapters <<<'print-chapters: ; @echo $(CHAPTERS)')
[ -n "$chapters" ] || { say "the Makefile lists no CHAPTERS"; exit 1; }

rm -rf "$scratch"
mkdir -p "$scratch/grids"
manifests=()
for chapter in $chapters; do
  manifest="$scratch/grids/$chapter.json"
  say "chapter-$chapter: writing the manifest of its grid at PROFILE=paper"
  # make stops with "Error 75": the chapter handed its runs off instead of training them.
  GENECODING_BACKEND=manifest GENECODING_MANIFEST="$(pwd)/$manifest" \
    make --no-print-directory "chapter-$chapter" PROFILE=paper GUE_DIR="$GUE_DIR" \
      RESULTS="$scratch/results" REPORTS="$scratch/reports" FIGURES="$scratch/figures" >"$scratch/$chapter.log" 2>&1 || true
  if [ ! -s "$manifest" ]; then
    cat "$scratch/$chapter.log" >&2
    say "chapter-$chapter wrote no manifest (its log is above)"
    exit 1
  fi
  manifests+=(--manifest "$manifest")
done

.build/release/genecoding grid plan "${manifests[@]}" ${CPUS:+--cpus "$CPUS"} \
  --nodes "$NODES" --cores-per-node "$CORES_PER_NODE" --memory-per-node "$MEMORY_PER_NODE"
