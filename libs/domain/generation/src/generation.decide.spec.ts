import { describe, it } from '@jest/globals';
import type { CreatedWithToken, FailureCode, GenerationEvent, GenerationRequest, RequestWebhook } from '@darkroom/contracts';
import { deciderSpec } from '@darkroom/testing';
import type { CreateGeneration, GenerationCommand, HandleProviderFailure } from './generation.commands';
import { generationDecider } from './generation.decider';

const taskId = 'task-1';
const accountId = 'account-1';
const now = '2025-11-24T10:00:00.000Z';
const deadline = '2025-11-24T10:05:00.000Z';

const spec = deciderSpec(generationDecider);

describe('generation decider', () => {
  describe('initial', () => {
    it('creates a generation with its idempotency key and metadata', () => {
      spec
        .given([])
        .when(create({ idempotencyKey: 'key-1', metadata: { client: 'cli' } }))
        .then([created({ idempotencyKey: 'key-1', metadata: { client: 'cli' } })]);
    });

    it('records the webhook the request asked for', () => {
      const webhook: RequestWebhook = { url: 'https://example.com/hook', events: ['generation.failed'] };
      spec.given([]).when(create({ webhook })).then([created({ webhook })]);
    });

    it('records the scoped token that created it', () => {
      const scopedToken = { tokenId: 'tok-1', endUserId: 'user-42' };
      spec.given([]).when(create({ scopedToken })).then([created({ scopedToken })]);
    });

    it('creates a generation without the optional fields', () => {
      spec.given([]).when(create()).then([created()]);
    });

    it("queues a batch's item as it is created: the batch's reservation holds its credits", () => {
      const spender = { keyId: 'key-1', user: 'alice' };
      spec
        .given([])
        .when(create({ batchId: 'batch-1', spender }))
        .then([created({ batchId: 'batch-1', spender }), queued()]);
    });

    it("ignores the credits' own queue signal for a batch item already queued", () => {
      spec.given([created({ batchId: 'batch-1' }), queued()]).when(queue()).then([]);
    });

    it.each<GenerationCommand>([queue(), start(1), storeOutput(0, 1), fail()])(
      'ignores $type before the generation exists',
      (command) => spec.given([]).when(command).then([]),
    );

    it('refuses to cancel a generation that does not exist', () => {
      spec.given([]).when(cancel()).thenThrows('generation_not_found', 'not_found');
    });
  });

  describe('created', () => {
    it('ignores a second create, even with another request', () => {
      spec.given([created()]).when(create({ price: 99 })).then([]);
    });

    it('queues once credits are reserved', () => {
      spec.given([created()]).when(queue()).then([queued()]);
    });

    describe('with an open circuit breaker (decision 0025)', () => {
      const plan = [
        { model: 'nano-banana', provider: 'gemini', attempts: 3 },
        { model: 'nano-banana-fal', provider: 'fal', attempts: 1 },
      ];
      const openUntil = '2025-11-24T10:00:30.000Z';

      it('queues the first attempt on the first fallback whose circuit is closed, saying why', () => {
        spec
          .given([created()])
          .when({ type: 'QueueGeneration', plan, openCircuits: { 'gemini~nano-banana': openUntil }, now })
          .then([
            {
              type: 'GenerationQueued',
              data: {
                ...(queued().data as object),
                route: { attempt: 4, model: 'nano-banana-fal', provider: 'fal', circuitOpen: { model: 'nano-banana', provider: 'gemini', openUntil } },
              },
            } as GenerationEvent,
          ]);
      });

      it('queues on the model when every fallback is open too (its attempt waits out the back-off after failing)', () => {
        const open = { 'gemini~nano-banana': openUntil, 'fal~nano-banana-fal': openUntil };
        spec.given([created()]).when({ type: 'QueueGeneration', plan, openCircuits: open, now }).then([queued()]);
      });

      it('a failure of the routed attempt goes on from its step', () => {
        const routed = {
          type: 'GenerationQueued',
          data: {
            ...(queued().data as object),
            route: { attempt: 4, model: 'nano-banana-fal', provider: 'fal', circuitOpen: { model: 'nano-banana', provider: 'gemini', openUntil } },
          },
        } as GenerationEvent;
        spec
          .given([created(), routed])
          .when(providerFailure(1, { plan }))
          .then([]);
        spec
          .given([created(), routed])
          .when(providerFailure(4, { plan }))
          .then([expect.objectContaining({ type: 'GenerationFailed' }) as unknown as GenerationEvent]);
      });
    });

    it('ignores processing before it is queued', () => {
      spec.given([created()]).when(start(1)).then([]);
    });

    it('ignores an output before it is queued', () => {
      spec.given([created()]).when(storeOutput(0, 1)).then([]);
    });

    it('fails for insufficient credits', () => {
      spec
        .given([created()])
        .when(fail('insufficient_credits', 'This task costs 4 credits and 0 are available.'))
        .then([failed('insufficient_credits', 'This task costs 4 credits and 0 are available.')]);
    });

    it('cancels', () => {
      spec.given([created()]).when(cancel()).then([canceled()]);
    });
  });

  describe('queued', () => {
    const history = (): GenerationEvent[] => [created(), queued()];

    it('ignores a second queue', () => {
      spec.given(history()).when(queue()).then([]);
    });

    it('starts processing when the provider accepts the job', () => {
      spec.given(history()).when(start(1)).then([processing(1)]);
    });

    it('records an output without completing while others are missing', () => {
      spec.given(history()).when(storeOutput(0, 2)).then([outputStored(0, 2)]);
    });

    it('completes when its only output is stored', () => {
      spec
        .given(history())
        .when(storeOutput(0, 1))
        .then([outputStored(0, 1), completed(['asset-0'])]);
    });

    it('refuses an output index outside the output count', () => {
      spec.given(history()).when(storeOutput(2, 2)).thenThrows('invalid_output', 'validation');
    });

    it('refuses an output count below one', () => {
      spec.given(history()).when(storeOutput(0, 0)).thenThrows('invalid_output', 'validation');
    });

    it('fails', () => {
      spec.given(history()).when(fail('timeout', 'Too slow')).then([failed('timeout', 'Too slow')]);
    });

    it('cancels', () => {
      spec.given(history()).when(cancel()).then([canceled()]);
    });
  });

  describe('processing', () => {
    const history = (): GenerationEvent[] => [created(), queued(), processing(1)];

    it('moves on to a retry with a higher attempt', () => {
      spec.given(history()).when(start(2, 'fallback')).then([processing(2, 'fallback')]);
    });

    it('ignores a redelivered start of the same attempt', () => {
      spec.given(history()).when(start(1)).then([]);
    });

    it('ignores a late start of an older attempt', () => {
      spec.given([...history(), processing(2)]).when(start(1)).then([]);
    });

    it('ignores a second queue', () => {
      spec.given(history()).when(queue()).then([]);
    });

    it('records an output without completing while others are missing', () => {
      spec.given(history()).when(storeOutput(1, 3)).then([outputStored(1, 3)]);
    });

    it('completes with asset ids in index order when the last output is stored', () => {
      spec
        .given([...history(), outputStored(2, 3), outputStored(0, 3)])
        .when(storeOutput(1, 3))
        .then([outputStored(1, 3), completed(['asset-0', 'asset-1', 'asset-2'])]);
    });

    it('ignores an output that is already stored', () => {
      spec.given([...history(), outputStored(0, 2)]).when(storeOutput(0, 2)).then([]);
    });

    it('fails with the provider detail kept for the user', () => {
      spec
        .given(history())
        .when(fail('provider_error', 'The provider could not generate this image.', { status: 503 }))
        .then([failed('provider_error', 'The provider could not generate this image.', { status: 503 })]);
    });

    it('cancels', () => {
      spec.given(history()).when(cancel()).then([canceled()]);
    });
  });

  describe('provider failures (attempts and fallbacks)', () => {
    const plan = [
      { model: 'nano-banana', provider: 'gemini', attempts: 2 },
      { model: 'nano-banana-fal', provider: 'fal', attempts: 1 },
    ];
    const running = (): GenerationEvent[] => [created(), queued(), processing(1, 'gemini')];

    describe('with an open circuit breaker (decision 0025)', () => {
      const openUntil = '2025-11-24T10:00:30.000Z';
      const geminiOpen = { 'gemini~nano-banana': openUntil };

      it('skips the rest of the model’s attempts and goes to the fallback, saying why', () => {
        spec
          .given(running())
          .when(providerFailure(1, { plan, backoffSeconds: 2, openCircuits: geminiOpen }))
          .then([
            {
              ...retryScheduled(3, 'nano-banana-fal', 'fal', '2025-11-24T10:00:02.000Z'),
              data: {
                ...retryScheduled(3, 'nano-banana-fal', 'fal', '2025-11-24T10:00:02.000Z').data,
                circuitOpen: { model: 'nano-banana', provider: 'gemini', openUntil },
              },
            } as GenerationEvent,
          ]);
      });

      it('waits for the cool-down when the fallback’s circuit is open too', () => {
        const both = { ...geminiOpen, 'fal~nano-banana-fal': '2025-11-24T10:00:20.000Z' };
        spec
          .given(running())
          .when(providerFailure(1, { plan, backoffSeconds: 2, openCircuits: both }))
          .then([
            {
              type: 'GenerationRetryScheduled',
              data: {
                ...retryScheduled(2, 'nano-banana', 'gemini', openUntil).data,
                circuitOpen: { model: 'nano-banana', provider: 'gemini', openUntil },
              },
            } as GenerationEvent,
          ]);
      });

      it('fails the task when the cool-down ends after its deadline', () => {
        spec
          .given(running())
          .when(providerFailure(1, { plan: [plan[0]], backoffSeconds: 2, openCircuits: { 'gemini~nano-banana': '2025-11-24T10:06:00.000Z' } }))
          .then([expect.objectContaining({ type: 'GenerationFailed' }) as unknown as GenerationEvent]);
      });

      it('ignores an open circuit of a step it is not going to', () => {
        spec
          .given(running())
          .when(providerFailure(1, { plan, backoffSeconds: 2, openCircuits: { 'fal~nano-banana-fal': openUntil } }))
          .then([retryScheduled(2, 'nano-banana', 'gemini', '2025-11-24T10:00:02.000Z')]);
      });
    });

    it('schedules the next attempt on the same model after a retryable failure, after the back-off', () => {
      spec
        .given(running())
        .when(providerFailure(1, { plan, backoffSeconds: 2 }))
        .then([retryScheduled(2, 'nano-banana', 'gemini', '2025-11-24T10:00:02.000Z')]);
    });

    it('waits for Retry-After when the provider asks for longer than the back-off', () => {
      spec
        .given(running())
        .when(providerFailure(1, { plan, backoffSeconds: 2, retryAfterSeconds: 30 }))
        .then([retryScheduled(2, 'nano-banana', 'gemini', '2025-11-24T10:00:30.000Z')]);
    });

    it('moves to the fallback model once the model attempts are spent', () => {
      spec
        .given([...running(), retryScheduled(2, 'nano-banana', 'gemini', now), processing(2, 'gemini')])
        .when(providerFailure(2, { plan }))
        .then([retryScheduled(3, 'nano-banana-fal', 'fal', '2025-11-24T10:00:01.000Z')]);
    });

    it('fails with the provider code once every attempt of the plan is spent', () => {
      spec
        .given([...running(), retryScheduled(2, 'nano-banana', 'gemini', now), retryScheduled(3, 'nano-banana-fal', 'fal', now)])
        .when(providerFailure(3, { plan, detail: { httpStatus: 503 } }))
        .then([failed('provider_error', 'The provider could not generate this image.', { httpStatus: 503 }, 3)]);
    });

    it('fails at once on a failure no retry can fix', () => {
      spec
        .given(running())
        .when(providerFailure(1, { plan, code: 'content_moderated', retryable: false }))
        .then([failed('content_moderated', "The provider's safety system blocked this request or its result.", undefined, 1)]);
    });

    it('fails instead of retrying when the retry could not start before the deadline', () => {
      spec
        .given(running())
        .when(providerFailure(1, { plan, retryAfterSeconds: 600 }))
        .then([failed('provider_error', 'The provider could not generate this image.', undefined, 1)]);
    });

    it('ignores a failure of an attempt older than the one scheduled', () => {
      spec.given([...running(), retryScheduled(2, 'nano-banana', 'gemini', now)]).when(providerFailure(1, { plan })).then([]);
    });

    it('ignores provider failures after the task ended', () => {
      spec.given([...running(), canceled()]).when(providerFailure(1, { plan })).then([]);
    });
  });

  describe('completed', () => {
    const history = (): GenerationEvent[] => [
      created(),
      queued(),
      processing(1),
      outputStored(0, 1),
      completed(['asset-0']),
    ];

    it('ignores a second success after completion', () => {
      spec.given(history()).when(storeOutput(0, 1)).then([]);
    });

    it('ignores another output after completion', () => {
      spec.given(history()).when(storeOutput(1, 2)).then([]);
    });

    it.each<GenerationCommand>([create(), queue(), start(2), fail('timeout', 'Too slow')])(
      'ignores $type after completion',
      (command) => spec.given(history()).when(command).then([]),
    );

    it('refuses to cancel', () => {
      spec.given(history()).when(cancel()).thenThrows('generation_not_cancelable', 'conflict');
    });
  });

  describe('failed', () => {
    const history = (): GenerationEvent[] => [created(), queued(), processing(1), failed('timeout', 'Too slow')];

    it('ignores a second failure', () => {
      spec.given(history()).when(fail('provider_error', 'late')).then([]);
    });

    it('ignores a result that arrives after the failure', () => {
      spec.given(history()).when(storeOutput(0, 1)).then([]);
    });

    it.each<GenerationCommand>([create(), queue(), start(2)])('ignores $type after failure', (command) =>
      spec.given(history()).when(command).then([]),
    );

    it('refuses to cancel', () => {
      spec.given(history()).when(cancel()).thenThrows('generation_not_cancelable', 'conflict');
    });
  });

  describe('canceled', () => {
    const history = (): GenerationEvent[] => [created(), queued(), processing(1), canceled()];

    it('ignores a result that arrives after cancelation', () => {
      spec.given(history()).when(storeOutput(0, 1)).then([]);
    });

    it.each<GenerationCommand>([create(), queue(), start(2), fail()])('ignores $type after cancelation', (command) =>
      spec.given(history()).when(command).then([]),
    );

    it('refuses a second cancel', () => {
      spec.given(history()).when(cancel()).thenThrows('generation_not_cancelable', 'conflict');
    });
  });
});

function request(): GenerationRequest {
  return { accountId, model: 'local', prompt: 'a lighthouse at dusk', width: 512, height: 512, n: 1, seed: 7, outputFormat: 'png' };
}

function create(extra: Partial<Omit<CreateGeneration, 'type'>> = {}): GenerationCommand {
  return { type: 'CreateGeneration', taskId, request: request(), price: 4, deadline, now, ...extra };
}

function queue(): GenerationCommand {
  return { type: 'QueueGeneration', now };
}

function start(attempt: number, provider = 'local'): GenerationCommand {
  return { type: 'StartProcessing', attempt, provider, providerJobId: `${provider}-job-${attempt}`, now };
}

function storeOutput(index: number, outputCount: number): GenerationCommand {
  return { type: 'RecordOutputStored', assetId: `asset-${index}`, index, outputCount, now };
}

function fail(code: FailureCode = 'provider_error', message = 'failed', providerDetail?: unknown): GenerationCommand {
  return { type: 'FailGeneration', code, message, ...(providerDetail === undefined ? {} : { providerDetail }), now };
}

function providerFailure(
  attempt: number,
  extra: Partial<Omit<HandleProviderFailure, 'type' | 'attempt' | 'now'>> = {},
): GenerationCommand {
  return {
    type: 'HandleProviderFailure',
    attempt,
    code: 'provider_error',
    retryable: true,
    plan: [{ model: 'local', provider: 'local', attempts: 1 }],
    backoffSeconds: 1,
    ...extra,
    now,
  };
}

function retryScheduled(attempt: number, model: string, provider: string, notBefore: string): GenerationEvent {
  return {
    type: 'GenerationRetryScheduled',
    data: { taskId, attempt, model, provider, notBefore, reason: { code: 'provider_error' }, scheduledAt: now },
  };
}

function cancel(): GenerationCommand {
  return { type: 'CancelGeneration', now };
}

function created(
  extra: {
    idempotencyKey?: string;
    metadata?: Record<string, string>;
    batchId?: string;
    spender?: { keyId?: string; user?: string };
    webhook?: RequestWebhook;
    scopedToken?: CreatedWithToken;
  } = {},
): GenerationEvent {
  return { type: 'GenerationCreated', data: { taskId, request: request(), price: 4, deadline, ...extra, createdAt: now } };
}

function queued(): GenerationEvent {
  return { type: 'GenerationQueued', data: { taskId, request: request(), deadline, queuedAt: now } };
}

function processing(attempt: number, provider = 'local'): GenerationEvent {
  return {
    type: 'GenerationProcessing',
    data: { taskId, attempt, provider, providerJobId: `${provider}-job-${attempt}`, processingAt: now },
  };
}

function outputStored(index: number, outputCount: number): GenerationEvent {
  return { type: 'GenerationOutputStored', data: { taskId, assetId: `asset-${index}`, index, outputCount, storedAt: now } };
}

function completed(assetIds: string[]): GenerationEvent {
  return { type: 'GenerationCompleted', data: { taskId, accountId, assetIds, completedAt: now } };
}

function failed(code: FailureCode, message: string, providerDetail?: unknown, attempt?: number): GenerationEvent {
  return {
    type: 'GenerationFailed',
    data: {
      taskId,
      accountId,
      code,
      message,
      ...(providerDetail === undefined ? {} : { providerDetail }),
      ...(attempt === undefined ? {} : { attempt }),
      failedAt: now,
    },
  };
}

function canceled(): GenerationEvent {
  return { type: 'GenerationCanceled', data: { taskId, accountId, canceledAt: now } };
}
