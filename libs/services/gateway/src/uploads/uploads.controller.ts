import { Controller, Get, HttpCode, Param, Post, Req, UploadedFiles, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiTags } from '@nestjs/swagger';
import { DomainError } from '@darkroom/kernel';
import { ApiKeyGuard, type AuthenticatedRequest } from '../http/auth.guards';
import { toUploadResource } from './upload.resource';
import type { ReceivedFile } from './multipart-receiver';
import { MultipartInterceptor } from './multipart.interceptor';
import { MAX_UPLOAD_BYTES, MAX_UPLOAD_REQUEST_BYTES } from './upload-limits';
import { UploadsService } from './uploads.service';

const UPLOAD_PARTS = { files: { file: 1 }, maxFileBytes: MAX_UPLOAD_BYTES, maxRequestBytes: MAX_UPLOAD_REQUEST_BYTES, maxFields: 8 };

@ApiTags('uploads')
@ApiBearerAuth()
@Controller('v1/uploads')
@UseGuards(ApiKeyGuard)
export class UploadsController {
  constructor(private readonly uploads: UploadsService) {}

  /**
   * multipart/form-data with one part named `file`, streamed to a temp file up to
   * `MAX_UPLOAD_BYTES` (`MultipartInterceptor`); the guard runs first, so strangers upload nothing.
   */
  @Post()
  @HttpCode(201)
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['file'],
      properties: { file: { type: 'string', format: 'binary', description: 'A PNG, JPEG or WebP image.' } },
    },
  })
  @UseInterceptors(MultipartInterceptor(UPLOAD_PARTS))
  async create(@Req() request: AuthenticatedRequest, @UploadedFiles() files: Record<string, ReceivedFile[]> | undefined) {
    const file = files?.['file']?.[0];
    if (!file) {
      throw new DomainError('invalid_request', 'validation', 'Send the image as multipart/form-data in a part named "file".', {
        errors: [{ field: 'file', message: 'file is required' }],
      });
    }
    return toUploadResource(await this.uploads.create(request.accountId, file));
  }

  /** The caller's upload; another account's is a 404 `upload_not_found`. */
  @Get(':id')
  async get(@Req() request: AuthenticatedRequest, @Param('id') id: string) {
    return toUploadResource(await this.uploads.get(request.accountId, id));
  }
}
