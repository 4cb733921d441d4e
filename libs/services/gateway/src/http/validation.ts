import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { ValidateBy } from 'class-validator';
import { invalidRequest } from '@darkroom/kernel';

function flatten(errors: readonly ValidationError[], parent = ''): { field: string; message: string }[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/** Validates DTOs at the edge; failures become a problem that lists every field. */
export const validationPipe = new ValidationPipe({
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
  exceptionFactory: (errors) => {
    return invalidRequest(flatten(errors));
  },
});

/** Limits of the free-form `metadata` a caller may attach to a task. */
export const METADATA_LIMITS = { maxKeys: 16, maxKeyLength: 64, maxValueLength: 512 } as const;

/** A flat object of string values within `METADATA_LIMITS`. */
export function IsMetadata(): PropertyDecorator {
  const { maxKeys, maxKeyLength, maxValueLength } = METADATA_LIMITS;
  return ValidateBy({
    name: 'isMetadata',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'object' &&
        value !== null &&
        !Array.isArray(value) &&
        Object.keys(value).length <= maxKeys &&
        Object.entries(value).every(
          ([key, item]) => key.length <= maxKeyLength && typeof item === 'string' && item.length <= maxValueLength,
        ),
      defaultMessage: () =>
        `metadata must be an object of at most ${maxKeys} string values (keys up to ${maxKeyLength} characters, values up to ${maxValueLength})`,
    },
  });
}

/** An end user's id (`user`): 1 to 256 characters, none of them a control character. */
export const END_USER_ID = /^[^\p{Cc}]{1,256}$/u;

export function IsEndUserId(): PropertyDecorator {
  return ValidateBy({
    name: 'isEndUserId',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && END_USER_ID.test(value),
      defaultMessage: (args) => `${args?.property ?? 'user'} must be 1 to 256 characters, without control characters`,
    },
  });
}
