// Checks the Grafana dashboards offline:
//  1. each JSON file becomes a typed `Dashboard` literal of @grafana/schema, compiled by tsc
//     in strict mode (a misspelled or mistyped field fails the compile);
//  2. every panel has a datasource, a unit and at least one non-empty query, ids and uids
//     are unique, and the kustomization provisions every file.
// Usage: node dashboards-check.mjs   (exit code 0 when every check passes)
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { dataPanels, dashboardsDir, loadDashboards } from "./dashboards.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const problems = [];

function typeCheck(dashboards) {
  const dir = join(here, ".generated", "dashboards");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const files = dashboards.map(({ file, json }) => {
    const path = join(dir, file.replace(/\.json$/, ".ts"));
    writeFileSync(
      path,
      `import type { Dashboard } from "@grafana/schema";\n\n` +
        `export const dashboard: Dashboard = ${JSON.stringify(json, null, 2)};\n`,
    );
    return path;
  });
  const tsc = join(here, "node_modules", "typescript", "bin", "tsc");
  try {
    execFileSync(
      process.execPath,
      [tsc, "--strict", "--noEmit", "--exactOptionalPropertyTypes", "--skipLibCheck",
        "--target", "es2022", "--module", "nodenext", "--moduleResolution", "nodenext", ...files],
      { cwd: here, stdio: "pipe" },
    );
  } catch (error) {
    problems.push(`tsc: dashboards do not match @grafana/schema's Dashboard:\n${error.stdout}`);
  }
}

function checkPanels({ file, json }) {
  const ids = new Set();
  for (const panel of json.panels ?? []) {
    if (ids.has(panel.id)) problems.push(`${file}: panel id ${panel.id} used twice`);
    ids.add(panel.id);
  }
  for (const panel of dataPanels(json)) {
    const where = `${file}: panel "${panel.title}"`;
    if (!panel.datasource?.uid) problems.push(`${where} has no datasource`);
    if (!panel.fieldConfig?.defaults?.unit) problems.push(`${where} has no unit`);
    const targets = panel.targets ?? [];
    if (targets.length === 0) problems.push(`${where} has no query`);
    for (const target of targets) {
      if (typeof target.expr !== "string" || target.expr.trim() === "") {
        problems.push(`${where} query ${target.refId} has no expr`);
      }
      if (!target.datasource?.uid) problems.push(`${where} query ${target.refId} has no datasource`);
    }
  }
}

function checkProvisioned(dashboards) {
  const kustomization = readFileSync(join(dashboardsDir, "..", "kustomization.yaml"), "utf8");
  const uids = new Set();
  for (const { file, json } of dashboards) {
    if (!kustomization.includes(`dashboards/${file}`)) {
      problems.push(`${file} is not in the configMapGenerator of kustomization.yaml`);
    }
    if (uids.has(json.uid)) problems.push(`${file}: uid ${json.uid} used twice`);
    uids.add(json.uid);
  }
}

const dashboards = loadDashboards();
if (dashboards.length === 0) problems.push(`no dashboards in ${dashboardsDir}`);
typeCheck(dashboards);
dashboards.forEach(checkPanels);
checkProvisioned(dashboards);
if (problems.length > 0) {
  console.error(problems.join("\n"));
  process.exit(1);
}
const panels = dashboards.reduce((n, { json }) => n + dataPanels(json).length, 0);
console.log(`${dashboards.length} dashboards, ${panels} panels: schema, datasource, unit, query ok`);
