import { describe, expect, it } from '@jest/globals';
import type { ProviderCircuitEvent } from '@darkroom/contracts';
import { deciderSpec } from '@darkroom/testing';
import { fold } from '@darkroom/kernel';
import { isCircuitOpen, providerCircuitDecider, type CircuitCommand } from './provider-circuit';

const policy = { threshold: 3, windowSeconds: 60, cooldownSeconds: 30 };
const circuit = { provider: 'gemini', model: 'nano-banana' };
const at = (seconds: number) => new Date(Date.parse('2025-11-24T10:00:00.000Z') + seconds * 1000).toISOString();

const failure = (seconds: number, taskId = 't1'): CircuitCommand => ({
  type: 'RecordCircuitFailure',
  ...circuit,
  taskId,
  attempt: 1,
  policy,
  now: at(seconds),
});
const success = (seconds: number): CircuitCommand => ({ type: 'RecordCircuitSuccess', ...circuit, taskId: 't9', attempt: 1, now: at(seconds) });
const counted = (seconds: number, taskId = 't1'): ProviderCircuitEvent => ({
  type: 'ProviderCircuitFailureCounted',
  data: { ...circuit, taskId, attempt: 1, failedAt: at(seconds) },
});
const opened = (seconds: number, failures: number, taskId = 't1'): ProviderCircuitEvent => ({
  type: 'ProviderCircuitOpened',
  data: { ...circuit, taskId, attempt: 1, failures, openUntil: at(seconds + 30), openedAt: at(seconds) },
});
const closed = (seconds: number): ProviderCircuitEvent => ({
  type: 'ProviderCircuitClosed',
  data: { ...circuit, taskId: 't9', attempt: 1, closedAt: at(seconds) },
});

const spec = deciderSpec(providerCircuitDecider);

describe('provider circuit decider', () => {
  describe('closed', () => {
    it('counts a retryable failure', () => {
      spec.given([]).when(failure(0)).then([counted(0)]);
    });

    it('opens on the threshold-th consecutive failure within the window', () => {
      spec.given([counted(0), counted(10)]).when(failure(20)).then([opened(20, 3)]);
    });

    it('does not count failures older than the window', () => {
      spec.given([counted(0), counted(10)]).when(failure(65)).then([counted(65)]);
    });

    it('starts counting again after an accepted attempt', () => {
      spec.given([counted(0), counted(10), closed(15)]).when(failure(20)).then([counted(20)]);
    });

    it('records an accepted attempt only when failures were counted', () => {
      spec.given([]).when(success(5)).then([]);
      spec.given([counted(0)]).when(success(5)).then([closed(5)]);
    });
  });

  describe('open', () => {
    it('ignores failures during the cool-down (attempts already on their way)', () => {
      spec.given([counted(0), counted(10), opened(20, 3)]).when(failure(25)).then([]);
    });

    it('opens again when a probe fails after the cool-down (half-open)', () => {
      spec.given([opened(20, 3)]).when(failure(55, 't2')).then([opened(55, 1, 't2')]);
    });

    it('closes when an attempt is accepted', () => {
      spec.given([opened(20, 3)]).when(success(55)).then([closed(55)]);
    });

    it('diverts attempts only until the cool-down ends', () => {
      const state = fold(providerCircuitDecider, [opened(20, 3)]);
      expect(isCircuitOpen(state, at(49))).toBe(true);
      expect(isCircuitOpen(state, at(50))).toBe(false);
      expect(isCircuitOpen(fold(providerCircuitDecider, [opened(20, 3), closed(30)]), at(31))).toBe(false);
    });
  });
});
