import { Injectable, PayloadTooLargeException, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { catchError, throwError, type Observable } from 'rxjs';
import { HttpProblem } from '../http/http-problem';

/** Largest upload in bytes. */
export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;

/**
 * multer stops reading at the size limit and Nest turns that into a bare 413; this gives
 * it the stable code. Bind it outside `FileInterceptor`, which is where the error starts.
 */
@Injectable()
export class UploadTooLargeInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      catchError((error: unknown) =>
        throwError(() =>
          error instanceof PayloadTooLargeException
            ? new HttpProblem(413, 'upload_too_large', `Uploads are limited to ${MAX_UPLOAD_BYTES / 1024 / 1024} MB.`)
            : error,
        ),
      ),
    );
  }
}
