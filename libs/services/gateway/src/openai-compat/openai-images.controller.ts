import { createHash } from 'node:crypto';
import { Body, Controller, HttpCode, Inject, Post, Req, Res, UploadedFiles, UseFilters, UseGuards, UseInterceptors } from '@nestjs/common';
import { FileFieldsInterceptor } from '@nestjs/platform-express';
import { ApiConsumes, ApiHeader, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { DomainError } from '@darkroom/kernel';
import { GATEWAY_OPTIONS, publicBaseUrlOf, type GatewayOptions } from '../gateway.options';
import { ApiKeyGuard, type AuthenticatedRequest } from '../http/auth.guards';
import { requestIdOf } from '../http/request-id';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_REPLAYED_HEADER, parseIdempotencyKey } from '../idempotency/idempotency-key';
import { MAX_REQUEST_IMAGES } from '../generations/create-generation.dto';
import { MAX_UPLOAD_BYTES, UploadTooLargeInterceptor } from '../uploads/upload-too-large.interceptor';
import { OpenAiProblemFilter } from './openai-error';
import { OpenAiImageEditDto, OpenAiImageGenerationDto } from './openai-images.dto';
import { OpenAiImagesService, type OpenAiImagesAnswer } from './openai-images.service';

/** The part of multer's file this controller reads (multer ships no types). */
interface ReceivedFile {
  readonly buffer: Buffer;
}

/** The OpenAI SDK sends one image as `image`, several as `image[]`. */
type EditFiles = Partial<Record<'image' | 'image[]' | 'mask', ReceivedFile[]>>;

const digest = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
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
  @UseInterceptors(
    UploadTooLargeInterceptor,
    FileFieldsInterceptor(
      [
        { name: 'image', maxCount: MAX_REQUEST_IMAGES },
        { name: 'image[]', maxCount: MAX_REQUEST_IMAGES },
        { name: 'mask', maxCount: 1 },
      ],
      { limits: { fileSize: MAX_UPLOAD_BYTES, files: MAX_REQUEST_IMAGES + 1, fields: 32 } },
    ),
  )
  async edit(
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) response: Response,
    @UploadedFiles() files: EditFiles | undefined,
    @Body() body: OpenAiImageEditDto,
  ) {
    const key = parseIdempotencyKey(request.headers[IDEMPOTENCY_KEY_HEADER]);
    if (files?.mask?.length) {
      throw new DomainError(
        'mask_not_supported',
        'validation',
        'Masks are not supported: darkroom edits the whole image. Send the edit without a mask.',
        { field: 'mask' },
      );
    }
    const images = [...(files?.image ?? []), ...(files?.['image[]'] ?? [])].map((file) => file.buffer);
    if (images.length === 0) {
      throw new DomainError('invalid_request', 'validation', 'Send the image to edit as a multipart file named "image".', {
        errors: [{ field: 'image', message: 'image is required' }],
      });
    }
    const answer = await this.images.handle({
      accountId: request.accountId,
      requestId: requestIdOf(request),
      baseUrl: publicBaseUrlOf(this.options),
      route: 'POST /v1/images/edits',
      dto: body,
      images,
      idempotencyKey: key,
      fingerprintBody: { ...request.body, image: images.map(digest) },
    });
    return answered(response, answer);
  }
}

function answered(response: Response, answer: OpenAiImagesAnswer) {
  response.setHeader('Darkroom-Task-Id', answer.body.task_id);
  if (answer.replayed) response.setHeader(IDEMPOTENT_REPLAYED_HEADER, 'true');
  return answer.body;
}
