import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { readApiConfig } from '../../api/config.ts';
import { readWorkerConfig } from '../../worker/config.ts';
import { readDlqLambdaConfig } from '../../dlq-lambda/config.ts';
import { allRenderings, CHART, find, ofKind, renderChart, ROOT, type K8sObject } from './render.ts';
import { stackNames } from '../../ops/aws/core/names.ts';
import { allContainers, awsClientVariables, COMPONENT_ROLES, configFields, CONTAINER_SOURCES, makefileImageNames, NODE_RUNTIME_VARIABLES, parseImage, podSpecs, resolveEnv } from './services.ts';

const renderings = await allRenderings();

function eachContainer(fn: (c: { label: string; objects: K8sObject[]; deployment: K8sObject; pod: any; container: any }) => void): void {
  for (const { label, objects } of renderings) {
    for (const { deployment, pod } of podSpecs(objects)) {
      for (const container of allContainers(pod)) fn({ label, objects, deployment, pod, container });
    }
  }
}

test('every container sets only variables its service reads, and each service accepts the values', async () => {
  const aws = await awsClientVariables();
  const reads: Record<string, Set<string>> = {};
  for (const [name, file] of Object.entries(CONTAINER_SOURCES)) reads[name] = new Set([...(await configFields(file)), ...aws, ...NODE_RUNTIME_VARIABLES]);
  let checked = 0;
  eachContainer(({ label, objects, container }) => {
    const known = reads[container.name];
    assert.ok(known, `${label}: container ${container.name} is of no known service`);
    const env = resolveEnv(container, objects);
    for (const name of Object.keys(env)) assert.ok(known.has(name), `${label}: ${container.name} sets ${name}, which it never reads`);
    // The services' own parsers: a missing or bad value fails here as it would at start.
    if (container.name === 'api') readApiConfig(env);
    if (container.name === 'worker') readWorkerConfig(env);
    if (container.name === 'dlq-runner') {
      readDlqLambdaConfig(env);
      assert.match(env['DLQ_URL'] ?? '', /^https?:\/\//, `${label}: dlq-runner DLQ_URL`);
    }
    if (container.name === 'bootstrap') {
      for (const name of ['DDB_TABLE', 'SQS_QUEUE_URL', 'DLQ_URL']) assert.ok(env[name], `${label}: bootstrap ${name}`);
    }
    if (container.name !== 'local-aws') assert.ok(env['AWS_REGION'], `${label}: ${container.name} has no AWS_REGION`);
    checked++;
  });
  assert.ok(checked >= 15, `only ${checked} containers checked`);
});

test('the api probes GET /healthz and /readyz, routes it serves, on the port it listens on; the Service reaches that port', async () => {
  const routes = await readFile(`${ROOT}api/routes/health.ts`, 'utf8');
  for (const { label, objects } of renderings) {
    for (const { deployment, pod } of podSpecs(objects)) {
      const api = pod.containers.find((c: any) => c.name === 'api');
      if (!api) continue;
      const port = api.ports.find((p: any) => p.name === 'http');
      assert.equal(port.containerPort, readApiConfig(resolveEnv(api, objects)).port, label);
      for (const [probe, path] of [['livenessProbe', '/healthz'], ['readinessProbe', '/readyz']] as const) {
        assert.equal(api[probe].httpGet.path, path, `${label}: ${probe}`);
        assert.equal(api[probe].httpGet.port, 'http', `${label}: ${probe}`);
        assert.ok(routes.includes(`exactRoute('${path}'`), `api serves no ${path}`);
      }
      const service = find(objects, 'Service', deployment.metadata.name);
      assert.equal(service.spec.ports[0].targetPort, 'http', label);
      for (const [key, value] of Object.entries(service.spec.selector)) assert.equal(deployment.spec.template.metadata.labels[key], value, `${label}: selector ${key}`);
    }
  }
});

test('the worker probes GET /healthz (liveness) and /readyz (readiness) on its metrics port, the one METRICS_PORT names, in every rendering', async () => {
  const probes = await readFile(`${ROOT}worker/observability/probes.ts`, 'utf8');
  let workers = 0;
  for (const { label, objects } of renderings) {
    for (const { pod } of podSpecs(objects)) {
      const worker = pod.containers.find((c: any) => c.name === 'worker');
      if (!worker) continue;
      workers++;
      const port = worker.ports.find((p: any) => p.name === 'metrics');
      assert.equal(port?.containerPort, readWorkerConfig(resolveEnv(worker, objects)).metricsPort, label);
      for (const [probe, path] of [['livenessProbe', '/healthz'], ['readinessProbe', '/readyz']] as const) {
        assert.deepEqual([worker[probe]?.httpGet.path, worker[probe]?.httpGet.port], [path, 'metrics'], `${label}: ${probe}`);
        assert.ok(probes.includes(`'${path}': () =>`), `the worker serves no ${path}`);
      }
    }
  }
  assert.ok(workers >= 5, `only ${workers} workers checked`);
});

test('the api names its metrics port, the one METRICS_PORT names, and its Service never carries it', async () => {
  for (const { label, objects } of renderings) {
    for (const { deployment, pod } of podSpecs(objects)) {
      const api = pod.containers.find((c: any) => c.name === 'api');
      if (!api) continue;
      assert.equal(api.ports.find((p: any) => p.name === 'metrics')?.containerPort, readApiConfig(resolveEnv(api, objects)).metricsPort, label);
      assert.deepEqual(find(objects, 'Service', deployment.metadata.name).spec.ports.map((p: any) => p.targetPort), ['http'], label);
    }
  }
});

test('every image is one the Makefile names, and dev renderings use its tag with no registry', async () => {
  const { names, tag } = makefileImageNames();
  const values = parse(await readFile(`${CHART}/values.yaml`, 'utf8'));
  assert.deepEqual(new Set(Object.values(values.images)), names, 'chart values.images');
  assert.equal(values.image.tag, tag);
  let seen = new Set<string>();
  eachContainer(({ label, container }) => {
    const image = parseImage(container.image);
    assert.ok(names.has(image.name), `${label}: ${container.name} runs ${container.image}`);
    if (label.includes('dev') || label.includes('default')) assert.deepEqual([image.registry, image.tag], ['', tag], `${label}: ${container.image}`);
    seen.add(image.name);
  });
  assert.deepEqual(seen, names, 'every Makefile image is deployed somewhere');
});

test('every container has cpu and memory requests and limits', () => {
  eachContainer(({ label, container }) => {
    for (const kind of ['requests', 'limits']) {
      for (const resource of ['cpu', 'memory']) assert.ok(container.resources?.[kind]?.[resource], `${label}: ${container.name} ${kind}.${resource}`);
    }
  });
});

test('every pod runs non-root with no capabilities and a read-only root filesystem', () => {
  for (const { label, objects } of renderings) {
    for (const { deployment, pod } of podSpecs(objects)) {
      assert.equal(pod.securityContext.runAsNonRoot, true, `${label}: ${deployment.metadata.name}`);
      assert.ok(pod.securityContext.runAsUser > 0, `${label}: ${deployment.metadata.name}`);
      for (const container of allContainers(pod)) {
        const sc = container.securityContext;
        assert.equal(sc.allowPrivilegeEscalation, false, `${label}: ${container.name}`);
        assert.deepEqual(sc.capabilities.drop, ['ALL'], `${label}: ${container.name}`);
        assert.equal(sc.readOnlyRootFilesystem, true, `${label}: ${container.name}`);
      }
    }
  }
});

test('grace periods outlast the worker\'s drain and the api\'s shutdown delay and grace', () => {
  for (const { label, objects } of renderings) {
    for (const { pod } of podSpecs(objects)) {
      const grace = pod.terminationGracePeriodSeconds * 1000;
      for (const container of pod.containers) {
        const env = resolveEnv(container, objects);
        if (container.name === 'worker') assert.ok(grace > readWorkerConfig(env).drainTimeoutMs, `${label}: worker grace ${grace} ms`);
        if (container.name === 'api') {
          const api = readApiConfig(env);
          assert.ok(grace > api.shutdownDelayMs + api.shutdownGraceMs, `${label}: api grace ${grace} ms`);
        }
      }
    }
  }
});

test('the api goes on accepting connections after SIGTERM for longer than kube-proxy takes to stop routing to it (about a second)', () => {
  let checked = 0;
  eachContainer(({ label, objects, container }) => {
    if (container.name !== 'api') return;
    const { shutdownDelayMs } = readApiConfig(resolveEnv(container, objects));
    assert.ok(shutdownDelayMs >= 1_000, `${label}: SHUTDOWN_DELAY_MS ${shutdownDelayMs}`);
    checked++;
  });
  assert.equal(checked, renderings.length, 'an api in every rendering');
});

test('each jobsys component runs as a ServiceAccount of its own, which the rendering creates; no pod gets a Kubernetes API token', () => {
  for (const { label, objects } of renderings) {
    const accounts = new Map(ofKind(objects, 'ServiceAccount').map((account) => [account.metadata.name, account]));
    const owners = new Map<string, string>();
    for (const { deployment, pod } of podSpecs(objects)) {
      const where = `${label}: ${deployment.metadata.name}`;
      assert.equal(pod.automountServiceAccountToken, false, `${where} mounts a Kubernetes API token`);
      const component = deployment.spec.template.metadata.labels['app.kubernetes.io/component'];
      if (!(component in COMPONENT_ROLES)) continue;
      const account = accounts.get(pod.serviceAccountName);
      assert.ok(account, `${where}: its ServiceAccount ${pod.serviceAccountName} is not rendered`);
      assert.equal(account.automountServiceAccountToken, false, `${where}: ServiceAccount ${pod.serviceAccountName}`);
      assert.equal(owners.get(pod.serviceAccountName) ?? component, component, `${where}: ServiceAccount ${pod.serviceAccountName} is shared with ${owners.get(pod.serviceAccountName)}`);
      owners.set(pod.serviceAccountName, component);
    }
    assert.deepEqual([...accounts.keys()].sort(), [...owners.keys()].sort(), `${label}: a ServiceAccount per component, none unused`);
  }
});

test('on AWS: each component\'s ServiceAccount carries its own IRSA role, named as ops/aws/core/names.ts names it; no static keys, no dlq-runner', () => {
  const aws = renderings.filter((r) => r.label.includes('aws'));
  assert.equal(aws.length, 2);
  for (const { label, objects } of aws) {
    const region = find(objects, 'ConfigMap', 'jobsys').data.AWS_REGION;
    const roles = new Set<string>();
    // The api's key hashes are a Secret there too; static AWS keys are not.
    for (const secret of ofKind(objects, 'Secret')) assert.deepEqual(Object.keys({ ...secret.data, ...secret.stringData }), ['API_KEY_HASHES'], `${label}: Secret ${secret.metadata.name}`);
    for (const { deployment, pod } of podSpecs(objects)) {
      const component = deployment.spec.template.metadata.labels['app.kubernetes.io/component'] as string;
      assert.notEqual(component, 'dlq-runner', label);
      const arn = find(objects, 'ServiceAccount', pod.serviceAccountName).metadata.annotations?.['eks.amazonaws.com/role-arn'] ?? '';
      const match = /^arn:aws:iam::(\d{12}):role\/(.+)$/.exec(arn);
      assert.ok(match, `${label}: ${component}'s ServiceAccount has no IRSA role: ${arn}`);
      const role = COMPONENT_ROLES[component];
      assert.ok(role, `${label}: ${component} is no component with a role`);
      assert.equal(match[2], stackNames({ stack: 'jobsys', region, accountId: match[1]! }).roles[role], `${label}: ${component}'s role`);
      roles.add(arn);
      for (const container of allContainers(pod)) {
        const env = resolveEnv(container, objects);
        assert.equal(env['AWS_ACCESS_KEY_ID'], undefined, `${label}: ${container.name}`);
        assert.ok(!Object.keys(env).some((n) => n.startsWith('AWS_ENDPOINT_URL')), `${label}: ${container.name} overrides endpoints`);
      }
    }
    assert.deepEqual([...roles].length, podSpecs(objects).length, `${label}: no two components share a role`);
  }
});

test('the autoscaling example scales the api Deployment, which then leaves replicas to the HPA', async () => {
  const objects = await renderChart([`${CHART}/examples/autoscaling.yaml`]);
  const [hpa] = ofKind(objects, 'HorizontalPodAutoscaler');
  assert.equal(hpa?.spec.scaleTargetRef.name, 'jobsys-api');
  assert.equal(find(objects, 'Deployment', 'jobsys-api').spec.replicas, undefined);
  assert.deepEqual(ofKind(await renderChart(), 'HorizontalPodAutoscaler'), []);
});
