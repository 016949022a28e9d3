# Generated file: do not edit it by hand; run the command below to remake it.
# It changes only when its inputs (the runs' settings, data and engine, the code that writes it) do.
# command: .build/release/Chapter01Tokenization --profile default --results ./results --reports ./reports --figures ./figures
# profile: default    seeds: 1, 2, 3, 4, 5    engine: engine-5
# inputs:  sha256 cda221f2e8342c16947cfcf3aeaacc23d22ff84be5e700e5d197af49a574ebde
#
# Draws 01-tokens-per-sequence.svg and 01-tokens-per-sequence.png from 01-tokens-per-sequence.tsv, all three next to this script.
# Run it from the repository root with
#     gnuplot figures/01-tokens-per-sequence.gp
# (any other working directory works too). To restyle the chart, edit the settings
# below and run it again: the numbers are in the data file, nothing is recomputed.

# Work in this script's own folder, so that the data and outputs are found next to it.
here = "."
found = 0
if (exists("ARG0")) {
    do for [i = strlen(ARG0):1:-1] {
        if (!found && ARG0[i:i] eq "/") { here = (i > 1 ? ARG0[1:i-1] : "/"); found = 1 }
    }
}
cd here

set encoding utf8
set datafile separator "\t"
set datafile missing "NaN"

# Okabe and Ito's palette, which readers with colour-blindness can tell apart.
set linetype 1 linecolor rgb "#0072B2" linewidth 2 pointtype 7 pointsize 1.0
set linetype 2 linecolor rgb "#E69F00" linewidth 2 pointtype 5 pointsize 0.9
set linetype 3 linecolor rgb "#009E73" linewidth 2 pointtype 9 pointsize 1.2
set linetype 4 linecolor rgb "#CC79A7" linewidth 2 pointtype 11 pointsize 1.2
set linetype 5 linecolor rgb "#56B4E9" linewidth 2 pointtype 13 pointsize 1.2
set linetype 6 linecolor rgb "#D55E00" linewidth 2 pointtype 15 pointsize 1.0
set linetype 7 linecolor rgb "#000000" linewidth 2 pointtype 4 pointsize 1.0
set linetype 8 linecolor rgb "#F0E442" linewidth 2 pointtype 6 pointsize 1.0
set linetype cycle 8

set title 'Tokens per sequence (default profile)'
set xlabel 'task'
set ylabel 'mean tokens per sequence'
set border 3
set tics nomirror
set style line 100 linecolor rgb "#dcdcdc" linewidth 1 dashtype solid
set grid ytics linestyle 100
set key outside right top vertical Left reverse noautotitle samplen 2 spacing 1.2

# The SVG terminal counts font sizes larger than the PNG ones: these two sets match.
set terminal svg size 900,540 noenhanced font "DejaVu Sans,14" background rgb "white"
set title font ",19"
set output "01-tokens-per-sequence.svg"
set style data histogram
set style histogram errorbars gap 1.5 linewidth 1.5
set style fill solid 0.9 border rgb "#404040"
set errorbars linecolor rgb "#202020"
set xtics scale 0
set xtics rotate by -30 left
set yrange [0:530]
set xzeroaxis linetype -1 linewidth 1
plot '01-tokens-per-sequence.tsv' using 2:3:xtic(1) title '1-mer' linetype 1, \
     '' using 4:5 title '3-mer' linetype 2, \
     '' using 6:7 title '4-mer' linetype 3, \
     '' using 8:9 title '5-mer' linetype 4, \
     '' using 10:11 title '6-mer' linetype 5, \
     '' using 12:13 title 'BPE-4096' linetype 6, \
     '' using 14:15 title 'DNABERT-2 BPE' linetype 7

# The same plot once more as PNG, through cairo when this gnuplot has it.
if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
    set terminal pngcairo size 900,540 noenhanced font "DejaVu Sans,11" background rgb "white"
} else {
    set terminal png size 900,540 noenhanced font "DejaVu Sans,11" background rgb "white"
}
set title font ",15"
set output "01-tokens-per-sequence.png"
replot
unset output
