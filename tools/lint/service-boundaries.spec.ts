import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * The layering rules of eslint.config.mjs, checked on code as it would be written: a service that
 * imports another service fails lint, in its code and in its tests alike (issue 13).
 */
const root = join(__dirname, '../..');
const eslint = join(root, 'node_modules/eslint/bin/eslint.js');
const lintEnv = { ...process.env, NX_DAEMON: 'false' };

/** Lints `code` as if it were the file at `filePath`, in a process of its own (the config is ESM); messages of `rule`. */
const ruleErrors = (rule: string, filePath: string, code: string): Promise<string[]> =>
  new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [eslint, '--format', 'json', '--stdin', '--stdin-filename', join(root, filePath)],
      { cwd: root, env: lintEnv, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout) => {
        // eslint exits 1 when it found problems; anything else is a failure of the run.
        if (error && error.code !== 1) return reject(error);
        const [result] = JSON.parse(stdout) as { messages: { ruleId: string | null; message: string }[] }[];
        resolve(result.messages.filter((m) => m.ruleId === rule).map((m) => m.message));
      },
    );
    child.stdin!.end(code);
  });

const boundaryErrors = (filePath: string, code: string) => ruleErrors('@nx/enforce-module-boundaries', filePath, code);
const timeErrors = (filePath: string, code: string) => ruleErrors('no-restricted-syntax', filePath, code);

describe('module boundaries', () => {
  jest.setTimeout(60_000);

  // Without nx's project graph on disk the boundary rule is skipped, so make sure it is there.
  beforeAll(() => {
    execFileSync(join(root, 'node_modules/.bin/nx'), ['show', 'projects'], { cwd: root, env: lintEnv, stdio: 'ignore' });
  });

  it.each([
    ['libs/services/gateway/src/probe.ts', '@darkroom/service-ledger'],
    ['libs/services/gateway/src/probe.spec.ts', '@darkroom/service-generation'],
    ['libs/services/storage/src/probe.int-spec.ts', '@darkroom/service-provider-adapter'],
  ])('%s may not import %s', async (file, imported) => {
    const errors = await boundaryErrors(file, `import * as other from '${imported}';\nexport const probe = other;\n`);
    expect(errors.join('\n')).toMatch(/tagged with "type:service"|type:service/);
  });

  it('a service may import the platform and the contracts', async () => {
    const code = "import * as contracts from '@darkroom/contracts';\nimport * as store from '@darkroom/event-store';\nexport const probe = [contracts, store];\n";
    expect(await boundaryErrors('libs/services/gateway/src/probe.ts', code)).toEqual([]);
  });

  it('an app may compose services', async () => {
    const code = "import * as ledger from '@darkroom/service-ledger';\nexport const probe = ledger;\n";
    expect(await boundaryErrors('apps/ledger/src/probe.ts', code)).toEqual([]);
  });

  it('the platform may not import the providers or a service', async () => {
    for (const imported of ['@darkroom/providers', '@darkroom/service-ledger']) {
      const errors = await boundaryErrors('libs/platform/safe-fetch/src/probe.ts', `import * as other from '${imported}';\nexport const probe = other;\n`);
      expect(errors.join('\n')).toMatch(/type:platform/);
    }
  });
});

describe('reading the time', () => {
  jest.setTimeout(60_000);
  const reads = 'export const probe = [Date.now(), new Date()];\n';

  it('goes through the Clock in services, the platform and the apps', async () => {
    expect(await timeErrors('libs/services/ledger/src/probe.ts', reads)).toHaveLength(2);
    expect(await timeErrors('libs/platform/messaging/src/probe.ts', reads)).toHaveLength(2);
    expect(await timeErrors('apps/gateway/src/probe.ts', reads)).toHaveLength(2);
  });

  it('is free in tests, in the clock itself, and for a date parsed from a value', async () => {
    expect(await timeErrors('libs/services/ledger/src/probe.spec.ts', reads)).toEqual([]);
    expect(await timeErrors('libs/kernel/src/clock.ts', reads)).toEqual([]);
    expect(await timeErrors('libs/services/ledger/src/probe.ts', "export const probe = new Date('2026-01-01');\n")).toEqual([]);
  });
});
