import { Catch } from '@nestjs/common';
import type { Response } from 'express';
import { ProblemFilter, type Problem } from '../http/problem.filter';

/** OpenAI's error object, which the `openai` SDK reads into `APIError` (message, type, param, code). */
export interface OpenAiError {
  readonly message: string;
  readonly type: string;
  readonly param: string | null;
  readonly code: string;
}

function typeOf(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 402) return 'insufficient_quota';
  if (status === 429) return 'rate_limit_error';
  return status >= 500 ? 'server_error' : 'invalid_request_error';
}

/** The first field a problem names (`field`, or the first of its `errors`), as OpenAI's `param`. */
function paramOf(problem: Problem): string | null {
  if (typeof problem['field'] === 'string') return problem['field'];
  const errors = problem['errors'];
  if (Array.isArray(errors) && typeof errors[0]?.field === 'string') return errors[0].field as string;
  return null;
}

export function toOpenAiError(problem: Problem): OpenAiError {
  return { message: problem.detail, type: typeOf(problem.status), param: paramOf(problem), code: problem.code };
}

/**
 * The façade's errors: the same RFC 7807 problem as everywhere, plus OpenAI's `error`
 * member, so the `openai` SDK's `APIError` carries our message and stable code.
 */
@Catch()
export class OpenAiProblemFilter extends ProblemFilter {
  protected override send(response: Response, body: Problem): void {
    super.send(response, { ...body, error: toOpenAiError(body) });
  }
}
