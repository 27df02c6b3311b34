#!/usr/bin/env bash
# Creates the Secrets overlays/dev needs, with random values, in namespace kam (created
# if missing). Existing Secrets are left alone, so the database keeps matching passwords.
set -euo pipefail
ns=${1:-kam}
random_hex() { head -c "$1" /dev/urandom | od -An -v -tx1 | tr -d ' \n'; }
create() {
  local name=$1
  shift
  if kubectl -n "$ns" get secret "$name" >/dev/null 2>&1; then
    echo "secret $name exists; kept"
  else
    kubectl -n "$ns" create secret generic "$name" "$@"
  fi
}
kubectl get namespace "$ns" >/dev/null 2>&1 || kubectl create namespace "$ns"
create kam-identity --from-literal=identity.key="$(random_hex 32)"
create kam-gateway-jwt --from-literal=hs256.key="$(random_hex 32)" --from-literal=api-keys.json='{"keys": []}'
create kam-mysql --from-literal=root-password="$(random_hex 24)"
for svc in accounts complaints analytics; do
  create "kam-db-$svc" --from-literal=host=kam-mysql --from-literal=user="kam_$svc" \
    --from-literal=password="$(random_hex 24)"
done
