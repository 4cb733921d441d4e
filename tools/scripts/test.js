#!/usr/bin/env node
// `npm test`: builds the apps (the e2e tier runs the five services, the embedded process and the
// Studio in Chromium), then runs every jest tier and writes jest's JSON report to
// test-results/jest.json for CI.
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');

const root = join(__dirname, '../..');
const env = { ...process.env, NX_DAEMON: 'false', TZ: 'UTC' };

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, env, stdio: 'inherit' });
  return result.status ?? 1;
}

// The Studio's browser test drives the machine's Chromium: installed from Debian's packages when missing.
if (!process.env.CHROMIUM_PATH && run('bash', [join(root, 'tools/scripts/ensure-chromium.sh')]) !== 0) process.exit(1);

if (process.env.SKIP_BUILD !== '1') {
  const built = run(process.execPath, [
    require.resolve('nx/bin/nx', { paths: [root] }),
    'run-many',
    '-t',
    'build',
    '-p',
    'studio,gateway,generation,provider-adapter,storage,ledger,darkroom',
    '--parallel=2',
    '--outputStyle=static',
  ]);
  if (built !== 0) process.exit(built);
}

const jest = require.resolve('jest/bin/jest', { paths: [root] });
process.exit(
  // A generous per-test limit: loopback fakes and real services are slower on a busy 2-core machine.
  run(process.execPath, [jest, '--json', '--outputFile=test-results/jest.json', '--maxWorkers=2', '--testTimeout=20000', ...process.argv.slice(2)]),
);
