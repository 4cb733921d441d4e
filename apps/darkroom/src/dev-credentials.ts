import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateApiKey } from '@darkroom/service-gateway';
import { newId } from '@darkroom/kernel';

/** The embedded mode's own account, API key and admin key, made on first start and kept in the data folder. */
export interface DevCredentials {
  readonly accountId: string;
  readonly apiKey: string;
  readonly adminKey: string;
}

export async function loadOrCreateDevCredentials(dataDir: string): Promise<DevCredentials> {
  const file = join(dataDir, 'dev-credentials.json');
  try {
    return JSON.parse(await readFile(file, 'utf8')) as DevCredentials;
  } catch {
    const credentials: DevCredentials = {
      accountId: newId(),
      apiKey: generateApiKey().key,
      adminKey: `adm_${randomBytes(24).toString('base64url')}`,
    };
    await writeFile(file, JSON.stringify(credentials, null, 2), { mode: 0o600 });
    return credentials;
  }
}

/** Where a running embedded instance answers, for `npm run admin`; `pid` tells a stale file from a live one. */
export async function recordInstance(dataDir: string, instance: { readonly url: string; readonly pid: number }): Promise<void> {
  await writeFile(join(dataDir, 'instance.json'), JSON.stringify(instance, null, 2), { mode: 0o600 });
}
