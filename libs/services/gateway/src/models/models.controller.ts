import { TokenAccess } from '../tokens/token-access';
import { Controller, Get, Inject, UseGuards } from '@nestjs/common';
import { ModelCatalog } from '@darkroom/providers';
import { availableProviders, GATEWAY_OPTIONS, type GatewayOptions } from '../gateway.options';
import { ApiKeyGuard } from '../http/auth.guards';
import { toModelList } from './model.resource';

@Controller('v1/models')
@UseGuards(ApiKeyGuard)
export class ModelsController {
  constructor(
    private readonly catalog: ModelCatalog,
    @Inject(GATEWAY_OPTIONS) private readonly options: GatewayOptions,
  ) {}

  /**
   * Every model in the catalog, with what it accepts and costs: every price in credits per image
   * (`pricing.per_image` for the defaults, `pricing.prices` per size × quality the model lists).
   */
  @Get()
  @TokenAccess('any')
  list() {
    return toModelList(this.catalog.list(), availableProviders(this.options));
  }
}
