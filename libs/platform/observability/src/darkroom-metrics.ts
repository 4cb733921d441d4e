import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Sets one labelled value of a scrape-time gauge. */
export type GaugeSetter<Label extends string> = (labels: Partial<Record<Label, string>>, value: number) => void;

/** Seconds; from a fast local render to a slow queued provider. */
const TASK_SECONDS = [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 900];
const HTTP_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120];
const CALL_SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120];

/**
 * The Prometheus registry of one process and darkroom's own instruments (all named
 * `darkroom_*`; the default process and Node.js metrics keep their standard names). Every
 * series carries `service` = the process name. Gauges that read the database or the broker
 * are computed at scrape time by the module that owns the data (`scrapeGauge`).
 */
export class DarkroomMetrics {
  readonly registry = new Registry();
  /** Created → completed or failed, by model and the provider of the last attempt ("none" when none ran). */
  readonly taskDuration: Histogram<'model' | 'provider' | 'status'>;
  /** Provider calls that failed: the adapter's failure code, or `exception` for a thrown error. */
  readonly providerErrors: Counter<'provider' | 'code'>;
  /** Provider calls (`submit`, `poll`, `cancel`) by outcome (`ok`, `failed`, `error`). */
  readonly providerRequestDuration: Histogram<'provider' | 'operation' | 'outcome'>;
  /** A scrape-time source that threw; its gauge keeps its last values. */
  readonly scrapeErrors: Counter<'source'>;
  /** HTTP requests served, by method, route pattern (`unmatched` for none) and status. */
  readonly httpRequestDuration: Histogram<'method' | 'route' | 'status'>;
  /** Outbound webhook delivery attempts by outcome: `succeeded`, `http_error` (a non-2xx answer), `network_error`. */
  readonly webhookDeliveryDuration: Histogram<'outcome'>;

  constructor(service: string, options: { defaultMetrics?: boolean } = {}) {
    this.registry.setDefaultLabels({ service });
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    this.taskDuration = new Histogram({
      name: 'darkroom_task_duration_seconds',
      help: 'Seconds from a task being created to it completing or failing, by model and provider.',
      labelNames: ['model', 'provider', 'status'],
      buckets: TASK_SECONDS,
      registers,
    });
    this.providerErrors = new Counter({
      name: 'darkroom_provider_errors_total',
      help: 'Provider calls that failed, by provider and failure code.',
      labelNames: ['provider', 'code'],
      registers,
    });
    this.providerRequestDuration = new Histogram({
      name: 'darkroom_provider_request_duration_seconds',
      help: 'Seconds per provider call, by provider, operation and outcome.',
      labelNames: ['provider', 'operation', 'outcome'],
      buckets: CALL_SECONDS,
      registers,
    });
    this.httpRequestDuration = new Histogram({
      name: 'darkroom_http_request_duration_seconds',
      help: 'Seconds per HTTP request, from its first byte to the end of its answer, by method, route and status.',
      labelNames: ['method', 'route', 'status'],
      buckets: HTTP_SECONDS,
      registers,
    });
    this.webhookDeliveryDuration = new Histogram({
      name: 'darkroom_outbound_webhook_duration_seconds',
      help: 'Seconds per outbound webhook delivery attempt, by outcome.',
      labelNames: ['outcome'],
      buckets: CALL_SECONDS,
      registers,
    });
    this.scrapeErrors = new Counter({
      name: 'darkroom_scrape_errors_total',
      help: 'Scrape-time sources that failed (the gauge kept its previous values).',
      labelNames: ['source'],
      registers,
    });
  }

  /**
   * A gauge whose values `collect` computes at every scrape. Registering a name twice keeps
   * the first (the embedded process hosts modules that offer the same read-model gauge).
   */
  scrapeGauge<Label extends string>(
    name: string,
    help: string,
    labelNames: readonly Label[],
    collect: (set: GaugeSetter<Label>) => Promise<void>,
  ): void {
    if (this.registry.getSingleMetric(name)) return;
    const scrapeErrors = this.scrapeErrors;
    new Gauge<Label>({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        const values: [Partial<Record<Label, string>>, number][] = [];
        try {
          await collect((labels, value) => values.push([labels, value]));
        } catch {
          scrapeErrors.inc({ source: name });
          return;
        }
        this.reset();
        for (const [labels, value] of values) this.set(labels, value);
      },
    });
  }

  /** Times `call` into `providerRequestDuration`; a throw counts as outcome `error` and rethrows. */
  async timeProviderCall<T>(
    provider: string,
    operation: string,
    call: () => Promise<T>,
    outcomeOf: (result: T) => { readonly outcome: string; readonly errorCode?: string } = () => ({ outcome: 'ok' }),
  ): Promise<T> {
    const stop = this.providerRequestDuration.startTimer({ provider, operation });
    try {
      const result = await call();
      const { outcome, errorCode } = outcomeOf(result);
      stop({ outcome });
      if (errorCode !== undefined) this.providerErrors.inc({ provider, code: errorCode });
      return result;
    } catch (error) {
      stop({ outcome: 'error' });
      this.providerErrors.inc({ provider, code: 'exception' });
      throw error;
    }
  }

  /** The exposition text and its content type, for `GET /metrics`. */
  async scrape(): Promise<{ readonly contentType: string; readonly body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
