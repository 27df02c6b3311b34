#!/usr/bin/env bash
# k8s/base/monitoring renders with kustomize into what the cluster needs: a ServiceMonitor
# per service on its "metrics" port, the PrometheusRule, the plain scrape ConfigMap, and the
# dashboards ConfigMap labelled for Grafana's sidecar holding every dashboard file.
set -euo pipefail
monitoring_dir="$1"
rendered=$(kubectl kustomize "$monitoring_dir")
fail() { echo "monitoring_kustomize_test: $*" >&2; exit 1; }
for service in accounts complaints analytics gateway; do
  grep -q "^  name: $service$" <<<"$rendered" || fail "no ServiceMonitor named $service"
done
[[ $(grep -c '^kind: ServiceMonitor$' <<<"$rendered") -eq 4 ]] || fail "expected 4 ServiceMonitors"
[[ $(grep -c -E '^ +(- )?port: metrics$' <<<"$rendered") -eq 4 ]] || fail "every ServiceMonitor scrapes port metrics"
grep -q '^kind: PrometheusRule$' <<<"$rendered" || fail "no PrometheusRule"
grep -q '^  name: kam-prometheus-scrape$' <<<"$rendered" || fail "no scrape ConfigMap"
grep -q 'grafana_dashboard: "1"' <<<"$rendered" || fail "dashboards ConfigMap lacks grafana_dashboard label"
for file in "$monitoring_dir"/dashboards/*.json; do
  grep -q "^  $(basename "$file"): |" <<<"$rendered" || fail "$(basename "$file") not in the dashboards ConfigMap"
done
echo "monitoring renders: 4 ServiceMonitors, PrometheusRule, scrape ConfigMap, dashboards"
