import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { CONSUMERS, type ConsumerName } from '@darkroom/contracts';
import { DomainError } from '@darkroom/kernel';
import type { DeadLetter, DeadLetters } from '@darkroom/messaging';
import { PLATFORM, type Platform } from '@darkroom/runtime';
import { AdminGuard } from '../http/auth.guards';

export class DeadLetterQueryDto {
  @ApiPropertyOptional({ enum: CONSUMERS, description: 'Only this consumer’s dead letters.' })
  @IsOptional()
  @IsIn(CONSUMERS)
  consumer?: ConsumerName;
}

export class RedriveAllDto {
  @ApiPropertyOptional({ enum: CONSUMERS, description: 'Re-drive only this consumer’s dead letters (default: all).' })
  @IsOptional()
  @IsIn(CONSUMERS)
  consumer?: ConsumerName;
}

/** Listed at most per consumer: the broker hands dead letters out one by one. */
const LIST_LIMIT = 500;

/** `<consumer>:<event id>`: a dead letter is one consumer's failure on one event. */
const letterId = (letter: DeadLetter) => `${letter.consumer}:${letter.message.eventId}`;

function parseLetterId(id: string): { consumer: ConsumerName; eventId: string } {
  const at = id.lastIndexOf(':');
  const consumer = id.slice(0, at) as ConsumerName;
  const eventId = id.slice(at + 1);
  if (at < 1 || !CONSUMERS.includes(consumer) || eventId === '') {
    throw new DomainError('dead_letter_not_found', 'not_found', `No dead letter ${id}.`);
  }
  return { consumer, eventId };
}

/** A queue nobody declared yet simply has no dead letters; anything else is the broker failing. */
const isMissingQueue = (error: unknown) => error instanceof Error && /NOT[-_]FOUND|\b404\b/.test(error.message);

/**
 * Messages a consumer gave up on, and their re-drive into the consumer's own queue: they go
 * through the same inbox there, so re-driving something already applied changes nothing.
 */
@ApiTags('admin')
@ApiBearerAuth()
@Controller('admin/dead-letters')
@UseGuards(AdminGuard)
export class DeadLettersController {
  private readonly letters: DeadLetters;

  constructor(@Inject(PLATFORM) platform: Platform) {
    this.letters = platform.bus;
  }

  @Get()
  async list(@Query() query: DeadLetterQueryDto) {
    const consumers = query.consumer ? [query.consumer] : CONSUMERS;
    const letters = (await Promise.all(consumers.map((consumer) => this.listOf(consumer)))).flat();
    return { object: 'list', data: letters.map(toResource) };
  }

  /** Re-drives one dead letter; 404 when it is not (or no longer) dead-lettered. */
  @Post(':id/redrive')
  @HttpCode(200)
  async redrive(@Param('id') id: string) {
    const { consumer, eventId } = parseLetterId(id);
    const moved = await this.unavailableOnBrokerError(() => this.letters.redrive(consumer, eventId));
    if (moved === 0) throw new DomainError('dead_letter_not_found', 'not_found', `No dead letter ${id}.`);
    return { object: 'redrive', consumer, redriven: moved };
  }

  /** Re-drives every dead letter (of one consumer, or of all). */
  @Post('redrive')
  @HttpCode(200)
  async redriveAll(@Body() body: RedriveAllDto) {
    const consumers = body.consumer ? [body.consumer] : CONSUMERS;
    const counts = await Promise.all(
      consumers.map(async (consumer) => ({ consumer, redriven: await this.redriveIgnoringMissing(consumer) })),
    );
    return { object: 'redrive', redriven: counts.reduce((sum, entry) => sum + entry.redriven, 0), by_consumer: counts };
  }

  private async listOf(consumer: ConsumerName): Promise<DeadLetter[]> {
    return this.unavailableOnBrokerError(async () => {
      try {
        return await this.letters.listDeadLetters(consumer, LIST_LIMIT);
      } catch (error) {
        if (isMissingQueue(error)) return [];
        throw error;
      }
    });
  }

  private async redriveIgnoringMissing(consumer: ConsumerName): Promise<number> {
    return this.unavailableOnBrokerError(async () => {
      try {
        return await this.letters.redrive(consumer);
      } catch (error) {
        if (isMissingQueue(error)) return 0;
        throw error;
      }
    });
  }

  private async unavailableOnBrokerError<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof DomainError) throw error;
      throw new DomainError('broker_unavailable', 'unavailable', `The message broker could not be reached: ${String(error)}`);
    }
  }
}

function toResource(letter: DeadLetter) {
  const { message } = letter;
  return {
    id: letterId(letter),
    object: 'dead_letter',
    consumer: letter.consumer,
    attempts: letter.attempts,
    error: letter.error,
    first_failed_at: letter.firstFailedAt ?? null,
    last_failed_at: letter.lastFailedAt ?? null,
    message: {
      event_id: message.eventId,
      type: message.type,
      routing_key: message.routingKey,
      stream_id: message.streamId,
      stream_version: message.streamVersion,
      global_position: message.globalPosition,
      recorded_at: message.recordedAt,
      metadata: message.metadata,
      data: message.data,
    },
  };
}
