#!/usr/bin/env bash
# Renders SVG and PNG for every figure in a folder whose data or script changed since it was last
# rendered, and only those. "Changed" is by content, not by file time: the SHA-256 of each figure's
# .gp and .tsv at its last rendering is kept in <folder>/.rendered (committed with the figures), so a
# fresh clone, whose files all carry the checkout's time, renders nothing, and `make && make` leaves
# the working tree as it was.
#     scripts/render-figures.sh figures
set -euo pipefail
folder=${1:?usage: render-figures.sh FIGURES_FOLDER}
stamps="$folder/.rendered"
[ -d "$folder" ] || exit 0
touch "$stamps"
updated=$(mktemp)
trap 'rm -f "$updated"' EXIT
for gp in "$folder"/*.gp; do
  [ -e "$gp" ] || continue
  name=$(basename "${gp%.gp}")
  tsv="${gp%.gp}.tsv"
  digest=$(cat "$gp" "$tsv" 2>/dev/null | sha256sum | cut -d' ' -f1)
  recorded=$(awk -v n="$name" '$1 == n { print $2 }' "$stamps")
  if [ "$digest" != "$recorded" ] || [ ! -e "${gp%.gp}.svg" ] || [ ! -e "${gp%.gp}.png" ]; then
    echo "gnuplot $gp"
    gnuplot "$gp"
  fi
  printf '%s\t%s\n' "$name" "$digest" >> "$updated"
done
sort "$updated" > "$updated.sorted"
# Rewritten only when a digest changed, so an unchanged folder stays untouched.
if ! cmp -s "$updated.sorted" "$stamps"; then mv "$updated.sorted" "$stamps"; else rm -f "$updated.sorted"; fi
