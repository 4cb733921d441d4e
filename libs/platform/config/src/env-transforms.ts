/**
 * `@Transform`s for settings read from the environment, shared by every config class
 * (the platform's and each service's). A value that does not convert is passed on as
 * the text, so the validation error shows what was given.
 */

/** A number when the text is one (fractions too). */
export const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)) ? Number(value) : value;

/** `true`/`1` and `false`/`0`. */
export const toBool = ({ value }: { value: unknown }) =>
  value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value;
