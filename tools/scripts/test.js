#!/usr/bin/env node
// `npm test`: builds the apps (the e2e tier runs the five services and the embedded process), then runs
// every jest tier and writes jest's JSON report to test-results/jest.json for CI.
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');

const root = join(__dirname, '../..');
const env = { ...process.env, NX_DAEMON: 'false', TZ: 'UTC' };

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, env, stdio: 'inherit' });
  return result.status ?? 1;
}

if (process.env.SKIP_BUILD !== '1') {
  const built = run(process.execPath, [
    require.resolve('nx/bin/nx', { paths: [root] }),
    'run-many',
    '-t',
    'build',
    '-p',
    'gateway,generation,provider-adapter,storage,ledger,darkroom',
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
