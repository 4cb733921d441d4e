import { ConfigError, loadConfig } from './load-config';
import { PlatformEnv } from './platform.env';

const valid = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/darkroom',
  AMQP_URL: 'amqp://guest:guest@127.0.0.1:5672',
  S3_BUCKET: 'darkroom-assets',
  S3_ACCESS_KEY_ID: 'AKIAEXAMPLEFAKE',
  S3_SECRET_ACCESS_KEY: 'fake-secret',
};

describe('loadConfig', () => {
  it('parses a valid environment and applies defaults', () => {
    const config = loadConfig(PlatformEnv, { ...valid, PORT: '4000', S3_FORCE_PATH_STYLE: 'true' });
    expect(config).toMatchObject({ PORT: 4000, S3_FORCE_PATH_STYLE: true, AMQP_EXCHANGE: 'darkroom.events' });
  });

  it('names every missing or bad variable', () => {
    const attempt = () => loadConfig(PlatformEnv, { ...valid, DATABASE_URL: 'mysql://x', PORT: 'abc', S3_BUCKET: undefined });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const message = (error as ConfigError).message;
      expect(message).toContain('DATABASE_URL');
      expect(message).toContain('PORT');
      expect(message).toContain('S3_BUCKET: ');
      expect(message).toContain('missing');
    }
  });
});
