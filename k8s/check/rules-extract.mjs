// Writes the spec.groups of the PrometheusRule in k8s/base/monitoring/prometheus-rules.yaml
// as a plain Prometheus rules file (what promtool and a Prometheus without the operator read).
// Usage: node rules-extract.mjs <output file>
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import YAML from "yaml";

const here = dirname(fileURLToPath(import.meta.url));
export const rulesPath = join(here, "..", "base", "monitoring", "prometheus-rules.yaml");

export function ruleGroups() {
  const rule = YAML.parse(readFileSync(rulesPath, "utf8"));
  if (rule?.kind !== "PrometheusRule" || !Array.isArray(rule?.spec?.groups)) {
    throw new Error(`${rulesPath}: not a PrometheusRule with spec.groups`);
  }
  return rule.spec.groups;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = process.argv[2];
  if (!out) {
    console.error("usage: node rules-extract.mjs <output file>");
    process.exit(2);
  }
  writeFileSync(out, YAML.stringify({ groups: ruleGroups() }));
}
