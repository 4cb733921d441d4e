import { Inject, Injectable } from '@nestjs/common';
import type { Sql } from '@darkroom/database';
import { invalidRequest } from '@darkroom/kernel';
import { SQL } from '@darkroom/runtime';
import { listGenerations, type GenerationKeyset, type GenerationRow } from '@darkroom/read-model-generations';
import { isUuid } from '../http/ids';
import type { ListGenerationsQueryDto } from './list-generations.dto';

export const DEFAULT_PAGE_SIZE = 20;

export interface GenerationPage {
  readonly rows: readonly GenerationRow[];
  readonly nextCursor: string | null;
}

const KEYSET_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/** The keyset as an opaque token: clients pass it back, never build it. */
export function encodeCursor(keyset: GenerationKeyset): string {
  return Buffer.from(JSON.stringify([keyset.createdAt, keyset.id])).toString('base64url');
}

/** The keyset inside a cursor, or undefined when the text is not one this server issued. */
export function decodeCursor(cursor: string): GenerationKeyset | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2) return undefined;
    const [createdAt, id] = value as unknown[];
    if (typeof createdAt !== 'string' || !KEYSET_AT.test(createdAt) || typeof id !== 'string' || !isUuid(id)) return undefined;
    return { createdAt, id };
  } catch {
    return undefined;
  }
}

const invalidCursor = () =>
  invalidRequest([{ field: 'cursor', message: 'cursor must be a next_cursor returned by this endpoint' }]);

/**
 * Lists the caller's tasks from the `generations` read model. The model trails the event
 * log by a projection poll: a task created a moment ago may show on a page a moment later,
 * while `GET /v1/generations/{id}` already finds it.
 */
@Injectable()
export class GenerationListService {
  constructor(@Inject(SQL) private readonly sql: Sql) {}

  async list(accountId: string, query: ListGenerationsQueryDto): Promise<GenerationPage> {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    if (query.cursor !== undefined && !after) throw invalidCursor();
    const page = await listGenerations(this.sql, {
      accountId,
      limit: query.limit ?? DEFAULT_PAGE_SIZE,
      ...(after ? { after } : {}),
      ...(query.status?.length ? { statuses: [...new Set(query.status)] } : {}),
      ...(query.model === undefined ? {} : { model: query.model }),
      ...(query.created_after === undefined ? {} : { createdAfter: new Date(query.created_after).toISOString() }),
      ...(query.created_before === undefined ? {} : { createdBefore: new Date(query.created_before).toISOString() }),
    });
    return { rows: page.rows, nextCursor: page.next ? encodeCursor(page.next) : null };
  }
}
