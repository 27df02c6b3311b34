// Inputs of the live observability test (tests/e2e/observability_e2e_test.cc), derived from
// the manifests so the test runs what a cluster would:
//   prometheus.yml       the scrape job of k8s/base/monitoring/scrape-config.yaml, with its
//                        relabelling unchanged; only the Kubernetes pod discovery is replaced
//                        by static loopback targets carrying the __meta_ labels and
//                        annotations the Deployments give their pods (address = the gRPC
//                        port, as a pod IP with its first container port, so the
//                        prometheus.io/port rewrite is exercised). Intervals shortened to 1 s.
//   kam-suite.rules.yaml the PrometheusRule's groups, loaded as rule_files.
//   queries.json         every dashboard query (variables replaced) and alert expression.
// Usage: node live-inputs.mjs <out dir> <namespace> <service>=<grpc port>:<metrics port> ...
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import YAML from "yaml";
import { dashboardQueries } from "./dashboards.mjs";
import { ruleGroups } from "./rules-extract.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const scrapeConfigMap = join(here, "..", "base", "monitoring", "scrape-config.yaml");

function staticTarget(namespace, service, grpcPort, metricsPort) {
  return {
    targets: [`127.0.0.1:${grpcPort}`],
    labels: {
      __meta_kubernetes_namespace: namespace,
      __meta_kubernetes_pod_name: `${service}-0`,
      __meta_kubernetes_pod_label_app_kubernetes_io_component: service,
      __meta_kubernetes_pod_label_app_kubernetes_io_part_of: "kam-suite",
      __meta_kubernetes_pod_annotation_prometheus_io_scrape: "true",
      __meta_kubernetes_pod_annotation_prometheus_io_port: String(metricsPort),
      __meta_kubernetes_pod_annotation_prometheus_io_path: "/metrics",
    },
  };
}

function scrapeConfigs(namespace, services) {
  const configMap = YAML.parse(readFileSync(scrapeConfigMap, "utf8"));
  const jobs = YAML.parse(configMap.data["kam-suite.scrape.yaml"]).scrape_configs;
  return jobs.map((job) => {
    if (!job.kubernetes_sd_configs) throw new Error(`${job.job_name}: no kubernetes_sd_configs`);
    const { kubernetes_sd_configs: _, ...rest } = job;
    return {
      ...rest,
      scrape_interval: "1s",
      scrape_timeout: "1s",
      static_configs: services.map((s) => staticTarget(namespace, s.name, s.grpcPort, s.metricsPort)),
    };
  });
}

const [outDir, namespace, ...specs] = process.argv.slice(2);
if (!outDir || !namespace || specs.length === 0) {
  console.error("usage: node live-inputs.mjs <out dir> <namespace> <service>=<grpc>:<metrics> ...");
  process.exit(2);
}
const services = specs.map((spec) => {
  const [, name, grpcPort, metricsPort] = spec.match(/^([a-z]+)=(\d+):(\d+)$/) ?? [];
  if (!name) throw new Error(`bad service spec ${spec}`);
  return { name, grpcPort, metricsPort };
});

writeFileSync(join(outDir, "kam-suite.rules.yaml"), YAML.stringify({ groups: ruleGroups() }));
writeFileSync(
  join(outDir, "prometheus.yml"),
  YAML.stringify({
    global: { scrape_interval: "1s", evaluation_interval: "1s" },
    rule_files: ["kam-suite.rules.yaml"],
    scrape_configs: scrapeConfigs(namespace, services),
  }),
);
const alerts = ruleGroups()
  .flatMap((group) => group.rules)
  .filter((rule) => rule.alert)
  .map((rule) => ({ kind: "alert", name: rule.alert, expr: rule.expr }));
const panels = dashboardQueries().map((q) => ({
  kind: "panel",
  name: `${q.dashboard} / ${q.panel} / ${q.refId}`,
  panel: q.panel,
  expr: q.expr,
}));
writeFileSync(join(outDir, "queries.json"), JSON.stringify([...panels, ...alerts], null, 2));
