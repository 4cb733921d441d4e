import { Logger, Module, type DynamicModule, type INestApplication, type LogLevel, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { consumerOverrides, loadConfig, ProcessEnv } from '@darkroom/config';
import { PinoLogger } from '@darkroom/logging';
import { EventTransport, type ConsumerOptions } from '@darkroom/messaging';
import { DarkroomMetrics } from '@darkroom/observability';
import { HealthController } from './health.controller';
import { httpObservability } from './http-observability';
import type { Platform } from './platform';
import { PlatformModule } from './platform.module';

export interface AppOptions {
  readonly name: string;
  readonly platform: Platform;
  /** Service modules this process hosts: one in production, all five embedded. */
  readonly modules: readonly (Type<unknown> | DynamicModule)[];
  readonly port: number;
  readonly host?: string;
  readonly logLevel?: string;
  /** Where LOG_FORMAT is not set: JSON lines for services, text for the embedded mode. */
  readonly defaultLogFormat?: 'json' | 'text';
  /** Delivery settings by consumer name, where a service needs other than the bus defaults. */
  readonly consumerOptions?: Readonly<Record<string, ConsumerOptions>>;
  /** Runs on the application before it listens, e.g. to mount the OpenAPI docs. */
  readonly configure?: (app: INestApplication) => void | Promise<void>;
}

const levels: readonly LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

function logLevelsUpTo(level = 'log'): LogLevel[] {
  return levels.slice(0, Math.max(levels.indexOf(level as LogLevel), 1) + 1);
}

/**
 * Starts one darkroom process: the HTTP server (API or just health) and the event
 * consumers of every hosted service, on the given platform. Stops cleanly on SIGTERM/SIGINT.
 */
export async function startApp(options: AppOptions): Promise<INestApplication> {
  const processEnv = loadConfig(ProcessEnv);
  @Module({
    imports: [PlatformModule.forRoot(options.platform, options.name, { metricsToken: processEnv.METRICS_TOKEN }), ...options.modules],
    controllers: [HealthController],
  })
  class DarkroomApp {}
  const enabled = logLevelsUpTo(options.logLevel);
  const format = processEnv.LOG_FORMAT ?? options.defaultLogFormat ?? 'json';
  const appLogger = format === 'json' ? new PinoLogger({ service: options.name, level: enabled[enabled.length - 1] }) : enabled;
  // No body-parser: it reads an over-limit body to its end before refusing it. The HTTP
  // edge (the gateway's body reader) reads bodies itself and keeps the raw bytes.
  const app = await NestFactory.create(DarkroomApp, { logger: appLogger, abortOnError: false, bodyParser: false });
  (app.getHttpAdapter().getInstance() as { disable(setting: string): void }).disable('x-powered-by');
  // First of all middleware: every request is timed and logged once, whatever answers it.
  app.use(httpObservability(app.get(DarkroomMetrics), new Logger('http'), format));
  app.connectMicroservice(
    {
      strategy: new EventTransport({
        bus: options.platform.bus,
        sql: options.platform.sql,
        ...(options.consumerOptions ? { consumerOptions: options.consumerOptions } : {}),
        // CONSUMER_* settings (operators, tests) win over each consumer's own.
        overrides: consumerOverrides(processEnv),
      }),
    },
    { inheritAppConfig: true },
  );
  await app.startAllMicroservices();
  await options.configure?.(app);
  await app.listen(options.port, options.host ?? '0.0.0.0');

  const logger = new Logger(options.name);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const started = performance.now();
    logger.log(`${signal}: stopping (at most ${processEnv.SHUTDOWN_GRACE_MS} ms)`);
    // Whatever still hangs then (a stuck connection, a call that ignores its drain) must not
    // outlive the grace period: the orchestrator's SIGKILL would come next anyway.
    setTimeout(() => {
      logger.error(`not stopped after ${processEnv.SHUTDOWN_GRACE_MS} ms: exiting`);
      process.exit(1);
    }, processEnv.SHUTDOWN_GRACE_MS).unref();
    // Nest's order: SSE streams end (module destroy), claim loops stop and drain (before
    // shutdown), the HTTP server finishes its requests and the consumers theirs (acks after
    // commit), then the relay and projection runners stop; the platform closes last.
    await app.close();
    await options.platform.close();
    logger.log(`stopped in ${Math.round(performance.now() - started)} ms`);
    process.exit(0);
  };
  // `on`, not `once`: Ctrl-C reaches every process of `npm start`'s group and the start script
  // forwards it too, so a second signal must not cut the graceful stop short.
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  return app;
}

/**
 * How long a service may let its work in hand finish on SIGTERM: most of the grace period,
 * leaving the rest for the HTTP server, the consumers and the platform to close.
 */
export function drainBudgetMs(graceMs: number): number {
  return Math.max(graceMs - Math.max(graceMs / 5, 2000), graceMs / 2);
}

/** Prints a boot failure (a bad setting names its variable) and exits non-zero. */
export function exitOnBootError(error: unknown): never {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
