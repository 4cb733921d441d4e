import { HttpProblem } from '../http-problem';
import { exceededJsonLimit, type JsonShapeLimits } from './json-shape';

const utf8 = new TextDecoder('utf-8', { fatal: true });

const malformed = (why: string) => new HttpProblem(400, 'malformed_request', `The request body could not be parsed: ${why}.`);

/**
 * A JSON body as the API takes it: UTF-8 (a BOM is dropped), an object or an array, within
 * the depth and key limits, checked on the bytes before `JSON.parse` builds anything that
 * validation would walk. Empty is `{}`, as body-parser had it.
 */
export function parseJsonBody(bytes: Uint8Array, limits: JsonShapeLimits): unknown {
  const exceeded = exceededJsonLimit(bytes, limits);
  if (exceeded) {
    const what = exceeded === 'depth' ? `is nested more than ${limits.maxDepth} deep` : `has more than ${limits.maxKeys} properties`;
    throw new HttpProblem(400, 'body_too_complex', `The request body ${what}.`, {
      max_depth: limits.maxDepth,
      max_keys: limits.maxKeys,
    });
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw malformed('it is not valid UTF-8');
  }
  const start = text.trimStart();
  if (start === '') return {};
  if (start[0] !== '{' && start[0] !== '[') throw malformed('a JSON body is an object or an array');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw malformed(error instanceof Error ? error.message : 'invalid JSON');
  }
}
