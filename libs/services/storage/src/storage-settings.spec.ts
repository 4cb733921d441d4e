import { ConfigError, loadConfig } from '@darkroom/config';
import { ProvidersEnv } from '@darkroom/providers';
import { StorageEnv } from './storage.env';

/** Storage's own settings and those it shares with other services through the providers. */
const settings = (env: NodeJS.ProcessEnv) => ({ ...loadConfig(ProvidersEnv, env), ...loadConfig(StorageEnv, env) });

const digest = 'ab'.repeat(32);

describe('storage, retention and moderation settings', () => {
  it('default to a 40 MP, 100 MiB, 16384-pixel-side, 20:1 decode budget, two decodes at once', () => {
    expect(settings({})).toMatchObject({
      IMAGE_MAX_PIXELS: 40_000_000,
      IMAGE_MAX_DECODED_BYTES: 104_857_600,
      IMAGE_MAX_SIDE: 16_384,
      IMAGE_MAX_ASPECT_RATIO: 20,
      IMAGE_DECODE_CONCURRENCY: 2,
    });
  });

  it('default to a 40 MP limit, 30 days, a one-minute sweep and no moderation rules', () => {
    expect(settings({})).toMatchObject({
      IMAGE_MAX_PIXELS: 40_000_000,
      ASSET_RETENTION_DAYS: 30,
      RETENTION_SWEEP_INTERVAL_MS: 60_000,
      MODERATION_BLOCKLIST: '',
      MODERATION_BLOCKED_IMAGE_SHA256: '',
    });
  });

  it('accept fractional retention days and a list of digests', () => {
    const env = settings({
      ASSET_RETENTION_DAYS: '0.5',
      MODERATION_BLOCKLIST: 'foo, bar baz',
      MODERATION_BLOCKED_IMAGE_SHA256: `${digest}, ${digest.toUpperCase()}`,
    });
    expect(env).toMatchObject({ ASSET_RETENTION_DAYS: 0.5, MODERATION_BLOCKLIST: 'foo, bar baz' });
  });

  it.each([
    ['ASSET_RETENTION_DAYS', '0'],
    ['ASSET_RETENTION_DAYS', 'forever'],
    ['IMAGE_MAX_PIXELS', '1.5'],
    ['IMAGE_MAX_DECODED_BYTES', '100'],
    ['IMAGE_MAX_SIDE', '0'],
    ['IMAGE_MAX_ASPECT_RATIO', '0.5'],
    ['IMAGE_DECODE_CONCURRENCY', '0'],
    ['RETENTION_SWEEP_INTERVAL_MS', '10'],
    ['MODERATION_BLOCKED_IMAGE_SHA256', 'not-a-digest'],
    ['MODERATION_BLOCKED_IMAGE_SHA256', `${digest},`],
  ])('refuse %s=%s, naming it', (name, value) => {
    expect(() => settings({ [name]: value })).toThrow(ConfigError);
    expect(() => settings({ [name]: value })).toThrow(name);
  });
});
