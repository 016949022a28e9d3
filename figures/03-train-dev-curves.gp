# Generated file: do not edit it by hand; run the command below to remake it.
# It changes only when its inputs (the runs' settings, data and engine, the code that writes it) do.
# command: .build/release/Chapter03Depth --profile default --results ./results --reports ./reports --figures ./figures
# profile: default    seeds: 1, 2, 3, 4, 5    engine: engine-5
# inputs:  sha256 accecf72c87e6bf478d801db03650784a45ce10814bd37c5d9bbf75beb49b3f0
#
# Draws 03-train-dev-curves.svg and 03-train-dev-curves.png from 03-train-dev-curves.tsv, all three next to this script.
# Run it from the repository root with
#     gnuplot figures/03-train-dev-curves.gp
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

set title 'Train (dashed) and dev (solid) MCC per epoch (default profile)'
set xlabel 'epoch'
set ylabel 'MCC, mean over tasks and seeds'
set border 3
set tics nomirror
set style line 100 linecolor rgb "#dcdcdc" linewidth 1 dashtype solid
set grid ytics linestyle 100
set key outside right top vertical Left reverse noautotitle samplen 2 spacing 1.2

# The SVG terminal counts font sizes larger than the PNG ones: these two sets match.
set terminal svg size 900,540 noenhanced font "DejaVu Sans,14" background rgb "white"
set title font ",19"
set output "03-train-dev-curves.svg"
set key samplen 5
set xtics (1, 2, 3, 4)
set offsets graph 0.04, graph 0.04, graph 0.02, graph 0.02
set grid xtics ytics linestyle 100
plot '03-train-dev-curves.tsv' index 0 using 1:2 with linespoints linetype 1 dashtype 2 title 'train, 3 layers', \
     '' index 1 using 1:2 with linespoints linetype 1 dashtype 1 title 'dev, 3 layers', \
     '' index 2 using 1:2 with linespoints linetype 2 dashtype 2 title 'train, 6 layers', \
     '' index 3 using 1:2 with linespoints linetype 2 dashtype 1 title 'dev, 6 layers', \
     '' index 4 using 1:2 with linespoints linetype 3 dashtype 2 title 'train, 12 layers', \
     '' index 5 using 1:2 with linespoints linetype 3 dashtype 1 title 'dev, 12 layers', \
     '' index 6 using 1:2 with linespoints linetype 4 dashtype 2 title 'train, 24 layers', \
     '' index 7 using 1:2 with linespoints linetype 4 dashtype 1 title 'dev, 24 layers'

# The same plot once more as PNG, through cairo when this gnuplot has it.
if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
    set terminal pngcairo size 900,540 noenhanced font "DejaVu Sans,11" background rgb "white"
} else {
    set terminal png size 900,540 noenhanced font "DejaVu Sans,11" background rgb "white"
}
set title font ",15"
set output "03-train-dev-curves.png"
replot
unset output
