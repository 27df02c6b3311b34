// The Grafana dashboards of k8s/base/monitoring/dashboards and the queries in them, shared by
// dashboards-check.mjs and live-inputs.mjs.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const dashboardsDir = join(here, "..", "base", "monitoring", "dashboards");

export function loadDashboards() {
  return readdirSync(dashboardsDir)
    .filter((name) => name.endsWith(".json"))
    .sort()
    .map((file) => ({ file, json: JSON.parse(readFileSync(join(dashboardsDir, file), "utf8")) }));
}

// Panels that show data (rows only group them), including those inside collapsed rows.
export function dataPanels(dashboard) {
  const panels = [];
  for (const panel of dashboard.panels ?? []) {
    if (panel.type === "row") panels.push(...(panel.panels ?? []));
    else panels.push(panel);
  }
  return panels;
}

// A query as Prometheus runs it: Grafana's variables replaced by what they stand for with
// every namespace selected and a 5 minute window.
export function concreteExpr(expr) {
  return expr
    .replaceAll("$__rate_interval", "5m")
    .replaceAll("$__interval", "1m")
    .replaceAll("$__range", "5m")
    .replaceAll("$namespace", ".*");
}

// Every query of every panel: { dashboard, panel, refId, expr }.
export function dashboardQueries() {
  const queries = [];
  for (const { json } of loadDashboards()) {
    for (const panel of dataPanels(json)) {
      for (const target of panel.targets ?? []) {
        queries.push({
          dashboard: json.title,
          panel: panel.title,
          refId: target.refId,
          expr: concreteExpr(target.expr),
        });
      }
    }
  }
  return queries;
}
