#!/usr/bin/env node
// `npm start`: builds the embedded single-process app (only when its sources changed since the
// last build) and runs it in the foreground, printing one line per step with the time since start.
const { spawn, spawnSync } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '../..');
const started = performance.now();
const step = (text) => console.log(`[${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s] ${text}`);

/** What the embedded bundle and the Studio are built from. */
const INPUTS = ['apps/darkroom', 'apps/studio', 'libs', 'tools/webpack', 'package-lock.json', 'tsconfig.base.json', 'nx.json'];
const OUTPUTS = ['dist/apps/darkroom/main.js', 'dist/apps/studio/index.html'];
const SKIP = new Set(['node_modules', 'dist', '.darkroom', 'test-results']);

/** The newest modification time under `path` (a file or a folder), skipping specs and build output. */
function newest(path) {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return /\.(spec|int-spec|e2e-spec)\.tsx?$/.test(path) ? 0 : stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const entry of readdirSync(path)) if (!SKIP.has(entry)) latest = Math.max(latest, newest(join(path, entry)));
  return latest;
}

function upToDate() {
  if (!OUTPUTS.every((output) => existsSync(join(root, output)))) return false;
  const built = Math.min(...OUTPUTS.map((output) => statSync(join(root, output)).mtimeMs));
  return INPUTS.every((input) => newest(join(root, input)) <= built);
}

const env = { ...process.env, NX_DAEMON: 'false' };
if (upToDate()) {
  step('the embedded app is up to date with its sources: no build needed');
} else {
  step('building the embedded app and the Studio (sources changed since the last build; the first build takes a minute)');
  const build = spawnSync(
    process.execPath,
    [require.resolve('nx/bin/nx', { paths: [root] }), 'run', 'darkroom:build', '--outputStyle=static'],
    { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  if (build.status !== 0) {
    console.error('Building darkroom failed; run `node_modules/.bin/nx run darkroom:build` to see why.');
    process.exit(build.status ?? 1);
  }
  step('built');
}

step('starting darkroom: embedded PostgreSQL, bus and bucket (a first start creates the database in .darkroom)');
// The AWS SDK warns on every start that its future versions will need Node 22: noise here, where
// the installed SDK is pinned and works on Node 20 (set the variable to false to see it).
const app = spawn(process.execPath, ['--enable-source-maps', join(root, 'dist/apps/darkroom/main.js')], {
  cwd: root,
  env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
  stdio: ['ignore', 'pipe', 'inherit'],
});
let ready = false;
app.stdout.on('data', (chunk) => {
  if (!ready && chunk.toString().includes('darkroom is running at')) {
    ready = true;
    step('ready');
  }
  process.stdout.write(chunk);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => app.kill(signal));
app.on('exit', (code) => process.exit(code ?? 0));
