import type { Message, Options } from 'amqplib';
import type { DeadLetter, EventMessage } from './message-bus';

/** Headers darkroom sets; `x-delivery-count` and `x-death` are the broker's. */
export const Header = {
  /** Attempt number the next delivery of this copy is (absent: 1). */
  attempt: 'x-darkroom-attempt',
  firstFailedAt: 'x-darkroom-first-failed-at',
  lastFailedAt: 'x-darkroom-last-failed-at',
  error: 'x-darkroom-error',
  consumer: 'x-darkroom-consumer',
  /** Unique per publish, to match a basic.return to the publish it answers. */
  publishId: 'x-darkroom-publish-id',
} as const;

const BROKER_HEADERS = ['x-delivery-count', 'x-death', 'x-first-death-exchange', 'x-first-death-queue',
  'x-first-death-reason', 'x-last-death-exchange', 'x-last-death-queue', 'x-last-death-reason'];

export function encodeMessage(message: EventMessage): { content: Buffer; options: Options.Publish } {
  const timestamp = Date.parse(message.recordedAt);
  return {
    content: Buffer.from(JSON.stringify(message)),
    options: {
      persistent: true,
      mandatory: true,
      messageId: message.eventId,
      contentType: 'application/json',
      type: message.type,
      correlationId: message.metadata.correlationId,
      ...(Number.isFinite(timestamp) ? { timestamp: Math.floor(timestamp / 1000) } : {}),
      headers: {},
    },
  };
}

export function decodeMessage(delivered: Pick<Message, 'content'>): EventMessage {
  const message = JSON.parse(delivered.content.toString('utf8')) as EventMessage;
  if (!message || typeof message.eventId !== 'string' || typeof message.routingKey !== 'string') {
    throw new Error('Not an event message');
  }
  return message;
}

const headerOf = (delivered: Pick<Message, 'properties'>, name: string): unknown =>
  (delivered.properties.headers as Record<string, unknown> | undefined)?.[name];

const numberOf = (value: unknown): number | undefined => {
  const number = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  return Number.isFinite(number) ? number : undefined;
};

const stringOf = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('utf8') : undefined;

/** Our attempt counter plus the broker's redeliveries of this copy (a crash before the ack). */
/**
 * The handler attempt this delivery is: 1, plus one per failed handler run (darkroom's
 * header on the retry copy). A redelivery after a lost connection is not an attempt: the
 * broker's delivery limit bounds those (`declareConsumerQueues`).
 */
export function attemptOf(delivered: Pick<Message, 'properties'>): number {
  return numberOf(headerOf(delivered, Header.attempt)) ?? 1;
}

export function firstFailedAtOf(delivered: Pick<Message, 'properties'>): string | undefined {
  return stringOf(headerOf(delivered, Header.firstFailedAt));
}

/**
 * Properties for a copy of a delivered message, without the broker's bookkeeping; `fresh`
 * also drops darkroom's failure headers (a re-driven message starts again at attempt 1).
 */
export function copyOptions(delivered: Message, headers: Record<string, unknown>, fresh = false): Options.Publish {
  const { properties } = delivered;
  const ours: readonly string[] = Object.values(Header);
  const kept = Object.fromEntries(
    Object.entries((properties.headers ?? {}) as Record<string, unknown>).filter(
      ([name]) => !BROKER_HEADERS.includes(name) && name !== Header.publishId && !(fresh && ours.includes(name)),
    ),
  );
  return {
    persistent: true,
    mandatory: true,
    messageId: properties.messageId,
    contentType: properties.contentType,
    type: properties.type,
    correlationId: properties.correlationId,
    timestamp: properties.timestamp,
    headers: { ...kept, ...headers },
  };
}

/** Reads a message of a dead-letter queue, whether we or the broker (delivery limit) moved it. */
export function toDeadLetter(consumer: string, delivered: Message): DeadLetter {
  const death = (headerOf(delivered, 'x-death') as { reason?: unknown; count?: unknown }[] | undefined)?.[0];
  const firstFailedAt = firstFailedAtOf(delivered);
  const lastFailedAt = stringOf(headerOf(delivered, Header.lastFailedAt));
  return {
    consumer,
    message: decodeMessage(delivered),
    attempts:
      numberOf(headerOf(delivered, Header.attempt)) ?? numberOf(headerOf(delivered, 'x-delivery-count')) ?? numberOf(death?.count) ?? 1,
    error:
      stringOf(headerOf(delivered, Header.error)) ??
      `dead-lettered by the broker (${stringOf(death?.reason) ?? 'unknown reason'}): the consumer never settled it`,
    ...(firstFailedAt ? { firstFailedAt } : {}),
    ...(lastFailedAt ? { lastFailedAt } : {}),
  };
}
