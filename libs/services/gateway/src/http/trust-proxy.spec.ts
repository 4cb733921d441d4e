import { describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import express from 'express';
import { trustProxy } from './trust-proxy';

/** Whether Express, so configured, believes `X-Forwarded-For` from `address` (hop 0). */
function trusts(setting: string | undefined, address: string): boolean {
  const app = express();
  trustProxy({ getHttpAdapter: () => ({ getInstance: () => app }) } as unknown as INestApplication, setting);
  return (app.get('trust proxy fn') as (address: string, hop: number) => boolean)(address, 0);
}

describe('trustProxy', () => {
  it('trusts no proxy when unset', () => {
    expect(trusts(undefined, '127.0.0.1')).toBe(false);
    expect(trusts('', '10.0.0.1')).toBe(false);
  });

  it('trusts the named addresses, subnets and ranges only', () => {
    expect(trusts('loopback, 10.0.0.0/8', '127.0.0.1')).toBe(true);
    expect(trusts('loopback, 10.0.0.0/8', '10.1.2.3')).toBe(true);
    expect(trusts('loopback, 10.0.0.0/8', '203.0.113.9')).toBe(false);
  });

  it('takes a number as a hop count', () => {
    expect(trusts('1', '203.0.113.9')).toBe(true);
  });
});
