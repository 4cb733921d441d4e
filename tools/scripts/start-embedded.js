#!/usr/bin/env node
// `npm start`: builds the embedded single-process app and runs it in the foreground.
const { spawn, spawnSync } = require('node:child_process');
const { join } = require('node:path');

const root = join(__dirname, '../..');
const env = { ...process.env, NX_DAEMON: 'false' };

const build = spawnSync(
  process.execPath,
  [require.resolve('nx/bin/nx', { paths: [root] }), 'run', 'darkroom:build', '--outputStyle=static'],
  { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] },
);
if (build.status !== 0) {
  console.error('Building darkroom failed; run `npx nx run darkroom:build` to see why.');
  process.exit(build.status ?? 1);
}

const app = spawn(process.execPath, ['--enable-source-maps', join(root, 'dist/apps/darkroom/main.js')], {
  cwd: root,
  env,
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => app.kill(signal));
app.on('exit', (code) => process.exit(code ?? 0));
