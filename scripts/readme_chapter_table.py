#!/usr/bin/env python3
"""Print the README's chapter table from the chapters' own summaries (reports/NN-name.json),
so the verdicts and costs the README quotes are the generated ones, not retyped.

    python3 scripts/readme_chapter_table.py [reports] [build/smoke/reports]
"""
import json
import os
import sys

reports = sys.argv[1] if len(sys.argv) > 1 else "reports"
smoke = sys.argv[2] if len(sys.argv) > 2 else "build/smoke/reports"
artifacts = {
    "01-tokenization": ("tokenization table (k-mers vs BPE)", "chapter-tokenization"),
    "02-position-encodings": ("position-encoding table, extrapolation", "chapter-position-encodings"),
    "03-depth": ("depth figure (3–24 layers)", "chapter-depth"),
    "04-open-questions": ("open questions: vocabulary size, 10 kbp sequences, pretraining, decoders, motifs", "chapter-open-questions"),
    "05-scale": ("beyond the paper: every claim at 1k–16k training sequences, and wider models", "chapter-scale"),
}


def load(folder, name):
    path = os.path.join(folder, name + ".json")
    return json.load(open(path)) if os.path.exists(path) else None


def duration(seconds):
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds // 3600:.0f} h {(seconds % 3600) / 60:02.0f} min"


print("| paper artifact | chapter | make target | smoke: training time | default: runs, training time | verdicts at the default profile |")
print("|---|---|---|---|---|---|")
for name, (artifact, target) in artifacts.items():
    default, quick = load(reports, name), load(smoke, name)
    def verdict(v):
        note = f" (with more data: {v['scaleNote']})" if v.get("scaleNote") and not name.startswith("05") else ""
        return f"{v['claim']}: **{v['status']}**{note}"
    verdicts = "; ".join(verdict(v) for v in default["verdicts"]) if default else "not rendered yet"
    runs = f"{default['runs']} runs, {duration(default['trainingSeconds'])}" if default else "–"
    print(f"| {artifact} | [{name}](reports/{name}.md) | `{target}` | "
          f"{duration(quick['trainingSeconds']) if quick else '–'} | {runs} | {verdicts} |")
