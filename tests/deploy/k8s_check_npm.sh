#!/usr/bin/env bash
# Installs k8s/check's npm packages (pinned by its package-lock.json) when they are missing
# or older than the lock file. Run once per ctest run as the setup of the deploy tests.
set -euo pipefail
check_dir="$1"
marker="$check_dir/node_modules/.package-lock.json"
if [[ -f "$marker" && "$marker" -nt "$check_dir/package-lock.json" ]]; then
  exit 0
fi
cd "$check_dir"
npm ci --no-audit --no-fund --loglevel=error
