#!/usr/bin/env bash
# Installs the Debian 12 packages KAM Suite needs to build, test and run locally.
# Idempotent: touches apt only when something is missing.
#   scripts/deps.sh               everything (build, tests, scripts/dev, k8s checks)
#   scripts/deps.sh --build-only  what compiling needs (the image's build stage)
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libgrpc++-dev protobuf-compiler-grpc protobuf-compiler libprotobuf-dev
  libmysqlcppconn-dev prometheus-cpp-dev libabsl-dev libspdlog-dev nlohmann-json3-dev
  libcli11-dev libssl-dev googletest libgmock-dev libgtest-dev
)
if [[ ${1:-} != --build-only ]]; then
  # Tests and scripts/dev: private MariaDB and Prometheus, the k8s checks (npm, kubectl).
  packages+=(mariadb-server mariadb-client prometheus curl openssl)
  # The client kit's Python example and its test (clients/python, tests/client; with
  # python3-protobuf below).
  packages+=(python3-grpcio)
  # The sanitized tree and libFuzzer targets (scripts/dev build_sanitized).
  packages+=(clang libclang-rt-14-dev)
  # scripts/gen-api-docs and its check (api_docs_check): protoc's descriptors read in Python.
  packages+=(python3 python3-protobuf)
fi

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done
# Commands any version of which will do, whoever installed them: kubectl (the manifests
# render with Debian's 1.20 and newer ones), node and npm (Debian's or NodeSource's).
if [[ ${1:-} != --build-only ]]; then
  declare -A command_package=([kubectl]=kubernetes-client [node]=nodejs [npm]=npm)
  for cmd in kubectl node npm; do
    if ! command -v "$cmd" >/dev/null 2>&1; then missing+=("${command_package[$cmd]}"); fi
  done
fi

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "deps.sh: missing packages (${missing[*]}); run as root or install sudo" >&2
  exit 1
fi

echo "deps.sh: installing ${missing[*]}" >&2
# policy-rc.d exit 101 stops maintainer scripts from starting services: the system
# MariaDB and Prometheus are never used (tests and scripts/dev start private ones).
policy=/usr/sbin/policy-rc.d
added_policy=false
if [[ ! -e "$policy" ]]; then
  printf '#!/bin/sh\nexit 101\n' | "${as_root[@]}" tee "$policy" >/dev/null
  "${as_root[@]}" chmod 755 "$policy"
  added_policy=true
fi
cleanup() {
  if [[ "$added_policy" == true ]]; then
    "${as_root[@]}" rm -f "$policy"
  fi
}
trap cleanup EXIT

"${as_root[@]}" apt-get update
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends "${missing[@]}"
