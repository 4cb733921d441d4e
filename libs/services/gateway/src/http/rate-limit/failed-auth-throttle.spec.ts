import { Reflector } from '@nestjs/core';
import type { ScopedTokensService } from '../../tokens/scoped-tokens.service';
import { describe, expect, it } from '@jest/globals';
import type { ExecutionContext } from '@nestjs/common';
import type { AccountsRepository } from '../../accounts/accounts.repository';
import type { GatewayOptions } from '../../gateway.options';
import { AdminGuard, ApiKeyGuard } from '../auth.guards';
import type { RateLimitService } from './rate-limit.service';
import { FailedAuthThrottle } from './failed-auth-throttle';

const options = (failedAuthPerMinute: number) => ({ adminApiKey: 'admin-key', failedAuthPerMinute }) as unknown as GatewayOptions;

/** A guard's view of one request from `ip` with `key`, and the headers set on its answer. */
function call(ip: string, key: string) {
  const headers: Record<string, string> = {};
  const request = { ip, headers: { authorization: `Bearer ${key}` } };
  const response = { setHeader: (name: string, value: string) => (headers[name] = value) };
  const context = { switchToHttp: () => ({ getRequest: () => request, getResponse: () => response }) } as unknown as ExecutionContext;
  return { context, headers };
}

function apiKeyGuard(throttle: FailedAuthThrottle) {
  const lookups: string[] = [];
  const accounts = {
    ownerOfKey: async (key: string) => {
      lookups.push(key);
      return key === 'good' ? { accountId: 'a', keyId: 'k' } : undefined;
    },
    touch: () => undefined,
  } as unknown as AccountsRepository;
  const rateLimit = { consume: async () => ({ allowed: true, headers: {} }) } as unknown as RateLimitService;
  // These keys are not scoped tokens: the token service and the route metadata are never asked.
  const tokens = {} as unknown as ScopedTokensService;
  return { guard: new ApiKeyGuard(accounts, rateLimit, throttle, tokens, new Reflector()), lookups };
}

const outcome = (promise: Promise<unknown>) => promise.then(() => 'allowed', (error: { code?: string }) => error.code);

describe('FailedAuthThrottle in the guards', () => {
  it('answers 429 too_many_failed_auth with Retry-After once an address used up its wrong keys, without looking the key up', async () => {
    const { guard, lookups } = apiKeyGuard(new FailedAuthThrottle(options(3)));
    for (let i = 0; i < 3; i++) expect(await outcome(guard.canActivate(call('10.0.0.1', `wrong-${i}`).context))).toBe('unauthorized');
    const refused = call('10.0.0.1', 'wrong-3');
    expect(await outcome(guard.canActivate(refused.context))).toBe('too_many_failed_auth');
    expect(Number(refused.headers['Retry-After'])).toBeGreaterThanOrEqual(1);
    expect(lookups).toEqual(['wrong-0', 'wrong-1', 'wrong-2']);
  });

  it('lets a valid key from another address through', async () => {
    const { guard } = apiKeyGuard(new FailedAuthThrottle(options(1)));
    await outcome(guard.canActivate(call('10.0.0.1', 'wrong').context));
    expect(await outcome(guard.canActivate(call('10.0.0.1', 'good').context))).toBe('too_many_failed_auth');
    expect(await outcome(guard.canActivate(call('10.0.0.2', 'good').context))).toBe('allowed');
  });

  it('counts wrong admin keys against the same address', async () => {
    const throttle = new FailedAuthThrottle(options(2));
    const admin = new AdminGuard(options(2), throttle);
    expect(await outcome(admin.canActivate(call('10.0.0.1', 'nope').context))).toBe('unauthorized');
    expect(await outcome(apiKeyGuard(throttle).guard.canActivate(call('10.0.0.1', 'wrong').context))).toBe('unauthorized');
    expect(await outcome(admin.canActivate(call('10.0.0.1', 'admin-key').context))).toBe('too_many_failed_auth');
    expect(await outcome(admin.canActivate(call('10.0.0.3', 'admin-key').context))).toBe('allowed');
  });

  it('never throttles when turned off', async () => {
    const { guard } = apiKeyGuard(new FailedAuthThrottle(options(0)));
    for (let i = 0; i < 5; i++) await outcome(guard.canActivate(call('10.0.0.1', 'wrong').context));
    expect(await outcome(guard.canActivate(call('10.0.0.1', 'good').context))).toBe('allowed');
  });
});
