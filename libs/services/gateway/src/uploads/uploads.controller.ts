import { Controller, Get, HttpCode, Param, Post, Req, UploadedFile, UseGuards, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiTags } from '@nestjs/swagger';
import { DomainError } from '@darkroom/kernel';
import { ApiKeyGuard, type AuthenticatedRequest } from '../http/auth.guards';
import { toUploadResource } from './upload.resource';
import { MAX_UPLOAD_BYTES, UploadTooLargeInterceptor } from './upload-too-large.interceptor';
import { UploadsService } from './uploads.service';

/** The part of multer's file this controller reads (multer ships no types). */
interface ReceivedFile {
  readonly buffer: Buffer;
}

@ApiTags('uploads')
@ApiBearerAuth()
@Controller('v1/uploads')
@UseGuards(ApiKeyGuard)
export class UploadsController {
  constructor(private readonly uploads: UploadsService) {}

  /**
   * multipart/form-data with one part named `file`, held in memory (multer's default
   * storage) up to `MAX_UPLOAD_BYTES`; the guard runs first, so strangers upload nothing.
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
  @UseInterceptors(
    UploadTooLargeInterceptor,
    FileInterceptor('file', { limits: { fileSize: MAX_UPLOAD_BYTES, files: 1, fields: 8 } }),
  )
  async create(@Req() request: AuthenticatedRequest, @UploadedFile() file: ReceivedFile | undefined) {
    if (!file) {
      throw new DomainError('invalid_request', 'validation', 'Send the image as multipart/form-data in a part named "file".', {
        errors: [{ field: 'file', message: 'file is required' }],
      });
    }
    return toUploadResource(await this.uploads.create(request.accountId, file.buffer));
  }

  /** The caller's upload; another account's is a 404 `upload_not_found`. */
  @Get(':id')
  async get(@Req() request: AuthenticatedRequest, @Param('id') id: string) {
    return toUploadResource(await this.uploads.get(request.accountId, id));
  }
}
