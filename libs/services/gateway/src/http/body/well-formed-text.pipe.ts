import { Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import { invalidRequest } from '@darkroom/kernel';
import { illFormedFields } from './well-formed-text';

const CHECKED: ReadonlySet<ArgumentMetadata['type']> = new Set(['body', 'query', 'param']);

/**
 * Refuses a NUL or an unpaired surrogate in any body field, query or path parameter as 400
 * `invalid_request`, before validation and long before PostgreSQL (which cannot store
 * either in text or jsonb). Global: no DTO needs to remember it.
 */
@Injectable()
export class WellFormedTextPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (!CHECKED.has(metadata.type)) return value;
    const errors = illFormedFields(value, metadata.data ?? '');
    if (errors.length > 0) {
      throw invalidRequest(errors);
    }
    return value;
  }
}
