import { Body, Controller, HttpCode, Inject, Post, Req, Res, UploadedFiles, UseFilters, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiConsumes, ApiHeader, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { DomainError } from '@darkroom/kernel';
import { GATEWAY_OPTIONS, publicBaseUrlOf, type GatewayOptions } from '../gateway.options';
import { ApiKeyGuard, type AuthenticatedRequest } from '../http/auth.guards';
import { requestIdOf } from '../http/request-id';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_REPLAYED_HEADER, parseIdempotencyKey } from '../idempotency/idempotency-key';
import { MAX_REQUEST_IMAGES } from '../generations/create-generation.dto';
import type { ReceivedFile } from '../uploads/multipart-receiver';
import { MultipartInterceptor } from '../uploads/multipart.interceptor';
import { MAX_EDIT_REQUEST_BYTES, MAX_UPLOAD_BYTES } from '../uploads/upload-limits';
import { OpenAiProblemFilter } from './openai-error';
import { OpenAiImageEditDto, OpenAiImageGenerationDto } from './openai-images.dto';
import { OpenAiImagesService, type OpenAiImagesAnswer } from './openai-images.service';

/** The OpenAI SDK sends one image as `image`, several as `image[]`. */
type EditFiles = Partial<Record<'image' | 'image[]', ReceivedFile[]>>;

/** Edit inputs stream to temp files; a mask is refused as soon as its part begins. */
const EDIT_PARTS = {
  files: { image: MAX_REQUEST_IMAGES, 'image[]': MAX_REQUEST_IMAGES },
  refuse: {
    mask: () =>
      new DomainError('mask_not_supported', 'validation', 'Masks are not supported: darkroom edits the whole image. Send the edit without a mask.', {
        field: 'mask',
      }),
  },
  maxFileBytes: MAX_UPLOAD_BYTES,
  maxRequestBytes: MAX_EDIT_REQUEST_BYTES,
  maxFields: 32,
};
const idempotencyHeader = {
  name: 'Idempotency-Key',
  required: false,
  description: 'A repeat with the same key and body answers from the same task, charged once.',
};

/**
 * OpenAI's Images API on darkroom (decision 0012): point the `openai` SDK's base URL at
 * `<darkroom>/v1` with a darkroom API key. Errors are problems with OpenAI's `error` member.
 */
@ApiTags('openai-compat')
@Controller('v1/images')
@UseGuards(ApiKeyGuard)
@UseFilters(OpenAiProblemFilter)
export class OpenAiImagesController {
  constructor(
    private readonly images: OpenAiImagesService,
    @Inject(GATEWAY_OPTIONS) private readonly options: GatewayOptions,
  ) {}

  @Post('generations')
  @HttpCode(200)
  @ApiHeader(idempotencyHeader)
  async generate(
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) response: Response,
    @Body() body: OpenAiImageGenerationDto,
  ) {
    const answer = await this.images.handle({
      accountId: request.accountId,
      maxPriority: request.maxPriority,
      apiKeyId: request.apiKeyId,
      requestId: requestIdOf(request),
      baseUrl: publicBaseUrlOf(this.options),
      route: 'POST /v1/images/generations',
      dto: body,
      idempotencyKey: parseIdempotencyKey(request.headers[IDEMPOTENCY_KEY_HEADER]),
      fingerprintBody: request.body,
    });
    return answered(response, answer);
  }

  /** multipart/form-data: `image` (or `image[]`) files, the text fields; a `mask` is refused. */
  @Post('edits')
  @HttpCode(200)
  @ApiConsumes('multipart/form-data')
  @ApiHeader(idempotencyHeader)
  @UseInterceptors(MultipartInterceptor(EDIT_PARTS))
  async edit(
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) response: Response,
    @UploadedFiles() files: EditFiles | undefined,
    @Body() body: OpenAiImageEditDto,
  ) {
    const key = parseIdempotencyKey(request.headers[IDEMPOTENCY_KEY_HEADER]);
    const images = [...(files?.image ?? []), ...(files?.['image[]'] ?? [])];
    if (images.length === 0) {
      throw new DomainError('invalid_request', 'validation', 'Send the image to edit as a multipart file named "image".', {
        errors: [{ field: 'image', message: 'image is required' }],
      });
    }
    const answer = await this.images.handle({
      accountId: request.accountId,
      maxPriority: request.maxPriority,
      apiKeyId: request.apiKeyId,
      requestId: requestIdOf(request),
      baseUrl: publicBaseUrlOf(this.options),
      route: 'POST /v1/images/edits',
      dto: body,
      images,
      idempotencyKey: key,
      fingerprintBody: { ...request.body, image: images.map((file) => file.sha256) },
    });
    return answered(response, answer);
  }
}

function answered(response: Response, answer: OpenAiImagesAnswer) {
  response.setHeader('Darkroom-Task-Id', answer.body.task_id);
  if (answer.replayed) response.setHeader(IDEMPOTENT_REPLAYED_HEADER, 'true');
  return answer.body;
}
