#!/usr/bin/env bash
# Generates the Python messages and gRPC stubs of the KAM Suite protos with Debian's tools
# (protobuf-compiler, protobuf-compiler-grpc's grpc_python_plugin); they run with Debian's
# python3-protobuf (3.21) and python3-grpcio (1.51).
#   clients/python/generate.sh OUT_DIR [PROTO_DIR]
# PROTO_DIR defaults to this repository's protos/; an installed client kit has them in
# <prefix>/share/kam/protos. Then: PYTHONPATH=OUT_DIR python3 examples/python/list_accounts.py
# Only kam/**.proto: a generated grpc/health package would hide python3-grpcio's `grpc`.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 OUT_DIR [PROTO_DIR]" >&2
  exit 2
fi
out_dir=$1
proto_dir=${2:-$(cd "$(dirname "$0")/../.." && pwd)/protos}
plugin=$(command -v grpc_python_plugin || true)
if [[ -z "$plugin" ]] || ! command -v protoc >/dev/null; then
  echo "$0: needs protoc and grpc_python_plugin: apt-get install protobuf-compiler" \
       "protobuf-compiler-grpc" >&2
  exit 1
fi

mkdir -p "$out_dir"
cd "$proto_dir"
mapfile -t protos < <(find kam -name '*.proto' | sort)
# The google/protobuf imports resolve from protoc's own include directory.
protoc --proto_path=. --python_out="$out_dir" --grpc_python_out="$out_dir" \
  --plugin=protoc-gen-grpc_python="$plugin" "${protos[@]}"
echo "generated ${#protos[@]} protos into $out_dir" >&2
