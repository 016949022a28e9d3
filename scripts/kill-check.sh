#!/usr/bin/env bash
# make kill-check: a run killed with SIGKILL at random instants, and at every step of finishing,
# must end with the same result as a run that was never interrupted.
#
# 1. A small run (a synthetic task written here, 1-mers, 8 epochs: a few seconds) is trained
#    without interruption into one result store: the reference.
# 2. The same run is started in a second store and killed with SIGKILL at random instants, each
#    start resuming from the checkpoint the previous one left (a start that ends training waits at
#    the first step of finishing, so these kills land in training or before anything is written).
#    After every kill the store must hold
#    either a resumable checkpoint or the finished result (or nothing, before the first epoch), never
#    a model without either.
# 3. It is then killed at each step of finishing (GENECODING_TEST_FINISH_PAUSE makes the run announce
#    and pause at each): before the model is written, after the model, after the record.
# 4. A last start returns the result. Its record's numbers (scores, losses, curves, steps, tokenizer
#    statistics) and its model, configuration and vocabulary files must equal the reference's byte for
#    byte, and no checkpoint state may be left behind. Timings are printed, not compared.
#
# KILL_CHECK_SEED fixes the kill instants (default: a new seed, printed); KILL_CHECK_KILLS their number.
set -euo pipefail

BIN=${BIN:-.build/release}
GC="$BIN/genecoding"
[ -x "$GC" ] || { echo "kill-check: $GC is missing; build first (swift build -c release)"; exit 2; }
command -v python3 > /dev/null || { echo "kill-check: python3 is needed to write the task and compare the records"; exit 2; }
SEED=${KILL_CHECK_SEED:-$(( $(date +%s) % 100000 ))}
KILLS=${KILL_CHECK_KILLS:-6}
PAUSE=2
RANDOM=$SEED
work=$(mktemp -d "${TMPDIR:-/tmp}/genecoding-kill-check.XXXXXX")
keep_work=0
cleanup() { if [ "$keep_work" = 0 ]; then rm -rf "$work"; else echo "kept for inspection: $work"; fi; }
trap cleanup EXIT
fail() { echo "kill-check: FAILED: $*"; keep_work=1; exit 1; }

# A task where TATAAT marks class 1 (bases drawn from ACG, so it never occurs by chance), with a
# tenth of the labels flipped so that the scores are not all perfect.
python3 - "$work/gue/kill/motif" <<'EOF'
import os, random, sys
folder = sys.argv[1]
os.makedirs(folder, exist_ok=True)
r = random.Random(2024)
for name, rows in [("train", 600), ("dev", 100), ("test", 100)]:
    with open(os.path.join(folder, name + ".csv"), "w") as f:
        f.write("sequence,label\n")
        for i in range(rows):
            bases = [r.choice("ACG") for _ in range(100)]
            label = i % 2
            if label:
                at = r.randrange(len(bases) - 6)
                bases[at:at + 6] = list("TATAAT")
            if r.random() < 0.1:
                label = 1 - label
            f.write("".join(bases) + ",%d\n" % label)
EOF

args=(train --gue "$work/gue" --task kill/motif --profile smoke --tokenizer kmer:1 --position rope --epochs 8
      --train-limit 0 --width 32 --heads 2 --layers 2 --threads 1 --json)
echo "kill-check: genecoding ${args[*]} (kill seed $SEED)"

# 1. The reference.
t0=$(date +%s%N)
"$GC" "${args[@]}" --results "$work/straight" > "$work/straight.json" 2> "$work/straight.log" || fail "the reference run failed: $(tail -3 "$work/straight.log")"
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
echo "reference: trained without interruption in $(( ms / 1000 )).$(( ms % 1000 / 100 )) s"

killed="$work/killed"
key=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["key"])' "$work/straight.json")
record="$killed/runs/$key.json"
folder="$killed/checkpoints/$key"

# What the killed store holds now, checked: a result, a resumable checkpoint, or nothing yet.
# Prints one line; returns 1 (the line saying what is wrong) when the store could lose the run.
describe() {
  local state="$folder/state.safetensors" epoch=""
  if [ -f "$state" ]; then
    epoch=$(head -c 65536 "$state" | grep -ao '"epochs_done":"[0-9]*"' | grep -o '[0-9]*' || true)
  fi
  if [ -f "$record" ]; then
    [ -f "$folder/model.safetensors" ] || { echo "a result is stored but its model is missing"; return 1; }
    echo "result stored$([ -n "$epoch" ] && echo ", checkpoint state of epoch $epoch not yet removed")"
  elif [ -n "$epoch" ]; then
    echo "no result yet; checkpoint after epoch $epoch$([ -f "$folder/model.safetensors" ] && echo ", model written")"
  elif [ -f "$folder/model.safetensors" ]; then
    echo "a model is stored without its record or a checkpoint to finish it from: the run would be lost"; return 1
  else
    echo "nothing stored yet (killed before the first epoch ended)"
  fi
}

# Prints what `describe` says after a kill, or fails with it.
report() {
  local line
  line=$(describe) || fail "$1: $line"
  echo "$1: $line"
}

# 2. Kills at random instants, each start resuming where the last left off.
for i in $(seq 1 "$KILLS"); do
  [ -f "$record" ] && { echo "kill $i: not needed, the run had finished"; continue; }
  delay_ms=$(( 300 + RANDOM % (ms * 4 / 10 + 1) ))
  # The pause holds a start that finished training at the first step of finishing, so that the
  # random kills never finish the run and the finishing steps below always have a run to finish.
  GENECODING_TEST_FINISH_PAUSE=60 "$GC" "${args[@]}" --results "$killed" > /dev/null 2>> "$work/killed.log" &
  pid=$!
  sleep "$(( delay_ms / 1000 )).$(printf '%03d' $(( delay_ms % 1000 )))"
  if kill -KILL "$pid" 2> /dev/null; then how="SIGKILL after $(( delay_ms / 1000 )).$(( delay_ms % 1000 / 100 )) s"; else how="finished before its kill"; fi
  wait "$pid" 2> /dev/null || true
  report "kill $i: $how"
done

# 3. Kills at each step of finishing: the run announces each step and pauses there.
stages=("writing the model" "model written" "record written")
for stage in "${stages[@]}"; do
  log="$work/finish.log"
  : > "$log"
  if [ -f "$record" ] && [ ! -f "$folder/state.safetensors" ]; then
    echo "finish kill at '$stage': not possible, the run finished during the random kills"
    continue
  fi
  GENECODING_TEST_FINISH_PAUSE=$PAUSE "$GC" "${args[@]}" --results "$killed" > /dev/null 2> "$log" &
  pid=$!
  waited=0
  until grep -q "finish step: $stage" "$log"; do
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.05
    waited=$(( waited + 1 ))
    [ "$waited" -lt 6000 ] || fail "no finish step '$stage' within 5 minutes"
  done
  if grep -q "finish step: $stage" "$log" && kill -KILL "$pid" 2> /dev/null; then
    wait "$pid" 2> /dev/null || true
    report "finish kill at '$(grep -o "finish step: $stage[^(]*" "$log" | sed 's/finish step: //; s/ *$//')'"
  else
    wait "$pid" 2> /dev/null || true
    report "finish kill at '$stage': the process ended before it (a stored result is returned without finishing again)"
  fi
  cat "$log" >> "$work/killed.log"
done

# 4. The last start returns the result; compare it with the reference.
"$GC" "${args[@]}" --results "$killed" > "$work/killed.json" 2>> "$work/killed.log" || fail "the last start failed: $(tail -3 "$work/killed.log")"
[ -f "$folder/state.safetensors" ] && fail "checkpoint state left beside the finished result"
resumes=$(grep -c "^resuming" "$work/killed.log" || true)
distrusted=$(grep -c "cannot be trusted" "$work/killed.log" || true)
echo "killed store: resumed $resumes times from a checkpoint, $distrusted checkpoints distrusted"
[ "$distrusted" = 0 ] || fail "a checkpoint written by an ordinary kill was judged damaged: $(grep "cannot be trusted" "$work/killed.log" | head -1)"

python3 - "$work/straight.json" "$work/killed.json" <<'EOF' || fail "the records differ (above)"
import json, sys
straight, killed = (json.load(open(p)) for p in sys.argv[1:3])
timings = {"trainingSeconds", "tokensPerSecond"}
def numbers(record):
    outcome = {k: v for k, v in record["outcome"].items() if k not in timings}
    kept = ["key", "status", "croppedTests", "extraTests", "tokenizerStatistics", "vocabularySize", "maxLength",
            "truncated", "parameters", "dataHashes", "modelSHA256"]
    return dict({k: record.get(k) for k in kept}, outcome=outcome)
a, b = numbers(straight), numbers(killed)
differing = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
differing += sorted("outcome." + k for k in set(a["outcome"]) | set(b["outcome"]) if a["outcome"].get(k) != b["outcome"].get(k))
if differing:
    print("differing fields:", ", ".join(differing))
    sys.exit(1)
o = a["outcome"]
print("records: equal in every number (test MCC %.4f, best epoch %d, %d steps, %d loss-curve points, model SHA-256 %s...)"
      % (o["test"]["mcc"], o["bestEpoch"], o["steps"], len(o["lossCurve"]), (a["modelSHA256"] or "")[:12]))
for name, r in (("uninterrupted", straight), ("killed", killed)):
    print("  %-13s training %.2f s, %.0f tokens/s; wall %.2f s" % (name, r["outcome"]["trainingSeconds"],
          r["outcome"]["tokensPerSecond"], r["wallSeconds"]))
print("  (wall time counts each start's set-up again, and here the finishing pauses of the start that stored the record)")
EOF
for f in model.safetensors config.json; do
  cmp -s "$work/straight/checkpoints/$key/$f" "$folder/$f" || fail "$f differs from the uninterrupted run's"
done
echo "files: model.safetensors and config.json identical, byte for byte, to the uninterrupted run's"
echo "kill-check: PASSED"
