import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeBfl, FakeFal, FakeGemini, FakeOpenAi, FakeReplicate } from '@darkroom/fake-providers';

/** The five provider fakes on loopback, with the settings that point darkroom at them. */
export interface Fakes {
  readonly openai: FakeOpenAi;
  readonly gemini: FakeGemini;
  readonly bfl: FakeBfl;
  readonly replicate: FakeReplicate;
  readonly fal: FakeFal;
  /** Service environment: keys, base URLs, webhook secrets, catalog file, http hosts. */
  env(gatewayUrl: string): NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

/** A catalog override: models by id (merged over the shipped ones) and provider limits. */
export interface CatalogOverride {
  readonly providers?: Record<string, { concurrency: number; pollsPerSecond?: number }>;
  readonly models?: readonly Record<string, unknown>[];
}

const key = (label: string) => `${label}_${randomBytes(8).toString('hex')}`;

export async function startFakes(catalog: CatalogOverride = {}): Promise<Fakes> {
  const keys = { openai: key('sk'), gemini: key('gk'), bfl: key('bk'), replicate: key('r8'), fal: key('fk') };
  const bflSecret = key('bfl_webhook_secret');
  const openai = await new FakeOpenAi().configure({ apiKey: keys.openai }).start();
  const gemini = await new FakeGemini().configure({ apiKey: keys.gemini }).start();
  const bfl = await new FakeBfl().configure({ apiKey: keys.bfl }).start();
  const replicate = await new FakeReplicate().configure({ apiToken: keys.replicate }).start();
  const fal = await new FakeFal().configure({ apiKey: keys.fal }).start();
  const dir = mkdtempSync(join(tmpdir(), 'darkroom-catalog-'));
  const catalogFile = join(dir, 'models.json');
  writeFileSync(catalogFile, JSON.stringify(catalog));

  const hosts = [openai, gemini, bfl, replicate, fal].flatMap((fake) => {
    const { port } = new URL(fake.server.url);
    return [`127.0.0.1:${port}`, `localhost:${port}`];
  });
  return {
    openai,
    gemini,
    bfl,
    replicate,
    fal,
    env: (gatewayUrl) => ({
      OPENAI_API_KEY: keys.openai,
      OPENAI_BASE_URL: openai.url,
      GEMINI_API_KEY: keys.gemini,
      GEMINI_BASE_URL: gemini.url,
      BFL_API_KEY: keys.bfl,
      BFL_BASE_URL: bfl.url,
      BFL_WEBHOOK_SECRET: bflSecret,
      REPLICATE_API_TOKEN: keys.replicate,
      REPLICATE_BASE_URL: replicate.url,
      REPLICATE_WEBHOOK_SECRET: replicate.webhookSecret,
      FAL_KEY: keys.fal,
      FAL_QUEUE_URL: fal.url,
      FAL_JWKS_URL: fal.jwksUrl,
      WEBHOOK_BASE_URL: gatewayUrl,
      PROVIDER_HTTP_HOSTS: hosts.join(','),
      MODEL_CATALOG_FILE: catalogFile,
      DEADLINE_SWEEP_INTERVAL_MS: '500',
    }),
    async stop() {
      await Promise.all([openai, gemini, bfl, replicate, fal].map((fake) => fake.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
