import { describe, expect, it } from '@jest/globals';
import { standardWebhookSignature } from './replicate-webhooks';

describe('standardWebhookSignature', () => {
  it('reproduces the Svix test vector', () => {
    expect(standardWebhookSignature('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe(
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });
});
