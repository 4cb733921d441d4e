import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';

/** A bad or missing setting; the message names every offending variable. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function describe(error: ValidationError): string {
  const reasons = Object.values(error.constraints ?? {}).join('; ');
  const shown = error.value === undefined ? 'missing' : `got "${String(error.value)}"`;
  return `${error.property}: ${reasons} (${shown})`;
}

/**
 * Reads the environment once into a validated object of `schema`. Nothing else in the
 * code base reads `process.env`; the result is injected where it is needed.
 */
export function loadConfig<T extends object>(schema: new () => T, env: NodeJS.ProcessEnv = process.env): T {
  const candidate = plainToInstance(schema, { ...env }, { enableImplicitConversion: false, exposeDefaultValues: true });
  const errors = validateSync(candidate, { whitelist: false, forbidUnknownValues: false });
  if (errors.length > 0) throw new ConfigError(errors.map(describe));
  return candidate;
}
