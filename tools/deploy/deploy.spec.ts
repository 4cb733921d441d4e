import 'reflect-metadata';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getMetadataStorage } from 'class-validator';
import { loadConfig, ProcessEnv } from '@darkroom/config';
import { HealthController } from '@darkroom/runtime';

/**
 * deploy/kubernetes and docker-compose.yml (issue 15): every overlay renders with the pinned
 * kustomize and every object validates against the pinned Kubernetes schemas (render.mjs);
 * every setting a service requires at boot, read from its config classes, is provided by its
 * Deployment and by its compose service; and the shapes the README promises hold.
 */
const root = join(__dirname, '../..');

type Env = Record<string, string>;
type Config = new () => object;
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [field: string]: unknown;
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  env?: { name: string; value?: string; valueFrom?: Record<string, { name?: string; key?: string; optional?: boolean }> }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  livenessProbe?: { httpGet?: { path: string } };
  readinessProbe?: { httpGet?: { path: string } };
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  terminationGracePeriodSeconds?: number;
}
interface Workload extends K8sObject {
  spec: { replicas?: number; selector: { matchLabels: Record<string, string> }; template: { spec: PodSpec } };
}
interface ComposeService {
  image?: string;
  build?: { args?: Record<string, string> };
  command?: string[] | string;
  environment?: Env | string[];
  healthcheck?: { test: string[] | string };
  ports?: string[];
  stop_grace_period?: string;
}
interface Rendered {
  tools: { kubernetesModels: string; kustomize: string; schemas: string[] };
  overlays: Record<string, { objects: K8sObject[]; problems: string[] }>;
  compose: { services: Record<string, ComposeService> };
}

const render = (...args: string[]): Rendered =>
  JSON.parse(
    execFileSync(process.execPath, [join(root, 'tools/deploy/render.mjs'), ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }),
  ) as Rendered;

/** The distributed services: one image and one Deployment each (apps/<name>, deploy/docker/Dockerfile's APP). */
const services = ['gateway', 'generation', 'provider-adapter', 'storage', 'ledger'];

/**
 * The config classes a service loads at boot, found in its code rather than listed here:
 * every `loadConfig(X)` in apps/<service>/src and in the boot every service shares, X taken
 * from the module the file imports it from. `loadConfig(X)` passed to `migrate(` belongs to
 * the migration command instead.
 */
function configClasses(): { boot: Map<string, Config[]>; migration: Config[] } {
  const sources = (dir: string) =>
    readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts') && !/\.(int-|e2e-)?spec\.ts$/.test(file))
      .map((file) => readFileSync(join(root, dir, file), 'utf8'));
  const resolve = (code: string, name: string): Config => {
    const from = new RegExp(`import\\s*{[^}]*\\b${name}\\b[^}]*}\\s*from\\s*'([^']+)'`).exec(code)?.[1];
    if (!from) throw new Error(`cannot tell where ${name} comes from`);
    return (require(from) as Record<string, Config>)[name];
  };
  const found = (code: string, pattern: RegExp) => [...code.matchAll(pattern)].map((match) => resolve(code, match[1]));
  const shared = sources('libs/platform/runtime/src').flatMap((code) =>
    /export async function startApp/.test(code) ? found(code, /loadConfig\((\w+)\)/g) : [],
  );
  const boot = new Map<string, Config[]>();
  const migration: Config[] = [];
  for (const service of services) {
    const code = sources(`apps/${service}/src`);
    migration.push(...code.flatMap((text) => found(text, /migrate\(\s*loadConfig\((\w+)\)/g)));
    const all = code.flatMap((text) => found(text, /(?<!migrate\(\s*)loadConfig\((\w+)\)/g));
    boot.set(service, [...new Set([...all, ...shared])]);
  }
  return { boot, migration: [...new Set(migration)] };
}

/** Settings a class requires: validated properties without @IsOptional. */
function requiredSettings(config: Config): string[] {
  const metadata = getMetadataStorage().getTargetValidationMetadatas(config, '', true, false);
  const optional = new Set(metadata.filter((m) => m.type === 'conditionalValidation').map((m) => m.propertyName));
  return [...new Set(metadata.map((m) => m.propertyName))].filter((name) => !optional.has(name));
}

/** Problems of `env` for `configs`: required settings missing, then what loadConfig refuses. */
function settingProblems(env: Env, configs: Config[]): string[] {
  return configs.flatMap((config) => {
    const missing = requiredSettings(config).filter((name) => env[name] === undefined);
    if (missing.length) return missing.map((name) => `${config.name}: ${name} is not provided`);
    try {
      loadConfig(config, env);
      return [];
    } catch (error) {
      return [`${config.name}: ${(error as Error).message}`];
    }
  });
}

/**
 * Secrets the operators write, with values of their shape: CloudNativePG's <cluster>-app and
 * the RabbitMQ cluster operator's <cluster>-default-user. Nothing in the manifests holds them.
 */
function operatorSecrets(objects: K8sObject[]): Map<string, Env> {
  const secrets = new Map<string, Env>();
  for (const object of objects) {
    const { name, namespace } = object.metadata;
    if (object.apiVersion === 'postgresql.cnpg.io/v1' && object.kind === 'Cluster') {
      const initdb = (object.spec as { bootstrap?: { initdb?: { database?: string; owner?: string } } }).bootstrap?.initdb;
      const [database, owner] = [initdb?.database ?? 'app', initdb?.owner ?? initdb?.database ?? 'app'];
      const host = `${name}-rw.${namespace}`;
      secrets.set(`${name}-app`, {
        username: owner,
        password: 'generated',
        host,
        port: '5432',
        dbname: database,
        uri: `postgresql://${owner}:generated@${host}:5432/${database}`,
      });
    }
    if (object.apiVersion === 'rabbitmq.com/v1beta1' && object.kind === 'RabbitmqCluster') {
      secrets.set(`${name}-default-user`, { username: 'default_user_generated', password: 'generated-A_b-9', host: `${name}.${namespace}.svc`, port: '5672' });
    }
  }
  return secrets;
}

/** A container's environment as the kubelet builds it: envFrom, then env with $(VAR) expanded. */
function containerEnv(container: Container, objects: K8sObject[]): Env {
  const operator = operatorSecrets(objects);
  const source = (kind: 'ConfigMap' | 'Secret', name: string): Env | undefined => {
    const object = objects.find((o) => o.kind === kind && o.metadata.name === name) as
      | (K8sObject & { data?: Env; stringData?: Env })
      | undefined;
    if (!object) return kind === 'Secret' ? operator.get(name) : undefined;
    const decoded = kind === 'Secret' ? Object.fromEntries(Object.entries(object.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()])) : object.data;
    return { ...decoded, ...object.stringData };
  };
  const env: Env = {};
  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ? source('ConfigMap', from.configMapRef.name) : source('Secret', from.secretRef!.name);
    if (!ref) throw new Error(`${container.name}: envFrom ${JSON.stringify(from)} names nothing rendered`);
    Object.assign(env, ref);
  }
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) {
      env[variable.name] = variable.value.replace(/\$\((\w+)\)/g, (whole, name: string) => env[name] ?? whole);
      continue;
    }
    const [kind, ref] = Object.entries(variable.valueFrom ?? {})[0] ?? [];
    if (kind === 'fieldRef' || kind === 'resourceFieldRef') {
      env[variable.name] = 'from-the-pod';
      continue;
    }
    const value = source(kind === 'configMapKeyRef' ? 'ConfigMap' : 'Secret', ref?.name ?? '')?.[ref?.key ?? ''];
    if (value === undefined && !ref?.optional) throw new Error(`${container.name}: ${variable.name} refers to ${ref?.name}/${ref?.key}, which nothing provides`);
    if (value !== undefined) env[variable.name] = value;
  }
  return env;
}

const workloads = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind) as Workload[];
const byName = <T extends K8sObject>(objects: T[], name: string) => objects.find((o) => o.metadata.name === name);
const appContainer = (deployment: Workload) => deployment.spec.template.spec.containers.find((c) => c.name === 'app')!;
const pinned = (image: string) => /:[\w][\w.-]*$/.test(image.split('/').pop()!) && !/:latest$/.test(image);

const configs = configClasses();
let rendered: Rendered;
beforeAll(() => {
  rendered = render();
}, 120_000);

describe('deploy/kubernetes', () => {

  it('renders both overlays and every object validates against the pinned schemas', () => {
    expect(Object.keys(rendered.overlays).sort()).toEqual(['dev', 'production']);
    for (const { objects, problems } of Object.values(rendered.overlays)) {
      expect(objects.length).toBeGreaterThan(10);
      expect(problems).toEqual([]);
    }
    expect(rendered.tools.schemas).toHaveLength(2);
  });

  it('reports a wrong type, a missing field and an unknown field', () => {
    jest.setTimeout(120_000);
    const broken = mkdtempSync(join(tmpdir(), 'darkroom-k8s-'));
    try {
      cpSync(join(root, 'deploy/kubernetes'), broken, { recursive: true });
      rmSync(join(broken, 'overlays/dev'), { recursive: true });
      const edit = (file: string, from: string, to: string) => {
        const path = join(broken, file);
        writeFileSync(path, readFileSync(path, 'utf8').replace(from, to));
      };
      edit('base/patches/service-pod.yaml', 'containerPort: 3000', 'containerPort: http');
      edit('overlays/production/postgres-cluster.yaml', 'instances: 3', 'instance: 3');
      const { problems } = render(broken).overlays.production;
      expect(problems).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^Deployment\/gateway: .*containerPort must be integer/),
          "Cluster/darkroom-db: /spec must have required property 'instances'",
          'Cluster/darkroom-db: /spec must NOT have additional properties (instance)',
        ]),
      );
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });

  it('gives every service the settings its config classes require at boot, and the migration Job its own', () => {
    for (const service of services) expect(configs.boot.get(service)!.length).toBeGreaterThan(0);
    expect(configs.migration.length).toBeGreaterThan(0);
    for (const [overlay, { objects }] of Object.entries(rendered.overlays)) {
      const problems = services.flatMap((service) => {
        const deployment = byName(workloads(objects, 'Deployment'), service);
        if (!deployment) return [`${overlay}: no Deployment ${service}`];
        const env = containerEnv(appContainer(deployment), objects);
        return settingProblems(env, configs.boot.get(service)!).map((p) => `${overlay} ${service}: ${p}`);
      });
      const [job] = workloads(objects, 'Job');
      const migrate = job.spec.template.spec.containers[0];
      problems.push(...settingProblems(containerEnv(migrate, objects), configs.migration).map((p) => `${overlay} migrate: ${p}`));
      expect(problems).toEqual([]);
    }
  });

  it('lets every service stop by itself (SHUTDOWN_GRACE_MS, after any preStop pause) before its grace period ends', () => {
    const late = Object.entries(rendered.overlays).flatMap(([overlay, { objects }]) =>
      services.flatMap((service) => {
        const deployment = byName(workloads(objects, 'Deployment'), service)!;
        const app = appContainer(deployment);
        const pauseMs = 1000 * Number(app.lifecycle?.preStop?.exec?.command.find((arg) => /^\d+$/.test(arg)) ?? 0);
        const stopsWithinMs = pauseMs + loadConfig(ProcessEnv, containerEnv(app, objects)).SHUTDOWN_GRACE_MS;
        const graceMs = 1000 * (deployment.spec.template.spec.terminationGracePeriodSeconds ?? 30);
        return stopsWithinMs < graceMs ? [] : [`${overlay} ${service}: stops within ${stopsWithinMs} ms, killed after ${graceMs} ms`];
      }),
    );
    expect(late).toEqual([]);
  });

  it('probes each service on the HealthController routes and holds it back until the migration Job succeeded', () => {
    const prefix = Reflect.getMetadata('path', HealthController) as string;
    const route = (method: 'live' | 'ready') => `/${prefix}/${Reflect.getMetadata('path', HealthController.prototype[method]) as string}`;
    for (const { objects } of Object.values(rendered.overlays)) {
      const [job] = workloads(objects, 'Job');
      expect(job.spec.template.spec.containers[0].command).toEqual(['node', 'main.js', 'migrate']);
      for (const service of services) {
        const { spec } = byName(workloads(objects, 'Deployment'), service)!.spec.template;
        const app = appContainer(byName(workloads(objects, 'Deployment'), service)!);
        expect(app.livenessProbe?.httpGet?.path).toBe(route('live'));
        expect(app.readinessProbe?.httpGet?.path).toBe(route('ready'));
        expect(spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(30);
        const wait = spec.initContainers?.find((c) => c.name === 'wait-for-migration');
        expect(wait?.env).toContainEqual({ name: 'MIGRATION_JOB', value: job.metadata.name });
      }
    }
  });

  it('pins every image', () => {
    for (const { objects } of Object.values(rendered.overlays)) {
      const images = [...workloads(objects, 'Deployment'), ...workloads(objects, 'StatefulSet'), ...workloads(objects, 'Job')].flatMap((w) =>
        [...w.spec.template.spec.containers, ...(w.spec.template.spec.initContainers ?? [])].map((c) => c.image),
      );
      const crImages = objects.flatMap((o) => {
        const spec = o.spec as { image?: string; imageName?: string } | undefined;
        return [spec?.image, spec?.imageName].filter((image): image is string => typeof image === 'string');
      });
      expect([...images, ...crImages].filter((image) => !pinned(image))).toEqual([]);
    }
  });

  it('production: a budget and an autoscaler from two replicas per service, TLS on PUBLIC_BASE_URL, the operators', () => {
    const { objects } = rendered.overlays.production;
    for (const service of services) {
      const deployment = byName(workloads(objects, 'Deployment'), service)!;
      // The autoscaler owns the count (below); a replicas field would reset it on every apply.
      expect(deployment.spec.replicas).toBeUndefined();
      const labels = deployment.spec.selector.matchLabels;
      const selects = (o: K8sObject) =>
        Object.entries((o.spec as { selector: { matchLabels: Env } }).selector.matchLabels).every(([k, v]) => labels[k] === v);
      expect(objects.filter((o) => o.kind === 'PodDisruptionBudget' && selects(o))).toHaveLength(1);
      const hpa = objects.find(
        (o) => o.kind === 'HorizontalPodAutoscaler' && (o.spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name === service,
      ) as (K8sObject & { spec: { minReplicas: number } }) | undefined;
      expect(hpa?.spec.minReplicas).toBeGreaterThanOrEqual(2);
    }
    const config = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('darkroom-config')) as K8sObject & { data: Env };
    const host = new URL(config.data.PUBLIC_BASE_URL).host;
    const ingress = byName(objects.filter((o) => o.kind === 'Ingress'), 'gateway') as K8sObject & {
      spec: { tls: { hosts: string[] }[]; rules: { host: string }[] };
    };
    expect(config.data.PUBLIC_BASE_URL).toMatch(/^https:/);
    expect(ingress.spec.tls[0].hosts).toEqual([host]);
    expect(ingress.spec.rules.map((r) => r.host)).toEqual([host]);
    const rabbit = objects.find((o) => o.kind === 'RabbitmqCluster') as K8sObject & { spec: { replicas: number } };
    expect(rabbit.spec.replicas).toBe(3);
    expect(objects.filter((o) => o.kind === 'Cluster')).toHaveLength(1);
  });

  it('dev: one replica of each service against in-cluster PostgreSQL, RabbitMQ and MinIO', () => {
    const { objects } = rendered.overlays.dev;
    for (const service of services) expect(byName(workloads(objects, 'Deployment'), service)!.spec.replicas).toBe(1);
    expect(workloads(objects, 'StatefulSet').map((s) => s.metadata.name).sort()).toEqual(['minio', 'postgres', 'rabbitmq']);
  });
});

describe('docker-compose.yml', () => {
  const environment = (service: ComposeService): Env =>
    Array.isArray(service.environment)
      ? Object.fromEntries(service.environment.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]))
      : Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, String(v)]));
  const isMigration = (s: ComposeService) => [s.command ?? []].flat().join(' ').includes('migrate');
  /** The compose services built from deploy/docker/Dockerfile, the migration included or not. */
  const built = () => Object.entries(rendered.compose.services).filter(([, s]) => s.build?.args?.APP);
  const running = () => built().filter(([, s]) => !isMigration(s));

  it('gives every service the settings its config classes require at boot, and the migration its own', () => {
    expect(running().map(([, s]) => s.build!.args!.APP).sort()).toEqual([...services].sort());
    const problems = built().flatMap(([name, s]) =>
      settingProblems(environment(s), isMigration(s) ? configs.migration : configs.boot.get(s.build!.args!.APP)!).map((p) => `${name}: ${p}`),
    );
    expect(problems).toEqual([]);
  });

  it('lets every service stop by itself (SHUTDOWN_GRACE_MS) before compose kills it', () => {
    const late = running().flatMap(([name, s]) => {
      const stopsWithinMs = loadConfig(ProcessEnv, environment(s)).SHUTDOWN_GRACE_MS;
      const graceMs = 1000 * Number(/^(\d+)s$/.exec(s.stop_grace_period ?? '10s')?.[1] ?? 0);
      return stopsWithinMs < graceMs ? [] : [`${name}: stops within ${stopsWithinMs} ms, killed after ${graceMs} ms`];
    });
    expect(late).toEqual([]);
  });

  it('hands out links a browser on the host opens', () => {
    const ports = Object.values(rendered.compose.services).flatMap((s) => (s.ports ?? []).map((p) => p.split(':')[0]));
    for (const [, s] of running()) {
      const env = environment(s);
      expect(new URL(env.PUBLIC_BASE_URL).hostname).toMatch(/^(localhost|127\.0\.0\.1)$/);
      expect(ports).toContain(new URL(env.PUBLIC_BASE_URL).port);
      // Presigned URLs would name the bucket's in-network host: the gateway streams assets, or
      // they come from a public base URL on the host.
      if (env.ASSET_DELIVERY !== 'proxy') expect(new URL(env.ASSET_PUBLIC_BASE_URL).hostname).toMatch(/^(localhost|127\.0\.0\.1)$/);
    }
    // Links in the gateway's answers come from Host: the proxy must pass the host's port on.
    expect(readFileSync(join(root, 'deploy/compose/nginx.conf'), 'utf8')).toMatch(/proxy_set_header Host \$http_host;/);
  });

  it('checks the health of every darkroom service with node, and pins every image', () => {
    for (const [name, s] of running()) {
      expect([name, [s.healthcheck?.test ?? []].flat().join(' ')]).toEqual([name, expect.stringMatching(/^CMD node -e .*\/health\/ready/)]);
    }
    const images = Object.values(rendered.compose.services).flatMap((s) => (s.image ? [s.image] : []));
    expect(images.filter((image) => !pinned(image))).toEqual([]);
    expect(readFileSync(join(root, 'deploy/docker/Dockerfile'), 'utf8').match(/^FROM node:(\d+)/gm)).toEqual(['FROM node:22', 'FROM node:22']);
  });

  it('is accepted by `docker-compose config` (Debian package docker-compose; .ci/run installs it)', () => {
    const check = spawnSync('docker-compose', ['-f', join(root, 'docker-compose.yml'), 'config', '-q'], { encoding: 'utf8' });
    if (check.error && !process.env.CI) {
      console.warn('docker-compose is not installed here (apt-get install docker-compose): the file was not checked by it');
      return;
    }
    expect({ status: check.status, stderr: check.stderr }).toEqual({ status: 0, stderr: '' });
  });
});
