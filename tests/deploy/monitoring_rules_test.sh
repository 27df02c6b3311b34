#!/usr/bin/env bash
# The PrometheusRule's groups as a plain rules file: promtool check rules, promtool test
# rules (k8s/check/rules.test.yaml: per alert a case that fires and one that does not), and
# the alerts' severity, annotations and runbook entries (k8s/check/rules-check.mjs).
set -euo pipefail
check_dir="$1"
promtool="${2:-promtool}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
node "$check_dir/rules-extract.mjs" "$work/kam-suite.rules.yaml"
"$promtool" check rules "$work/kam-suite.rules.yaml"
cp "$check_dir/rules.test.yaml" "$work/rules.test.yaml"
"$promtool" test rules "$work/rules.test.yaml"
node "$check_dir/rules-check.mjs"
