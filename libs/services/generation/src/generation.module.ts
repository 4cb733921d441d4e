import { Inject, Injectable, Module } from '@nestjs/common';
import { PLATFORM, ProjectionHost, type Platform } from '@darkroom/runtime';
import { generationProjection } from './generations/generation.projection';
import { GenerationHandlers } from './generation.handlers';

@Injectable()
class GenerationProjections extends ProjectionHost {
  constructor(@Inject(PLATFORM) platform: Platform) {
    super(platform, [generationProjection as never]);
  }
}

@Module({ controllers: [GenerationHandlers], providers: [GenerationProjections] })
export class GenerationModule {}
