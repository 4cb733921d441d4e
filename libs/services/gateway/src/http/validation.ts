import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { DomainError } from '@darkroom/kernel';

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
    const fields = flatten(errors);
    return new DomainError('invalid_request', 'validation', `The request has ${fields.length} invalid field(s).`, {
      errors: fields,
    });
  },
});
