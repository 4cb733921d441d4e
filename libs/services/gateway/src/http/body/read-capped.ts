import type { Readable } from 'node:stream';

/** Why a body was not read to its end. */
export type ReadRefusal = 'too_large' | 'idle' | 'aborted';

export class BodyNotRead extends Error {
  constructor(readonly reason: ReadRefusal) {
    super(`body not read: ${reason}`);
    this.name = 'BodyNotRead';
  }
}

export interface ReadCappedOptions {
  /** The read stops the moment more than this many bytes have arrived. */
  readonly maxBytes: number;
  /** The read stops when no byte arrives for this long. */
  readonly idleMs: number;
}

/**
 * Reads a stream to its end, or stops as soon as it passes `maxBytes`, goes quiet for
 * `idleMs` or closes early. A stopped stream is paused and left unread: the caller answers
 * at once and closes the connection instead of draining what is still coming.
 */
export function readCapped(stream: Readable, { maxBytes, idleMs }: ReadCappedOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const stop = (outcome: () => void) => {
      clearTimeout(idle);
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onClose);
      stream.off('close', onClose);
      stream.pause();
      outcome();
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBytes) return stop(() => reject(new BodyNotRead('too_large')));
      chunks.push(chunk);
      idle.refresh();
    };
    const onEnd = () => stop(() => resolve(Buffer.concat(chunks, received)));
    const onClose = () => stop(() => reject(new BodyNotRead('aborted')));
    const idle = setTimeout(() => stop(() => reject(new BodyNotRead('idle'))), idleMs);
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onClose);
    stream.on('close', onClose);
  });
}
