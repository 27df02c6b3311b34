// Offline checks of one rendered overlay (the output of `kubectl kustomize`):
//   node manifests.mjs <overlay: dev|prod> <rendered.yaml> <out dir for the generated TS>
// 1. Each object is validated against its Kubernetes schema (kubernetes-models' validate())
//    and written as a typed object literal to <out>/manifests.mts, which the caller checks
//    with `tsc --strict --noEmit` (excess property checks catch misspelled fields).
// 2. The suite's rules: hardening of every container and pod, probes, resources, drain
//    timing, PodDisruptionBudgets, HPAs, headless Services and NetworkPolicies.
// Every broken rule is printed as "FAIL: <object>: <what>"; the exit code is 1 if any.
import { mkdirSync, readFileSync, symlinkSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

const [overlay, renderedPath, outDir] = process.argv.slice(2);
if (!overlay || !renderedPath || !outDir) {
  console.error("usage: node manifests.mjs <dev|prod> <rendered.yaml> <out dir>");
  process.exit(2);
}

const namespace = "kam";
// Who may call whom (gRPC port); the gateway's gRPC port is open to everyone.
const services = {
  gateway: { callers: "anyone", headless: false },
  accounts: { callers: ["gateway", "complaints", "analytics"], headless: true },
  complaints: { callers: ["gateway", "analytics"], headless: true },
  analytics: { callers: ["gateway"], headless: true },
};
const databaseClients = ["accounts", "complaints", "analytics"];

const failures = [];
const fail = (object, message) => failures.push(`${describe(object)}: ${message}`);
const describe = (o) => `${o.kind}/${o.metadata?.name ?? "?"}`;

const objects = parseAllDocuments(readFileSync(renderedPath, "utf8"))
  .map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${renderedPath}: ${doc.errors[0].message}`);
    return doc.toJS();
  })
  .filter((o) => o !== null);
if (objects.length === 0) {
  console.error(`FAIL: ${renderedPath} holds no objects`);
  process.exit(1);
}

// --- 1. schemas ---------------------------------------------------------------------------

// apiVersion → the package module holding its models.
function modelModule(apiVersion) {
  if (apiVersion === "monitoring.coreos.com/v1") {
    return "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
  }
  return `kubernetes-models/${apiVersion}`;
}

async function checkSchemas() {
  const imports = new Map(); // module → set of kinds
  const declarations = [];
  for (const [index, object] of objects.entries()) {
    const module = modelModule(object.apiVersion);
    let models;
    try {
      models = await import(module);
    } catch {
      fail(object, `no schema known for apiVersion ${object.apiVersion}`);
      continue;
    }
    const Model = models[object.kind];
    if (typeof Model !== "function") {
      fail(object, `no schema known for kind ${object.kind} in ${object.apiVersion}`);
      continue;
    }
    try {
      new Model(object).validate();
    } catch (error) {
      fail(object, `does not match its schema: ${error.message}`);
    }
    if (!imports.has(module)) imports.set(module, new Set());
    imports.get(module).add(object.kind);
    const alias = aliasOf(module, object.kind);
    declarations.push(
      `// ${describe(object)}\nexport const object${index}: ${alias} = ${JSON.stringify(object, null, 2)};\n`,
    );
  }
  const importLines = [...imports].map(([module, kinds]) => {
    const names = [...kinds].map((kind) => `I${kind} as ${aliasOf(module, kind)}`).join(", ");
    return `import type { ${names} } from "${module}";`;
  });
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, "manifests.mts"), `${importLines.join("\n")}\n\n${declarations.join("\n")}`);
  writeFileSync(
    join(outDir, "tsconfig.json"),
    JSON.stringify(
      {
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: "es2022",
          module: "nodenext",
          moduleResolution: "nodenext",
          skipLibCheck: true,
          types: [],
        },
        files: ["manifests.mts"],
      },
      null,
      2,
    ),
  );
  // The generated file resolves its imports through this package's node_modules.
  const modulesLink = join(outDir, "node_modules");
  if (!existsSync(modulesLink)) {
    const here = dirname(fileURLToPath(import.meta.url));
    symlinkSync(resolve(here, "node_modules"), modulesLink);
  }
}

// Distinct type names when two API groups share a kind.
function aliasOf(module, kind) {
  return `${kind}_${module.replace(/[^A-Za-z0-9]/g, "_")}`;
}

// --- 2. the suite's rules -------------------------------------------------------------------

const byKind = (kind) => objects.filter((o) => o.kind === kind);
const workloads = objects.filter((o) => ["Deployment", "StatefulSet", "DaemonSet"].includes(o.kind));
const matches = (selector, labels) =>
  Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels?.[k] === v) &&
  (selector?.matchExpressions ?? []).length === 0;

function checkNamespaces() {
  for (const object of objects) {
    if (object.kind === "Namespace") continue;
    if (object.metadata?.namespace !== namespace) fail(object, `not in namespace ${namespace}`);
  }
  if (!byKind("Namespace").some((n) => n.metadata.name === namespace)) {
    failures.push(`the overlay does not create namespace ${namespace}`);
  }
  for (const secret of byKind("Secret")) {
    fail(secret, "Secrets are referenced by name, never rendered (see k8s/secrets.example)");
  }
}

function checkHardening(workload) {
  const pod = workload.spec.template.spec;
  const podSecurity = pod.securityContext ?? {};
  if (pod.automountServiceAccountToken !== false) {
    fail(workload, "automountServiceAccountToken must be false (no service needs the API)");
  }
  const containers = [...(pod.initContainers ?? []), ...pod.containers];
  for (const container of containers) {
    const where = `container ${container.name}`;
    const security = container.securityContext ?? {};
    if ((security.runAsNonRoot ?? podSecurity.runAsNonRoot) !== true) {
      fail(workload, `${where}: runAsNonRoot must be true`);
    }
    if (security.readOnlyRootFilesystem !== true) {
      fail(workload, `${where}: readOnlyRootFilesystem must be true`);
    }
    if (security.allowPrivilegeEscalation !== false) {
      fail(workload, `${where}: allowPrivilegeEscalation must be false`);
    }
    if (!(security.capabilities?.drop ?? []).includes("ALL")) {
      fail(workload, `${where}: capabilities must drop ALL`);
    }
    if ((security.capabilities?.add ?? []).length > 0) {
      fail(workload, `${where}: adds capabilities ${security.capabilities.add.join(", ")}`);
    }
    const seccomp = security.seccompProfile?.type ?? podSecurity.seccompProfile?.type;
    if (seccomp !== "RuntimeDefault") fail(workload, `${where}: seccompProfile must be RuntimeDefault`);
    if (security.privileged === true) fail(workload, `${where}: must not be privileged`);
    for (const part of ["requests", "limits"]) {
      for (const resource of ["cpu", "memory"]) {
        if (container.resources?.[part]?.[resource] === undefined) {
          fail(workload, `${where}: resources.${part}.${resource} is not set`);
        }
      }
    }
    if (pod.containers.includes(container)) {
      for (const probe of ["readinessProbe", "livenessProbe"]) {
        if (!container[probe]) fail(workload, `${where}: no ${probe}`);
      }
    }
  }
}

// The suite's own services: native gRPC probes, drain timing, scrape annotations.
function checkService(name, deployment) {
  const pod = deployment.spec.template.spec;
  const container = pod.containers.find((c) => c.name === name);
  if (!container) return fail(deployment, `no container named ${name}`);
  const port = (portName) => container.ports?.find((p) => p.name === portName)?.containerPort;
  const grpcPort = port("grpc");
  const metricsPort = port("metrics");
  if (!grpcPort || !metricsPort) return fail(deployment, "container ports grpc and metrics are required");

  const readiness = container.readinessProbe?.grpc;
  if (!readiness || readiness.port !== grpcPort || (readiness.service ?? "") !== "") {
    fail(deployment, `readinessProbe must be grpc on port ${grpcPort} with service "" (readiness)`);
  }
  const liveness = container.livenessProbe?.grpc;
  if (!liveness || liveness.port !== grpcPort || liveness.service !== "liveness") {
    fail(deployment, `livenessProbe must be grpc on port ${grpcPort} with service "liveness"`);
  }

  const settings = settingsOf(deployment, container);
  const delay = Number(settings.KAM_DRAIN_DELAY_SECONDS ?? 0);
  const grace = Number(settings.KAM_DRAIN_GRACE_SECONDS ?? 20);
  if (!(delay > 0)) {
    fail(deployment, "KAM_DRAIN_DELAY_SECONDS must be set above 0 so endpoints are removed before calls are refused");
  }
  const termination = pod.terminationGracePeriodSeconds ?? 30;
  if (!(termination > delay + grace)) {
    fail(deployment, `terminationGracePeriodSeconds ${termination} must exceed drain delay ${delay} + grace ${grace}`);
  }
  if (Number(settings.KAM_GRPC_PORT) !== grpcPort || Number(settings.KAM_METRICS_PORT) !== metricsPort) {
    fail(deployment, "KAM_GRPC_PORT / KAM_METRICS_PORT differ from the container ports");
  }

  const annotations = deployment.spec.template.metadata?.annotations ?? {};
  if (annotations["prometheus.io/scrape"] !== "true" || Number(annotations["prometheus.io/port"]) !== metricsPort) {
    fail(deployment, `pod template needs prometheus.io/scrape "true" and prometheus.io/port "${metricsPort}"`);
  }

  const service = byKind("Service").find((s) => matches({ matchLabels: s.spec.selector }, podLabels(deployment)));
  if (!service) {
    fail(deployment, "no Service selects its pods");
  } else {
    const headless = service.spec.clusterIP === "None";
    if (headless !== services[name].headless) {
      fail(service, services[name].headless
        ? "must be headless (clusterIP: None): its clients balance round_robin over pod addresses"
        : "must not be headless");
    }
    for (const portName of ["grpc", "metrics"]) {
      if (!service.spec.ports.some((p) => p.name === portName)) fail(service, `no port named ${portName}`);
    }
  }
  if (!byKind("HorizontalPodAutoscaler").some((h) => h.spec.scaleTargetRef.kind === "Deployment" && h.spec.scaleTargetRef.name === deployment.metadata.name)) {
    fail(deployment, "no HorizontalPodAutoscaler scales it");
  }
}

// Environment as the container sees it: literal env over envFrom ConfigMaps.
function settingsOf(workload, container) {
  const settings = {};
  for (const source of container.envFrom ?? []) {
    const map = byKind("ConfigMap").find((c) => c.metadata.name === source.configMapRef?.name);
    if (source.configMapRef && !map) fail(workload, `envFrom ConfigMap ${source.configMapRef.name} is not in the overlay`);
    Object.assign(settings, map?.data ?? {});
  }
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) settings[variable.name] = variable.value;
  }
  return settings;
}

const podLabels = (workload) => workload.spec.template.metadata?.labels ?? {};

function checkDisruptionBudgets() {
  for (const deployment of byKind("Deployment")) {
    const budget = byKind("PodDisruptionBudget").find((b) => matches(b.spec.selector, podLabels(deployment)));
    if (!budget) fail(deployment, "no PodDisruptionBudget selects its pods");
  }
}

// --- NetworkPolicies: who can reach a pod on a port, as the union of every policy that
// selects it (with none, anyone can).
function sourcesAllowed(targetLabels, portName, portNumber) {
  const policies = byKind("NetworkPolicy").filter(
    (p) => (p.spec.policyTypes ?? ["Ingress"]).includes("Ingress") && matches(p.spec.podSelector, targetLabels),
  );
  if (policies.length === 0) return new Set(["anyone"]);
  const sources = new Set();
  for (const policy of policies) {
    for (const rule of policy.spec.ingress ?? []) {
      const coversPort = !rule.ports || rule.ports.some((p) => p.port === portName || p.port === portNumber);
      if (!coversPort) continue;
      if (!rule.from || rule.from.length === 0) {
        sources.add("anyone");
        continue;
      }
      for (const peer of rule.from) sources.add(describePeer(peer));
    }
  }
  return sources;
}

function describePeer(peer) {
  if (peer.ipBlock) return `ipBlock ${peer.ipBlock.cidr}`;
  const ns = peer.namespaceSelector;
  const pods = peer.podSelector;
  if (ns && !pods && Object.keys(ns.matchLabels ?? {}).length === 1 && ns.matchLabels["kubernetes.io/metadata.name"]) {
    return `namespace ${ns.matchLabels["kubernetes.io/metadata.name"]}`;
  }
  if (pods && !ns && Object.keys(pods.matchLabels ?? {}).length === 1 && pods.matchLabels["app.kubernetes.io/name"]) {
    return `pod ${pods.matchLabels["app.kubernetes.io/name"]}`;
  }
  return `peer ${JSON.stringify(peer)}`;
}

function expectSources(object, what, actual, expected) {
  const a = [...actual].sort();
  const e = [...expected].sort();
  if (JSON.stringify(a) !== JSON.stringify(e)) {
    fail(object, `${what} reachable from [${a.join(", ")}], expected exactly [${e.join(", ")}]`);
  }
}

function checkNetworkPolicies() {
  const denyAll = byKind("NetworkPolicy").some(
    (p) => Object.keys(p.spec.podSelector ?? {}).length === 0 && (p.spec.policyTypes ?? []).includes("Ingress") && (p.spec.ingress ?? []).length === 0,
  );
  if (!denyAll) failures.push("no default-deny ingress NetworkPolicy (podSelector {}, no ingress rules)");
  for (const [name, rule] of Object.entries(services)) {
    const deployment = byKind("Deployment").find((d) => d.metadata.name === `kam-${name}`);
    if (!deployment) {
      failures.push(`Deployment/kam-${name} is missing`);
      continue;
    }
    const container = deployment.spec.template.spec.containers[0];
    const port = (portName) => container.ports?.find((p) => p.name === portName)?.containerPort;
    const labels = podLabels(deployment);
    const grpcCallers = rule.callers === "anyone" ? ["anyone"] : rule.callers.map((c) => `pod kam-${c}`);
    expectSources(deployment, "gRPC port", sourcesAllowed(labels, "grpc", port("grpc")), grpcCallers);
    expectSources(deployment, "metrics port", sourcesAllowed(labels, "metrics", port("metrics")), ["namespace monitoring"]);
  }
  for (const database of byKind("StatefulSet").filter((s) => s.metadata.name === "kam-mysql")) {
    expectSources(database, "MySQL port", sourcesAllowed(podLabels(database), "mysql", 3306), databaseClients.map((c) => `pod kam-${c}`));
  }
}

function checkOverlay() {
  const mysql = byKind("StatefulSet").some((s) => s.metadata.name === "kam-mysql");
  if (overlay === "dev" && !mysql) failures.push("dev overlay: the MySQL StatefulSet kam-mysql is missing");
  if (overlay === "prod" && mysql) failures.push("prod overlay: uses the managed MySQL, must not run kam-mysql");
  for (const workload of workloads) {
    for (const container of workload.spec.template.spec.containers) {
      const image = container.image ?? "";
      if (overlay === "prod" && !/(@sha256:[0-9a-f]{64}|:v?\d+\.\d+\.\d+)$/.test(image)) {
        fail(workload, `prod image ${image} is not pinned by digest or version`);
      }
      if (/:latest$/.test(image) || !/[:@]/.test(image)) fail(workload, `image ${image} has no tag`);
    }
  }
}

await checkSchemas();
checkNamespaces();
for (const workload of workloads) checkHardening(workload);
for (const name of Object.keys(services)) {
  const deployment = byKind("Deployment").find((d) => d.metadata.name === `kam-${name}`);
  if (deployment) checkService(name, deployment);
}
checkDisruptionBudgets();
checkNetworkPolicies();
checkOverlay();

if (failures.length > 0) {
  for (const failure of failures) console.error(`FAIL: ${failure}`);
  console.error(`${overlay}: ${failures.length} problem(s) in ${objects.length} objects`);
  process.exit(1);
}
console.log(`${overlay}: ${objects.length} objects match their schemas and the suite's rules; typed literals in ${join(outDir, "manifests.mts")}`);
