#!/usr/bin/env bash
# Renders one kustomize overlay and checks it offline: every object against its Kubernetes
# schema (runtime validate() and `tsc --strict` over typed literals), then the suite's
# rules (k8s/check/manifests.mjs).
#   manifests_test.sh <dev|prod> <work dir>
set -euo pipefail
overlay=$1
work=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
kubectl=${KUBECTL:-kubectl}

"$here/npm_ci.sh"
rm -rf "$work"
mkdir -p "$work"
# Old kubectl (Debian's 1.20) and new ones print deprecation warnings on stderr: kept apart.
if ! "$kubectl" kustomize "$repo/k8s/overlays/$overlay" >"$work/rendered.yaml" 2>"$work/kustomize.stderr"; then
  cat "$work/kustomize.stderr" >&2
  echo "FAIL: kubectl kustomize k8s/overlays/$overlay" >&2
  exit 1
fi

status=0
node "$repo/k8s/check/manifests.mjs" "$overlay" "$work/rendered.yaml" "$work/ts" || status=1
if [[ -f $work/ts/tsconfig.json ]]; then
  if ! "$repo/k8s/check/node_modules/.bin/tsc" -p "$work/ts/tsconfig.json"; then
    echo "FAIL: $overlay: rendered objects do not type-check against kubernetes-models (above: line in $work/ts/manifests.mts)" >&2
    status=1
  fi
fi
exit $status
