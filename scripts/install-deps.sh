#!/usr/bin/env bash
# Installs the system packages GeneCoding needs, only when they are missing.
# gnuplot-nox goes in before anything that recommends gnuplot, or apt pulls a Qt build.
# libgnuplot-iostream-dev was named by the user; the project itself drives gnuplot through files.
set -euo pipefail
need=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
for pkg in gnuplot-nox libopenblas-dev libgnuplot-iostream-dev; do
  have "$pkg" || need+=("$pkg")
done
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
echo "install-deps: installing ${need[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
for pkg in "${need[@]}"; do
  # One at a time, in the order above, with no recommends, so gnuplot-nox is settled first.
  $SUDO apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null
done
