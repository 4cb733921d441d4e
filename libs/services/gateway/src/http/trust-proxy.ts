import type { INestApplication } from '@nestjs/common';

/**
 * Applies `TRUST_PROXY` to Express, which then takes `request.ip` from `X-Forwarded-For`
 * only when the request came through those proxies. Unset: nothing is trusted.
 */
export function trustProxy(app: INestApplication, setting: string | undefined): void {
  if (setting === undefined || setting.trim() === '') return;
  const value = /^\d+$/.test(setting.trim())
    ? Number(setting)
    : setting
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean);
  (app.getHttpAdapter().getInstance() as { set(name: string, value: unknown): void }).set('trust proxy', value);
}
