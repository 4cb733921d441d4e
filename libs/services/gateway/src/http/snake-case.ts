type Data = Record<string, unknown>;

const isPlainObject = (value: unknown): value is Data =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;

/** `taskId` → `task_id`, `providerJobId` → `provider_job_id`; a key already in snake_case is kept. */
export const snakeCaseKey = (key: string): string => key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

/**
 * A copy of `value` whose object keys are snake_case, at every depth, as a client of the API
 * reads them (events and domain errors carry camelCase). The keys of objects under `keep`
 * (such as the caller's own `metadata`) are the caller's words and stay as they are.
 */
export function snakeCaseKeys(value: unknown, keep: readonly string[] = []): unknown {
  if (Array.isArray(value)) return value.map((item) => snakeCaseKeys(item, keep));
  if (!isPlainObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => {
      const snake = snakeCaseKey(key);
      return [snake, keep.includes(snake) ? item : snakeCaseKeys(item, keep)];
    }),
  );
}
