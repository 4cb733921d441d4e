import { Injectable, mixin, type CallHandler, type ExecutionContext, type NestInterceptor, type Type } from '@nestjs/common';
import type { Request, Response } from 'express';
import { finalize, type Observable } from 'rxjs';
import { closeAfterAnswer } from '../http/body/lingering-close';
import { HttpProblem } from '../http/http-problem';
import { receiveMultipart, type MultipartSpec, type ReceivedFile } from './multipart-receiver';
import { UploadSlots } from './upload-slots';
import { UploadTempDirectory } from './upload-temp-directory';

/** The request after `MultipartInterceptor`: its files by field (read with `@UploadedFiles()`); its text fields are `body`. */
export interface WithMultipart {
  files?: Readonly<Record<string, readonly ReceivedFile[]>>;
}

/** Seconds a client is told to wait when every upload slot is taken. */
const BUSY_RETRY_AFTER_SECONDS = 1;

const isMultipart = (request: Request) => /^multipart\//i.test(request.headers['content-type'] ?? '');

/**
 * Streams a route's multipart body to temp files (`receiveMultipart`) in one of the
 * process's upload slots, after the guards (strangers upload nothing), and removes the
 * files once the route has answered. A refusal mid-body closes the connection after the
 * answer instead of draining the rest. Other bodies pass untouched, as with multer.
 */
export function MultipartInterceptor(spec: MultipartSpec): Type<NestInterceptor> {
  @Injectable()
  class ReceiveMultipart implements NestInterceptor {
    constructor(
      private readonly slots: UploadSlots,
      private readonly temp: UploadTempDirectory,
    ) {}

    async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
      const request = context.switchToHttp().getRequest<Request & WithMultipart>();
      const response = context.switchToHttp().getResponse<Response>();
      if (!isMultipart(request)) return next.handle();
      const release = this.slots.tryAcquire();
      if (!release) {
        closeAfterAnswer(request, response);
        response.setHeader('Retry-After', String(BUSY_RETRY_AFTER_SECONDS));
        throw new HttpProblem(503, 'uploads_busy', 'This server is reading as many uploads as it takes at once; retry shortly.', {
          retry_after: BUSY_RETRY_AFTER_SECONDS,
        });
      }
      try {
        const received = await receiveMultipart(request, spec, this.temp.path);
        request.body = received.fields;
        request.files = received.files;
        return next.handle().pipe(
          finalize(() => {
            release();
            void received.dispose();
          }),
        );
      } catch (error) {
        release();
        if (!request.complete) closeAfterAnswer(request, response);
        throw error;
      }
    }
  }
  return mixin(ReceiveMultipart);
}
