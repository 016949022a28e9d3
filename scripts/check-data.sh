#!/usr/bin/env bash
# make check-data: does GUE_DIR look like a GUE download? It must be a folder holding at least one
# task as <group>/<task>/{train,dev,test}.csv, each CSV starting with the header `sequence,label`.
# This is a quick look at the layout, run before every chapter; `genecoding tasks` reads every row
# of every task and names each problem with its file and line.
set -uo pipefail

dir=${1:-${GUE_DIR:-}}
hint="Point GUE_DIR at the folder of a GUE download, the one holding <group>/<task>/{train,dev,test}.csv (e.g. make GUE_DIR=/data/GUE, so that /data/GUE/tf/0/train.csv exists). GUE is released by the DNABERT-2 project: github.com/MAGICS-LAB/DNABERT_2."

if [ -z "$dir" ]; then
  echo "check-data: GUE_DIR is not set. $hint"; exit 2
fi
if [ ! -e "$dir" ]; then
  echo "check-data: GUE_DIR=$dir does not exist. $hint"; exit 2
fi
if [ ! -d "$dir" ]; then
  echo "check-data: GUE_DIR=$dir is a file, not a folder. $hint"; exit 2
fi

complete=0
incomplete=()
badheader=()
for folder in "$dir"/*/*/; do
  [ -d "$folder" ] || continue
  task=${folder%/}; task=${task#"$dir"/}
  present=0; missing=()
  for split in train dev test; do
    if [ -f "$folder$split.csv" ]; then present=$((present + 1)); else missing+=("$split.csv"); fi
  done
  [ "$present" = 0 ] && continue
  if [ "$present" != 3 ]; then incomplete+=("$task (no ${missing[*]})"); continue; fi
  header=$(head -c 64 "$folder/train.csv" | head -n 1 | tr -d '\r' | sed 's/^\xef\xbb\xbf//')
  if [ "$header" != "sequence,label" ]; then badheader+=("$task/train.csv starts with '$header'"); continue; fi
  complete=$((complete + 1))
done

if [ "$complete" = 0 ]; then
  echo "check-data: GUE_DIR=$dir holds no GUE task: no <group>/<task>/ folder with train.csv, dev.csv and test.csv whose header is 'sequence,label'."
  for t in "${incomplete[@]}"; do echo "  incomplete: $t"; done
  for t in "${badheader[@]}"; do echo "  not GUE's header: $t"; done
  # A common slip: pointing at the folder above GUE, or at one group inside it.
  for inner in "$dir"/*/; do
    [ -d "$inner" ] || continue
    if compgen -G "$inner*/*/train.csv" > /dev/null; then echo "  Did you mean GUE_DIR=${inner%/}? It holds <group>/<task>/train.csv."; fi
  done
  if compgen -G "$dir/*/train.csv" > /dev/null; then
    echo "  $dir holds <task>/train.csv directly: it looks like one group of GUE; GUE_DIR=$(dirname "$dir") would be its parent."
  fi
  if [ -f "$dir/train.csv" ]; then
    echo "  $dir holds train.csv itself: it looks like one task; GUE_DIR=$(dirname "$(dirname "$dir")") would hold it as <group>/<task>."
  fi
  echo "$hint"
  exit 2
fi

echo "check-data: GUE_DIR=$dir holds $complete task$([ "$complete" = 1 ] || echo s)."
if [ "${#incomplete[@]}" -gt 0 ] || [ "${#badheader[@]}" -gt 0 ]; then
  echo "  These folders are not usable tasks (\`genecoding tasks\` says more):"
  for t in "${incomplete[@]}"; do echo "  incomplete: $t"; done
  for t in "${badheader[@]}"; do echo "  not GUE's header: $t"; done
fi
exit 0
