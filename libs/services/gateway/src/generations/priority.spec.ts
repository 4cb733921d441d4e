import { describe, expect, it } from '@jest/globals';
import { DomainError } from '@darkroom/kernel';
import { allowedPriority } from './generations.service';

describe('allowedPriority (decision 0024)', () => {
  it('runs a request without a priority as standard, or lower when that is the maximum', () => {
    expect(allowedPriority(undefined, 'interactive')).toBe('standard');
    expect(allowedPriority(undefined, 'standard')).toBe('standard');
    expect(allowedPriority(undefined, 'batch')).toBe('batch');
  });

  it('keeps a priority at or below the maximum', () => {
    expect(allowedPriority('interactive', 'interactive')).toBe('interactive');
    expect(allowedPriority('batch', 'interactive')).toBe('batch');
    expect(allowedPriority('standard', 'standard')).toBe('standard');
  });

  it('refuses a priority above the maximum with priority_not_allowed on the field, naming the maximum', () => {
    for (const [requested, maximum] of [['interactive', 'standard'], ['standard', 'batch'], ['interactive', 'batch']] as const) {
      let refused: unknown;
      try {
        allowedPriority(requested, maximum);
      } catch (error) {
        refused = error;
      }
      expect(refused).toBeInstanceOf(DomainError);
      expect(refused).toMatchObject({ code: 'priority_not_allowed', category: 'validation', detail: { field: 'priority', max_priority: maximum } });
    }
  });
});
