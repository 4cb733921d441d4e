import type { Socket } from 'node:net';
import type { Request, Response } from 'express';

/** How long the rest of a refused body is discarded before the connection is cut. */
export const LINGER_MS = 2_000;

/**
 * Answers a request whose body was refused unread with `Connection: close`, and closes
 * without a reset. Node destroys such a socket as soon as the answer is written; with the
 * body still arriving, the kernel then resets the connection and clients lose the answer
 * they were sent (they see EPIPE, not the 413). So the socket is half-closed after the
 * answer, what still arrives is discarded for at most `LINGER_MS`, then it is destroyed:
 * a lingering close, as Apache and nginx do.
 */
export function closeAfterAnswer(request: Request, response: Response): void {
  response.setHeader('Connection', 'close');
  const socket = request.socket as Socket & { destroySoon?: () => void };
  // Node's server calls destroySoon once a `Connection: close` answer is written.
  socket.destroySoon = () => {
    socket.end();
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    socket.once('close', () => clearTimeout(timer));
    request.resume();
  };
}
