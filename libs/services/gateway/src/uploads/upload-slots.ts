import { Inject, Injectable } from '@nestjs/common';
import { GATEWAY_OPTIONS, type GatewayOptions } from '../gateway.options';
import { DEFAULT_UPLOADS_IN_FLIGHT } from './upload-limits';

/**
 * How many multipart requests this process reads at once (`GatewayOptions.uploadsInFlight`):
 * with each request's bytes capped, this bounds the temp files on disk and the images
 * waiting for a decode slot.
 */
@Injectable()
export class UploadSlots {
  private inFlight = 0;
  private readonly limit: number;

  constructor(@Inject(GATEWAY_OPTIONS) options: GatewayOptions) {
    this.limit = options.uploadsInFlight ?? DEFAULT_UPLOADS_IN_FLIGHT;
  }

  /** A slot and the function that frees it (once), or undefined when every slot is taken. */
  tryAcquire(): (() => void) | undefined {
    if (this.inFlight >= this.limit) return undefined;
    this.inFlight += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight -= 1;
    };
  }
}
