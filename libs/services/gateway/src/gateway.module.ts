import { Module, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { ModelCatalog } from '@darkroom/providers';
import { AccountsRepository } from './accounts/accounts.repository';
import { AdminController } from './admin/admin.controller';
import { DeadLettersController } from './admin/dead-letters.controller';
import { AssetsController } from './assets/assets.controller';
import { AssetsService } from './assets/assets.service';
import { CreditsController } from './credits/credits.controller';
import { GATEWAY_OPTIONS, type GatewayOptions } from './gateway.options';
import { GenerationsController } from './generations/generations.controller';
import { GenerationsService } from './generations/generations.service';
import { AdminGuard, ApiKeyGuard } from './http/auth.guards';
import { ProblemFilter } from './http/problem.filter';
import { requestIdMiddleware } from './http/request-id';
import { validationPipe } from './http/validation';
import { ModelsController } from './models/models.controller';
import { UploadsController } from './uploads/uploads.controller';
import { UploadsRepository } from './uploads/uploads.repository';
import { UploadsService } from './uploads/uploads.service';
import { ProviderWebhooksController } from './webhooks/provider-webhooks.controller';
import { ProviderWebhooksService } from './webhooks/provider-webhooks.service';

/** The public HTTP API: it appends the first event of a task and reads projections. */
@Module({})
export class GatewayModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(requestIdMiddleware).forRoutes('*path');
  }

  static register(options: GatewayOptions): DynamicModule {
    return {
      module: GatewayModule,
      controllers: [
        GenerationsController,
        UploadsController,
        AssetsController,
        ModelsController,
        CreditsController,
        AdminController,
        DeadLettersController,
        ProviderWebhooksController,
      ],
      providers: [
        { provide: GATEWAY_OPTIONS, useValue: options },
        { provide: APP_FILTER, useClass: ProblemFilter },
        { provide: APP_PIPE, useValue: validationPipe },
        { provide: ModelCatalog, useValue: options.catalog },
        AccountsRepository,
        ApiKeyGuard,
        AdminGuard,
        GenerationsService,
        AssetsService,
        UploadsRepository,
        UploadsService,
        ProviderWebhooksService,
      ],
      exports: [AccountsRepository],
    };
  }
}
