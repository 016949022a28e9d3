# Generated file: do not edit it by hand; run the command below to remake it.
# It changes only when its inputs (the runs' settings, data and engine, the code that writes it) do.
# command: .build/release/Chapter05Scale --profile default --results ./results --reports ./reports --figures ./figures
# profile: default    seeds: 1, 2, 3    engine: engine-5
# inputs:  sha256 a207c623946b54f0e52e1659b36ec4db4d7f7ef17b21225578fa72e0d28e3d5a
#
# Draws 05-tokenizers-prom-prom_core_all.svg and 05-tokenizers-prom-prom_core_all.png from 05-tokenizers-prom-prom_core_all.tsv, all three next to this script.
# Run it from the repository root with
#     gnuplot figures/05-tokenizers-prom-prom_core_all.gp
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

set title 'prom/prom_core_all: test MCC by tokenizer against training-set size'
set xlabel 'training sequences (log scale)'
set ylabel 'test MCC (mean ± sd over seeds)'
set border 3
set tics nomirror
set style line 100 linecolor rgb "#dcdcdc" linewidth 1 dashtype solid
set grid ytics linestyle 100
set key outside right top vertical Left reverse noautotitle samplen 2 spacing 1.2

# The SVG terminal counts font sizes larger than the PNG ones: these two sets match.
set terminal svg size 900,540 noenhanced font "DejaVu Sans,14" background rgb "white"
set title font ",19"
set output "05-tokenizers-prom-prom_core_all.svg"
set logscale x 2
set xtics (1000, 2000, 4000, 8000, 16000)
set offsets graph 0.04, graph 0.04, graph 0.02, graph 0.02
set grid xtics ytics linestyle 100
set errorbars 1.5
# Each series is drawn slightly to the side of its true x, so that error bars at the same
# x stay apart: set dodge = 0 to draw every point at its x.
dodge = 0.012
span = 4
plot '05-tokenizers-prom-prom_core_all.tsv' index 0 using ($1 * 2**(-2 * dodge * span)):2:3 with yerrorlines title '1-mer' linetype 1, \
     '' index 1 using ($1 * 2**(-1 * dodge * span)):2:3 with yerrorlines title '3-mer' linetype 2, \
     '' index 2 using 1:2:3 with yerrorlines title '4-mer' linetype 3, \
     '' index 3 using ($1 * 2**(1 * dodge * span)):2:3 with yerrorlines title '6-mer' linetype 4, \
     '' index 4 using ($1 * 2**(2 * dodge * span)):2:3 with yerrorlines title 'BPE-4096' linetype 5

# The same plot once more as PNG, through cairo when this gnuplot has it.
if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
    set terminal pngcairo size 900,540 noenhanced font "DejaVu Sans,11" background rgb "white"
} else {
    set terminal png size 900,540 noenhanced font "DejaVu Sans,11" background rgb "white"
}
set title font ",15"
set output "05-tokenizers-prom-prom_core_all.png"
replot
unset output
