import { EventSourceParserStream } from 'eventsource-parser/stream';
import type { Task } from './types';
import { isTerminal } from '../lib/tasks';

const RECONNECT_MS = 1_000;

/**
 * Follows `GET /v1/generations/{id}/stream` (Server-Sent Events) until the task ends or
 * `signal` aborts. EventSource cannot send an Authorization header, so this reads the stream
 * with fetch; after a dropped connection it reconnects with Last-Event-ID, so nothing is
 * missed and nothing is repeated; while it cannot be opened, `onUnavailable` is told each
 * time (the caller looks at the task plainly) and it tries again with a growing pause.
 */
export async function followTask(
  key: string,
  taskId: string,
  onTask: (task: Task) => void,
  signal: AbortSignal,
  onUnavailable: () => void = () => undefined,
): Promise<void> {
  let lastEventId: string | undefined;
  let retryMs = RECONNECT_MS;
  while (!signal.aborted) {
    try {
      const headers: Record<string, string> = { Authorization: `Bearer ${key}`, Accept: 'text/event-stream' };
      if (lastEventId) headers['Last-Event-ID'] = lastEventId;
      const response = await fetch(`/v1/generations/${encodeURIComponent(taskId)}/stream`, { headers, signal });
      if (response.status === 404) return;
      if (!response.ok || !response.body) throw new Error(`status stream answered ${response.status}`);
      retryMs = RECONNECT_MS;
      const events = response.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
      for await (const event of events) {
        if (event.id) lastEventId = event.id;
        if (event.event !== 'generation.status') continue;
        const task = JSON.parse(event.data) as Task;
        onTask(task);
        if (isTerminal(task.status)) return;
      }
    } catch {
      if (signal.aborted) return;
      // Refused (rate limited, say) or cut: one plain look now, the stream again after a pause.
      onUnavailable();
    }
    await new Promise((resolve) => setTimeout(resolve, retryMs));
    retryMs = Math.min(retryMs * 2, 15_000);
  }
}
