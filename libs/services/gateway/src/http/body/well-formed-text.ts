/** A field the validation problem lists: `{ field, message }`, as class-validator's are. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

/** A surrogate without its pair (code units, so no `u` flag). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** More would only lengthen the answer: the caller fixes its encoder once. */
const MAX_ERRORS = 20;

export const isWellFormedText = (text: string): boolean => !text.includes('\u0000') && !LONE_SURROGATE.test(text);

const isPlainContainer = (value: unknown): value is Record<string, unknown> | unknown[] => {
  if (Array.isArray(value)) return true;
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  // Express's query parser gives objects without a prototype.
  return prototype === Object.prototype || prototype === null;
};

const join = (parent: string, key: string) => (parent ? `${parent}.${key}` : key);

/**
 * Every string (value or property name) under `value` that PostgreSQL and JSON consumers
 * cannot take: a NUL, or an unpaired UTF-16 surrogate. Fields are named by their path
 * from `root` (`metadata.note`, `images.0`). Walks with its own stack: depth is bounded
 * by the body reader, but a walk should not depend on it.
 */
export function illFormedFields(value: unknown, root = ''): FieldError[] {
  const errors: FieldError[] = [];
  const pending: [string, unknown][] = [[root, value]];
  while (pending.length > 0 && errors.length < MAX_ERRORS) {
    const [field, item] = pending.pop()!;
    if (typeof item === 'string') {
      if (!isWellFormedText(item)) {
        errors.push({ field: field || 'body', message: `${field || 'body'} must not contain NUL characters or unpaired surrogates` });
      }
    } else if (isPlainContainer(item)) {
      const entries = Object.entries(item);
      for (let i = entries.length - 1; i >= 0; i -= 1) {
        const [key, child] = entries[i];
        if (!isWellFormedText(key)) {
          errors.push({ field: field || 'body', message: 'property names must not contain NUL characters or unpaired surrogates' });
        } else {
          pending.push([join(field, key), child]);
        }
      }
    }
  }
  return errors.slice(0, MAX_ERRORS);
}
