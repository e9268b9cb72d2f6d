#!/usr/bin/env bash
# Installs the system programs the test suite runs for real: etcd and etcdctl (Debian etcd-server,
# etcd-client), containerd and runc, kubectl, openssl, util-linux flock and gcc. Run as root on a fresh machine; a no-op
# where everything is present.
set -euo pipefail
missing=()
command -v etcd >/dev/null || missing+=(etcd-server)
command -v etcdctl >/dev/null || missing+=(etcd-client)
command -v openssl >/dev/null || missing+=(openssl)
command -v flock >/dev/null || missing+=(util-linux)
command -v gcc >/dev/null || missing+=(gcc libc6-dev)
# The checkpointer's CRI source is tested against a real containerd (sandboxes run by runc).
command -v containerd >/dev/null || missing+=(containerd)
command -v runc >/dev/null || missing+=(runc)
if ((${#missing[@]})); then
  echo "test/setup.sh: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! command -v kubectl >/dev/null; then
  apt-get install -y -qq kubectl >/dev/null 2>&1 || true
fi
if ! command -v kubectl >/dev/null; then
  echo "test/setup.sh: kubectl is not installed and could not be installed with apt-get; the kubectl tests need it" >&2
  exit 1
fi
