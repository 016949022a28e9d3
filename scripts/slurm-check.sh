#!/usr/bin/env bash
# Integration check of `genecoding grid` against a real Slurm, on this machine alone.
#
# Starts a private single-node Slurm (Debian's slurm-wlm 22.05: munged, slurmctld, slurmd) on
# loopback, with its own munge key and socket, its own ports and a slurm.conf in a scratch folder,
# so it neither needs nor touches a Slurm or munge the machine may already run. Then:
#   1. the chapter, with GENECODING_BACKEND=manifest, writes the manifest of its smoke grid
#      (a fresh, empty result store: every run is missing) and exits with 75;
#   2. `genecoding grid submit` submits it as one job array (the smoke runs share one memory class),
#      whose script asks for the memory the estimate gives (--mem), after a --node-memory smaller than
#      that request has been refused; we wait for every task to end;
#   3. `genecoding grid status --require-done` finds every run in the store;
#   4. one record is deleted, status must call that run failed, `grid resubmit` must submit that
#      one index alone, and we wait again;
#   5. the chapter, run as `make` runs it, must find every run in the store ("N in the store, 0 to
#      run") and write its report.
# Every daemon it started is stopped on exit (pass or fail, or Ctrl-C), by the pid it wrote.
#
# Needs root, or sudo, for apt and for the daemons. Built binaries are taken from BIN.
#   BIN=.build/release GUE_DIR=../shared/data/GUE scripts/slurm-check.sh
# Options (environment): SLURM_CHECK_PORT (slurmctld's port, slurmd takes the next; default 16817),
# SLURM_CHECK_TIMEOUT (seconds to wait for each array; default 600), KEEP_SCRATCH=1 (keep the
# scratch folder even when the check passes; it is always kept when it fails).
set -euo pipefail
cd "$(dirname "$0")/.."
started_at=$(date +%s)
BIN=${BIN:-.build/release}
GUE_DIR=${GUE_DIR:-../shared/data/GUE}
CHAPTER=${CHAPTER:-Chapter01Tokenization}
PORT=${SLURM_CHECK_PORT:-16817}
TIMEOUT=${SLURM_CHECK_TIMEOUT:-600}
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

say() { echo "slurm-check: $*" >&2; }
fail() { say "FAILED: $*"; exit 1; }

for program in "$BIN/genecoding" "$BIN/$CHAPTER"; do
  [ -x "$program" ] || fail "$program is not built (swift build -c release, or set BIN)"
done
[ -d "$GUE_DIR" ] || fail "GUE_DIR=$GUE_DIR is not a folder"
export GUE_DIR="$(cd "$GUE_DIR" && pwd)"
BIN="$(cd "$BIN" && pwd)"

# --- Slurm and munge, installed when missing -------------------------------------------------
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
if ! have slurm-wlm || ! have munge; then
  say "installing slurm-wlm and munge (apt)"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq slurm-wlm munge >/dev/null
fi

# --- Scratch folder, and stopping what we start ----------------------------------------------
scratch=$(mktemp -d /tmp/genecoding-slurm-check.XXXXXX)
chmod 755 "$scratch"      # munged (as the munge user) must reach its socket folder inside
daemons=()                # pid files of the daemons this script started, in start order

stop_daemons() {
  # Jobs first, so that no task outlives the slurmd that started it. The cluster is ours alone:
  # every job in it was submitted by this script.
  if [ -n "${SLURM_CONF:-}" ] && [ -s "$scratch/slurm/slurmctld.pid" ]; then
    squeue -h -o %A 2>/dev/null | sort -u | xargs -r scancel 2>/dev/null || true
  fi
  local i pidfile pid
  for ((i = ${#daemons[@]} - 1; i >= 0; i--)); do
    pidfile=${daemons[$i]}
    [ -s "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    $SUDO kill "$pid" 2>/dev/null || continue
    for _ in $(seq 50); do $SUDO kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if $SUDO kill -0 "$pid" 2>/dev/null; then say "pid $pid ($pidfile) ignored SIGTERM; killing it"; $SUDO kill -9 "$pid" || true; fi
  done
}

on_exit() {
  local status=$?
  stop_daemons
  if [ "$status" -eq 0 ] && [ "${KEEP_SCRATCH:-0}" != 1 ]; then
    $SUDO rm -rf "$scratch"
  else
    say "scratch folder kept: $scratch (daemon logs in slurm/log, task logs in grid/*.logs)"
  fi
  say "$([ "$status" -eq 0 ] && echo passed || echo "failed (status $status)") in $(($(date +%s) - started_at)) s"
}
trap on_exit EXIT
trap 'exit 130' INT TERM

# --- munged: its own key, socket, pid and log, run as the munge user ---------------------------
mkdir -p "$scratch/munge"
dd if=/dev/urandom of="$scratch/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$scratch/munge/munge.key"
$SUDO chown -R munge:munge "$scratch/munge"
$SUDO chmod 755 "$scratch/munge"    # munged insists clients can reach its socket
socket="$scratch/munge/munge.socket"
$SUDO runuser -u munge -- /usr/sbin/munged --socket="$socket" --key-file="$scratch/munge/munge.key" \
  --pid-file="$scratch/munge/munged.pid" --log-file="$scratch/munge/munged.log" --seed-file="$scratch/munge/munged.seed"
daemons+=("$scratch/munge/munged.pid")
munge -S "$socket" -n | unmunge -S "$socket" >/dev/null || fail "munged does not answer on $socket"
say "munged up"

# --- slurmctld and slurmd, one node on loopback ------------------------------------------------
mkdir -p "$scratch/slurm/state" "$scratch/slurm/spool" "$scratch/slurm/log"
cpus=$(nproc)
# Memory is a consumable resource here, as on most clusters, so the arrays' --mem is checked against
# it; slurmd drains a node that claims more than it has, so claim 90% of MemTotal.
memory_mb=$(awk '/^MemTotal:/ { print int($2 / 1024 * 0.9) }' /proc/meminfo)
cat >"$scratch/slurm/slurm.conf" <<EOF
# A private single-node cluster for scripts/slurm-check.sh; see /work/shared/SLURM-NOTES.md.
ClusterName=genecoding-check
SlurmctldHost=localhost
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
StateSaveLocation=$scratch/slurm/state
SlurmdSpoolDir=$scratch/slurm/spool
SlurmctldPidFile=$scratch/slurm/slurmctld.pid
SlurmdPidFile=$scratch/slurm/slurmd.pid
SlurmctldLogFile=$scratch/slurm/log/slurmctld.log
SlurmdLogFile=$scratch/slurm/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
# Remember ended tasks for the whole check, so that status can quote their state.
MinJobAge=3600
NodeName=localhost CPUs=$cpus RealMemory=$memory_mb State=UNKNOWN
PartitionName=check Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$scratch/slurm/slurm.conf"
wait_for_file() { for _ in $(seq 100); do [ -s "$1" ] && return 0; sleep 0.1; done; fail "$2 did not start (see $scratch/slurm/log)"; }
$SUDO slurmctld -f "$SLURM_CONF"
daemons+=("$scratch/slurm/slurmctld.pid")
wait_for_file "$scratch/slurm/slurmctld.pid" slurmctld
$SUDO slurmd -f "$SLURM_CONF" -N localhost    # named: this machine's hostname may not resolve
daemons+=("$scratch/slurm/slurmd.pid")
wait_for_file "$scratch/slurm/slurmd.pid" slurmd
for _ in $(seq 60); do
  [ "$(sinfo -h -n localhost -o %t 2>/dev/null)" = idle ] && break
  sleep 0.5
done
[ "$(sinfo -h -n localhost -o %t)" = idle ] || fail "the node is not idle: $(sinfo -h -n localhost -o '%t %E')"
say "slurmctld and slurmd up: $(sinfo -h -o '%P %D node(s) %t, %c CPUs')"

# --- 1. the chapter writes the manifest of its smoke grid -------------------------------------
results="$scratch/results"
manifest="$scratch/grid/01-tokenization.json"
chapter_args=(--profile smoke --results "$results" --reports "$scratch/reports" --figures "$scratch/figures")
set +e
GENECODING_BACKEND=manifest GENECODING_MANIFEST="$manifest" "$BIN/$CHAPTER" "${chapter_args[@]}" 2>"$scratch/manifest.log"
status=$?
set -e
cat "$scratch/manifest.log" >&2
[ "$status" -eq 75 ] || fail "the chapter with GENECODING_BACKEND=manifest exited with $status, not 75"
[ -s "$manifest" ] || fail "no manifest at $manifest"
[ ! -e "$scratch/reports/01-tokenization.md" ] || fail "the manifest stage wrote a report"
runs=$(grep -c '"key"' "$manifest")
say "manifest: $runs runs"

# --- 2. submit, wait --------------------------------------------------------------------------
wait_for_job() {
  local job=$1 deadline=$(($(date +%s) + TIMEOUT)) states
  while :; do
    # Read once, then grep the text: `scontrol | grep -q` under pipefail fails when grep stops early.
    states=$(scontrol -o show job "$job" | grep -o 'JobState=[A-Z_]*' | sed 's/JobState=//' | sort | uniq -c | tr -s ' \n' ' ')
    if ! grep -qE 'PENDING|RUNNING|CONFIGURING|COMPLETING|REQUEUED|SUSPENDED' <<<"$states"; then
      say "job $job ended (task lines by state:$states)"
      return 0
    fi
    [ "$(date +%s)" -lt "$deadline" ] || fail "job $job still not done after $TIMEOUT s:$states"
    sleep 2
  done
}
# `grid submit` or `grid resubmit` (the first argument), checked to have written the sbatch script
# numbered $2 with the array range $3, then waited for.
submit_and_wait() {
  local output job
  output=$("$BIN/genecoding" grid "$1" --manifest "$manifest")
  echo "$output" >&2
  job=$(sed -n 's/^Submitted job array \([0-9]*\)\..*/\1/p' <<<"$output")
  [ -n "$job" ] || fail "grid $1 printed no job id"
  grep -q -- "^#SBATCH --array=$3\$" "$scratch/grid/01-tokenization.submit-$2.sbatch" || fail "the array of grid $1 is not $3"
  wait_for_job "$job"
}
# A node too small for the runs' request: refused, each run named, nothing submitted.
if refusal=$("$BIN/genecoding" grid submit --manifest "$manifest" --node-memory 1M 2>&1); then
  fail "grid submit --node-memory 1M submitted: $refusal"
fi
grep -q "would ask for more memory than a node has (--node-memory 1M)" <<<"$refusal" || fail "no refusal naming the runs: $refusal"
[ ! -e "$scratch/grid/01-tokenization.jobs.json" ] || fail "the refused submission recorded a job"
submit_and_wait submit 1 "0-$((runs - 1))"
grep -qE '^#SBATCH --mem=[0-9]+[GM]$' "$scratch/grid/01-tokenization.submit-1.sbatch" || fail "the array asks for no memory"
say "the array asked for $(sed -n 's/^#SBATCH --mem=//p' "$scratch/grid/01-tokenization.submit-1.sbatch") per task"

# --- 3. every run is in the store -------------------------------------------------------------
"$BIN/genecoding" grid status --manifest "$manifest" --require-done || fail "not every run is done after the array"

# --- 4. a run without its record is failed, and resubmitted alone -----------------------------
victim_index=$((runs / 2))
victim_key=$(grep -o '"key" : "[0-9a-f]*"' "$manifest" | sed -n "$((victim_index + 1))p" | grep -o '[0-9a-f]\{64\}')
rm "$results/runs/$victim_key.json"
rm -rf "$results/checkpoints/$victim_key"
"$BIN/genecoding" grid status --manifest "$manifest" >"$scratch/status-after-delete.txt"
cat "$scratch/status-after-delete.txt" >&2
grep -qE "^  failed +$victim_index " "$scratch/status-after-delete.txt" || fail "run $victim_index without its record is not reported as failed"
submit_and_wait resubmit 2 "$victim_index"
"$BIN/genecoding" grid status --manifest "$manifest" --require-done || fail "not every run is done after the resubmission"

# --- 5. the chapter renders from the store, training nothing -----------------------------------
"$BIN/$CHAPTER" "${chapter_args[@]}" 2>"$scratch/render.log" || { cat "$scratch/render.log" >&2; fail "the chapter failed to render"; }
cat "$scratch/render.log" >&2
grep -q "^$runs runs: $runs in the store, 0 to run" "$scratch/render.log" || fail "the chapter did not find all $runs runs in the store"
[ -s "$scratch/reports/01-tokenization.md" ] || fail "no report written"
say "the chapter rendered $scratch/reports/01-tokenization.md from $runs stored runs, training none"
