import { Body, Controller, Get, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import type { Request } from 'express';
import { ApiKeyGuard, type AuthenticatedRequest } from '../http/auth.guards';
import { requestIdOf } from '../http/request-id';
import { CreateGenerationDto } from './create-generation.dto';
import { GenerationsService } from './generations.service';
import { toTaskResource } from './task.resource';

export const baseUrlOf = (request: Request): string => `${request.protocol}://${request.get('host')}`;

@Controller('v1/generations')
@UseGuards(ApiKeyGuard)
export class GenerationsController {
  constructor(private readonly generations: GenerationsService) {}

  @Post()
  @HttpCode(202)
  async create(@Req() request: AuthenticatedRequest, @Body() body: CreateGenerationDto) {
    const row = await this.generations.create(request.accountId, body, requestIdOf(request));
    return toTaskResource(row, baseUrlOf(request));
  }

  /** 200 with the canceled task; a finished one is a 409 `generation_not_cancelable`. */
  @Post(':id/cancel')
  @HttpCode(200)
  async cancel(@Req() request: AuthenticatedRequest, @Param('id') id: string) {
    return toTaskResource(await this.generations.cancel(request.accountId, id, requestIdOf(request)), baseUrlOf(request));
  }

  @Get(':id')
  async get(@Req() request: AuthenticatedRequest, @Param('id') id: string) {
    return toTaskResource(await this.generations.get(request.accountId, id), baseUrlOf(request));
  }
}
