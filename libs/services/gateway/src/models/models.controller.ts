import { TokenAccess } from '../tokens/token-access';
import { Controller, Get, Inject, UseGuards } from '@nestjs/common';
import { ApiOkResponse } from '@nestjs/swagger';
import type { Sql } from '@darkroom/database';
import type { Clock } from '@darkroom/kernel';
import { ModelCatalog } from '@darkroom/providers';
import { healthOf, loadCircuits } from '@darkroom/read-model-generations';
import { CLOCK, SQL } from '@darkroom/runtime';
import { availableProviders, GATEWAY_OPTIONS, type GatewayOptions } from '../gateway.options';
import { ApiKeyGuard } from '../http/auth.guards';
import { toModelList } from './model.resource';

@Controller('v1/models')
@UseGuards(ApiKeyGuard)
export class ModelsController {
  constructor(
    private readonly catalog: ModelCatalog,
    @Inject(GATEWAY_OPTIONS) private readonly options: GatewayOptions,
    @Inject(SQL) private readonly sql: Sql,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * Every model in the catalog, with what it accepts and costs (every price in credits per image), and `health`: `healthy`,
   * `circuit_open` (attempts go to its fallbacks or wait) or `half_open` (the next attempt probes).
   */
  @Get()
  @TokenAccess('any')
  @ApiOkResponse({
    description:
      'The catalog: per model its capabilities, defaults, pricing, fallbacks, `available` (its provider is configured) and ' +
      '`health`: `healthy`, `circuit_open` (its circuit breaker sends retries to the fallbacks or makes them wait) or `half_open` (the next attempt probes the provider).',
  })
  async list() {
    const now = this.clock.now().toISOString();
    const circuits = new Map((await loadCircuits(this.sql)).map((row) => [`${row.provider}~${row.model}`, row]));
    return toModelList(this.catalog.list(), availableProviders(this.options), (model) =>
      healthOf(circuits.get(`${model.provider}~${model.id}`), now),
    );
  }
}
