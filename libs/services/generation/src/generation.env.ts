import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { toInt } from '@darkroom/config';

/** The generation service's settings, loaded by the app that hosts it with `loadConfig(GenerationEnv)`. */
export class GenerationEnv {
  /** How often the generation service fails tasks past their deadline. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(100) @Max(600000) DEADLINE_SWEEP_INTERVAL_MS = 5000;
}
