#!/usr/bin/env bash
# Generates the Go messages and gRPC stubs of the KAM Suite protos with Debian's plugins
# (protoc-gen-go 1.28, protoc-gen-go-grpc 1.0; docs/CLIENTS.md). Go is not needed to build
# or test KAM Suite; this is for Go callers of the gateway.
#   clients/go/generate.sh OUT_DIR IMPORT_PREFIX [PROTO_DIR]
# Writes OUT_DIR/kam/<service>/v1/*.go as packages IMPORT_PREFIX/kam/<service>/v1, named
# <service>v1 (accountsv1, complaintsv1, analyticsv1, gatewayv1). The protos carry no
# go_package option, so every file is mapped here (protoc's M flags).
set -euo pipefail

if [[ $# -lt 2 || $# -gt 3 ]]; then
  echo "usage: $0 OUT_DIR IMPORT_PREFIX [PROTO_DIR]" >&2
  exit 2
fi
out_dir=$(mkdir -p "$1" && cd "$1" && pwd)
prefix=$2
proto_dir=${3:-$(cd "$(dirname "$0")/../.." && pwd)/protos}
for tool in protoc protoc-gen-go protoc-gen-go-grpc; do
  if ! command -v "$tool" >/dev/null; then
    echo "$0: needs $tool: apt-get install protobuf-compiler protoc-gen-go protoc-gen-go-grpc" >&2
    exit 1
  fi
done

cd "$proto_dir"
mapfile -t protos < <(find kam -name '*.proto' | sort)
mapping=()
for proto in "${protos[@]}"; do
  dir=$(dirname "$proto")               # kam/accounts/v1
  service=$(basename "$(dirname "$dir")")  # accounts
  mapping+=("--go_opt=M$proto=$prefix/$dir;${service}v1"
            "--go-grpc_opt=M$proto=$prefix/$dir;${service}v1")
done
protoc --proto_path=. \
  --go_out="$out_dir" --go_opt=module="$prefix" \
  --go-grpc_out="$out_dir" --go-grpc_opt=module="$prefix" \
  "${mapping[@]}" "${protos[@]}"
echo "generated ${#protos[@]} protos into $out_dir" >&2
