import { describe, expect, it } from '@jest/globals';
import type { GenerationRow } from '@darkroom/read-model-generations';
import { HttpProblem } from '../http/http-problem';
import { stillRunning, taskNotCompleted, toCreateGeneration, toImagesResponse } from './openai-images.mapping';

describe('toCreateGeneration', () => {
  it('takes "auto" as the model default, the default model when none is named, and the user as metadata', () => {
    expect(toCreateGeneration({ prompt: 'a fox', size: 'auto', quality: 'auto', user: 'u-1' }, 'local')).toEqual({
      model: 'local',
      prompt: 'a fox',
      output_format: 'png',
      user: 'u-1',
      metadata: { openai_user: 'u-1' },
    });
  });

  it('passes size, quality, n and the uploaded images through', () => {
    expect(
      toCreateGeneration({ prompt: 'p', model: 'gpt-image-1', size: '1024x1536', quality: 'high', n: 2, response_format: 'url' }, 'local', [
        'u1',
        'u2',
      ]),
    ).toEqual({ model: 'gpt-image-1', prompt: 'p', size: '1024x1536', quality: 'high', n: 2, output_format: 'png', input_images: ['u1', 'u2'] });
  });
});

describe('answers from a task', () => {
  it('shapes a completed task like OpenAI, created in Unix seconds', () => {
    const body = toImagesResponse(row({ status: 'completed' }), [{ b64_json: 'AAAA' }]);
    expect(body).toEqual({
      created: 1767225600,
      data: [{ b64_json: 'AAAA' }],
      output_format: 'png',
      size: '64x48',
      background: 'opaque',
      task_id: 't-1',
    });
  });

  it.each([
    ['insufficient_credits', 402],
    ['content_moderated', 400],
    ['provider_error', 502],
    ['timeout', 504],
  ] as const)('answers a task failed with %s with %i and that code', (code, status) => {
    const refusal = taskNotCompleted(row({ status: 'failed', error: { code, message: 'why' } }));
    expect(refusal).toBeInstanceOf(HttpProblem);
    expect(refusal).toMatchObject({ status, code, message: 'why', extensions: { task_id: 't-1' } });
  });

  it('answers a canceled task with 409 and a task still running with 504 naming it', () => {
    expect(taskNotCompleted(row({ status: 'canceled' }))).toMatchObject({ status: 409, code: 'generation_canceled' });
    const late = stillRunning({ id: 't-1', status: 'processing' }, 30);
    expect(late).toMatchObject({ status: 504, code: 'generation_still_running', extensions: { task_id: 't-1' } });
    expect(late.message).toContain('t-1');
  });
});

function row(overrides: Partial<GenerationRow>): GenerationRow {
  return {
    id: 't-1',
    accountId: 'a-1',
    status: 'created',
    request: { accountId: 'a-1', model: 'local', prompt: 'p', width: 64, height: 48, n: 1, seed: 1, outputFormat: 'png' },
    price: 1,
    creditsState: 'pending',
    idempotencyKey: null,
    deadline: '2026-01-01T00:10:00.000Z',
    createdAt: '2026-01-01T00:00:00.000Z',
    queuedAt: null,
    processingAt: null,
    completedAt: null,
    failedAt: null,
    canceledAt: null,
    error: null,
    assets: [],
    attempts: 0,
    metadata: {},
    ...overrides,
  };
}
