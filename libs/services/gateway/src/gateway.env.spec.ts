import { loadConfig } from '@darkroom/config';
import { AdminApiKeyEnv } from './gateway.env';

describe('gateway settings', () => {
  it('requires a long admin key for the gateway', () => {
    expect(() => loadConfig(AdminApiKeyEnv, { ADMIN_API_KEY: 'short' })).toThrow(/ADMIN_API_KEY/);
  });
});
