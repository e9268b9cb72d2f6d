#!/usr/bin/env bash
# Installs what `bootkube start --simulate` runs for real: etcd (Debian etcd-server) for the private
# cluster store, and gcc with the static C library to build lockexec. A no-op where both are present.
# Run as root on a fresh machine.
set -euo pipefail
missing=()
command -v etcd >/dev/null || missing+=(etcd-server)
command -v gcc >/dev/null || missing+=(gcc libc6-dev)
command -v flock >/dev/null || missing+=(util-linux)
if ((${#missing[@]})); then
  echo "install-rehearsal-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
