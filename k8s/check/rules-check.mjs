// Checks what promtool does not: every alert of the PrometheusRule carries a severity
// (critical or warning), a summary, a description and a runbook_url naming an entry that
// k8s/RUNBOOK.md has, and every entry of the runbook belongs to an alert.
// Usage: node rules-check.mjs   (exit code 0 when every check passes)
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ruleGroups } from "./rules-extract.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const runbook = readFileSync(join(here, "..", "RUNBOOK.md"), "utf8");
// GitHub's anchors: the heading lowercased, spaces to dashes, punctuation dropped.
const anchors = new Set(
  [...runbook.matchAll(/^#{2,3} (.+)$/gm)].map((m) =>
    m[1].trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replace(/ /g, "-"),
  ),
);

const problems = [];
const alerts = ruleGroups().flatMap((group) => group.rules.filter((rule) => rule.alert));
for (const rule of alerts) {
  const where = `alert ${rule.alert}`;
  if (!["critical", "warning"].includes(rule.labels?.severity)) {
    problems.push(`${where}: severity must be critical or warning`);
  }
  for (const key of ["summary", "description", "runbook_url"]) {
    if (!rule.annotations?.[key]) problems.push(`${where}: no ${key} annotation`);
  }
  const url = rule.annotations?.runbook_url ?? "";
  const match = url.match(/k8s\/RUNBOOK\.md#(.+)$/);
  if (!match) problems.push(`${where}: runbook_url ${url} does not point into k8s/RUNBOOK.md`);
  else if (!anchors.has(match[1])) problems.push(`${where}: RUNBOOK.md has no entry #${match[1]}`);
}
for (const anchor of anchors) {
  if (anchor.startsWith("kam") && !alerts.some((rule) => rule.alert.toLowerCase() === anchor)) {
    problems.push(`RUNBOOK.md entry #${anchor} names no alert`);
  }
}
if (alerts.length === 0) problems.push("no alerts");
if (problems.length > 0) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log(`${alerts.length} alerts: severity, summary, description and runbook entry ok`);
