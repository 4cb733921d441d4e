import { describe, expect, it } from '@jest/globals';
import { isLoopbackHost } from './serve-studio';

describe('isLoopbackHost', () => {
  it('accepts the loopback names at the port the process listens on', () => {
    for (const host of ['localhost:3000', '127.0.0.1:3000', '[::1]:3000', 'LOCALHOST:3000']) expect(isLoopbackHost(host, 3000)).toBe(true);
  });

  it('accepts a bare loopback name only when the process listens on port 80', () => {
    expect(isLoopbackHost('localhost', 80)).toBe(true);
    expect(isLoopbackHost('localhost', 3000)).toBe(false);
  });

  it('refuses a rebound name, another port, a missing header and look-alikes', () => {
    const foreign = ['evil.example:3000', 'localhost:3001', undefined, '', 'localhost.:3000', '127.0.0.1.nip.io:3000', 'localhost:3000@evil'];
    for (const host of [...foreign, '[::1]x:3000']) expect(isLoopbackHost(host, 3000)).toBe(false);
  });
});
