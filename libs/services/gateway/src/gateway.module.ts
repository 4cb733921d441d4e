import { Module, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { ImageDecoder, ModelCatalog } from '@darkroom/providers';
import { AccountsRepository } from './accounts/accounts.repository';
import { AdminController } from './admin/admin.controller';
import { DeadLettersController } from './admin/dead-letters.controller';
import { ProjectionsController } from './admin/projections.controller';
import { AssetsController } from './assets/assets.controller';
import { AssetAccessGuard } from './assets/asset-access.guard';
import { AssetsService } from './assets/assets.service';
import { CreditsController } from './credits/credits.controller';
import { GATEWAY_OPTIONS, type GatewayOptions } from './gateway.options';
import { GenerationListService } from './generations/generation-list.service';
import { GenerationReadsController } from './generations/generation-reads.controller';
import { GenerationStreamService } from './generations/generation-stream.service';
import { GenerationTimelineService } from './generations/generation-timeline.service';
import { GenerationsController } from './generations/generations.controller';
import { GenerationsService } from './generations/generations.service';
import { AdminGuard, ApiKeyGuard } from './http/auth.guards';
import { bodyReader } from './http/body/body-reader.middleware';
import { WellFormedTextPipe } from './http/body/well-formed-text.pipe';
import { ProblemFilter } from './http/problem.filter';
import { FailedAuthThrottle } from './http/rate-limit/failed-auth-throttle';
import { RateLimitService } from './http/rate-limit/rate-limit.service';
import { requestIdMiddleware } from './http/request-id';
import { TaskLogContextInterceptor } from './http/task-log-context.interceptor';
import { validationPipe } from './http/validation';
import { IdempotencyService } from './idempotency/idempotency.service';
import { ModelsController } from './models/models.controller';
import { OpenAiImagesController } from './openai-compat/openai-images.controller';
import { OpenAiImagesService } from './openai-compat/openai-images.service';
import { UploadsController } from './uploads/uploads.controller';
import { UploadsRepository } from './uploads/uploads.repository';
import { UploadSlots } from './uploads/upload-slots';
import { UploadTempDirectory } from './uploads/upload-temp-directory';
import { UploadsService } from './uploads/uploads.service';
import { BatchesController } from './batches/batches.controller';
import { BatchesService } from './batches/batches.service';
import { SpendCapChecks } from './spend/spend-cap-checks';
import { SpendController } from './spend/spend.controller';
import { SpendService } from './spend/spend.service';
import { WebhookEndpointsController } from './webhook-endpoints/webhook-endpoints.controller';
import { RequestWebhooksController } from './webhook-endpoints/request-webhooks.controller';
import { ScopedTokensService } from './tokens/scoped-tokens.service';
import { TokensController } from './tokens/tokens.controller';
import { ProviderWebhooksController } from './webhooks/provider-webhooks.controller';

/**
 * The public HTTP API: it reads projections and hands every write to its stream's owner
 * through a port (`GenerationCommands`, `CreditGrants`, `SpendCaps`, `ProviderCallbacks`), whose modules
 * the app imports next to this one (decision 0022); its webhook-endpoint routes call the
 * `WebhookEndpoints` port of `OutboundWebhooksModule`, composed the same way.
 */
@Module({})
export class GatewayModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(requestIdMiddleware, bodyReader()).forRoutes('*path');
  }

  static register(options: GatewayOptions): DynamicModule {
    return {
      module: GatewayModule,
      controllers: [
        GenerationsController,
        WebhookEndpointsController,
        RequestWebhooksController,
        TokensController,
        GenerationReadsController,
        UploadsController,
        AssetsController,
        ModelsController,
        CreditsController,
        SpendController,
        BatchesController,
        AdminController,
        DeadLettersController,
        ProjectionsController,
        ProviderWebhooksController,
        OpenAiImagesController,
      ],
      providers: [
        { provide: GATEWAY_OPTIONS, useValue: options },
        { provide: APP_FILTER, useClass: ProblemFilter },
        { provide: APP_INTERCEPTOR, useClass: TaskLogContextInterceptor },
        // In this order: a NUL or lone surrogate is named before validation reads the value.
        { provide: APP_PIPE, useClass: WellFormedTextPipe },
        { provide: APP_PIPE, useValue: validationPipe },
        { provide: ModelCatalog, useValue: options.catalog },
        { provide: ImageDecoder, useValue: options.images ?? new ImageDecoder() },
        AccountsRepository,
        ApiKeyGuard,
        AssetAccessGuard,
        ScopedTokensService,
        AdminGuard,
        RateLimitService,
        FailedAuthThrottle,
        GenerationsService,
        SpendService,
        BatchesService,
        SpendCapChecks,
        GenerationListService,
        GenerationTimelineService,
        GenerationStreamService,
        AssetsService,
        UploadsRepository,
        UploadsService,
        UploadSlots,
        UploadTempDirectory,
        IdempotencyService,
        OpenAiImagesService,
      ],
      exports: [AccountsRepository],
    };
  }
}
