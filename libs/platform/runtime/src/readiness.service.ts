import { Inject, Injectable } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { epochMs } from '@darkroom/kernel';
import {
  cachedFor,
  evaluateReadiness,
  isStalled,
  stallThresholdMs,
  type CheckResult,
  type LoopActivity,
  type Readiness,
} from '@darkroom/observability';
import type { Platform } from './platform';
import { ProjectionHost } from './projection.host';
import { RelayHost } from './relay.host';
import { PLATFORM } from './tokens';

/** Readiness answers are reused this long, so frequent probes cost one round of checks per second. */
const CACHE_MS = 1000;
/** A dependency that has not answered by then counts as down. */
const CHECK_TIMEOUT_MS = 2000;

/**
 * What `/health/ready` reports: the database answers, the broker connection is up, the bucket
 * answers (where this process uses one), and neither the relay nor any projection runner of this process is stalled.
 */
@Injectable()
export class ReadinessService {
  private readonly stallAfterMs: number;
  private hosts?: ProjectionHost[];
  /** Checks the app adds for its own start-up (the embedded mode: its dev account's credits are visible). */
  private readonly extra: Record<string, () => Promise<CheckResult>> = {};
  readonly readiness: () => Promise<Readiness>;

  constructor(
    @Inject(PLATFORM) private readonly platform: Platform,
    private readonly relayHost: RelayHost,
    private readonly discovery: DiscoveryService,
  ) {
    this.stallAfterMs = stallThresholdMs(platform.pollIntervalMs);
    this.readiness = cachedFor(CACHE_MS, () =>
      evaluateReadiness(
        {
          database: () => this.database(),
          broker: async () => this.broker(),
          ...(platform.usesBucket === false ? {} : { bucket: () => this.bucket() }),
          relay: async () => this.relay(),
          projections: async () => this.projections(),
          ...this.extra,
        },
        CHECK_TIMEOUT_MS,
      ),
      epochMs(platform.clock),
    );
  }

  /**
   * Adds a check to `/health/ready`, e.g. one that passes once the app's start-up work is
   * visible to requests; it passes for good once it has passed.
   */
  addCheck(name: string, check: () => Promise<CheckResult>): void {
    let passed: CheckResult | undefined;
    this.extra[name] = async () => {
      if (passed) return passed;
      const result = await check();
      if (result.ok) passed = result;
      return result;
    };
  }

  /** The projection hosts of this process's service modules (found once, after the app is built). */
  projectionHosts(): ProjectionHost[] {
    this.hosts ??= this.discovery
      .getProviders()
      .map((wrapper) => wrapper.instance as unknown)
      .filter((instance): instance is ProjectionHost => instance instanceof ProjectionHost);
    return this.hosts;
  }

  private async database(): Promise<CheckResult> {
    await this.platform.sql.query('SELECT 1');
    return { ok: true };
  }

  private broker(): CheckResult {
    const { bus } = this.platform;
    if (!bus.isConnected) return { ok: true, detail: 'in-process bus' };
    return bus.isConnected() ? { ok: true } : { ok: false, detail: 'not connected to the broker' };
  }

  private async bucket(): Promise<CheckResult> {
    await this.platform.objects.probe();
    return { ok: true };
  }

  private relay(): CheckResult {
    const activity = this.relayHost.relay.activity;
    return this.loop(activity, activity.active ? 'active' : 'standby: another instance holds the lock');
  }

  private projections(): CheckResult {
    const runners = this.projectionHosts().flatMap((host) => host.runners);
    if (runners.length === 0) return { ok: true, detail: 'no projections in this process' };
    const byName = Object.fromEntries(runners.map((runner) => [runner.name, this.loop(runner.activity)]));
    const stalled = Object.keys(byName).filter((name) => !byName[name].ok);
    return {
      ok: stalled.length === 0,
      ...(stalled.length > 0 ? { detail: `stalled: ${stalled.join(', ')}` } : {}),
      runners: byName,
    };
  }

  private loop(activity: LoopActivity, detail?: string): CheckResult {
    const stalled = isStalled(activity, this.platform.clock.now(), this.stallAfterMs);
    return {
      ok: !stalled,
      ...(stalled ? { detail: `no successful round for more than ${this.stallAfterMs} ms` } : detail ? { detail } : {}),
      ...(activity.lastTickAt ? { lastTickAt: activity.lastTickAt.toISOString() } : {}),
    };
  }
}
