import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { toInt } from '@darkroom/config';

/** The generation service's settings, loaded by the app that hosts it with `loadConfig(GenerationEnv)`. */
export class GenerationEnv {
  /** How often the generation service fails tasks past their deadline. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(100) @Max(600000) DEADLINE_SWEEP_INTERVAL_MS = 5000;
  /** Consecutive retryable failures of one (provider, model), within the window, that open its circuit breaker. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(1000) CIRCUIT_FAILURE_THRESHOLD = 5;
  /** How far back the failures that open a circuit are counted, in seconds. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(86400) CIRCUIT_WINDOW_SECONDS = 60;
  /** How long an open circuit sends attempts to the fallback before a probe may try the provider again, in seconds. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(86400) CIRCUIT_COOLDOWN_SECONDS = 30;
}

/** The circuit breakers' policy from the settings. */
export const circuitPolicy = (env: GenerationEnv) => ({
  threshold: env.CIRCUIT_FAILURE_THRESHOLD,
  windowSeconds: env.CIRCUIT_WINDOW_SECONDS,
  cooldownSeconds: env.CIRCUIT_COOLDOWN_SECONDS,
});
