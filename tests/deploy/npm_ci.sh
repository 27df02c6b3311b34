#!/usr/bin/env bash
# Installs k8s/check's node_modules from its lock when missing or older than the lock.
# Tests running in parallel share one install (flock). Any deploy test may call it.
set -euo pipefail
check_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../k8s/check" && pwd)
stamp=$check_dir/node_modules/.kam-lock-sha256
exec 9>"$check_dir/.npm-ci.lock"
flock 9
want=$(sha256sum <"$check_dir/package-lock.json" | cut -d' ' -f1)
if [[ -f $stamp && $(<"$stamp") == "$want" ]]; then
  exit 0
fi
echo "npm ci in $check_dir" >&2
# --prefer-offline: the npm cache when it has the packages, the registry otherwise. The
# packages declare node >= 22; what the checks use works on node 18 and 20 (EBADENGINE
# warnings only).
(cd "$check_dir" && npm ci --prefer-offline --no-audit --no-fund --loglevel=error)
echo "$want" >"$stamp"
