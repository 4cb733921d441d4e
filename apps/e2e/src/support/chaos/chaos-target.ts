import { exec } from 'node:child_process';
import { promisify } from 'node:util';
import { SERVICES, startSystem, type System } from '../system';

/** A fault the soak can inject; each ends by itself (a restart, a restored connection). */
export type FaultKind = 'kill' | 'cut-database' | 'cut-broker' | 'stop-bucket';
export const FAULT_KINDS: readonly FaultKind[] = ['kill', 'cut-database', 'cut-broker', 'stop-bucket'];

/** Where the soak sends its tasks and how it hurts the deployment. */
export interface ChaosTarget {
  readonly gatewayUrl: string;
  readonly adminKey: string;
  /** Injects one fault and resolves when it is over; returns what it did, for the report. */
  inject(kind: FaultKind, outageMs: number): Promise<string>;
  close(): Promise<void>;
}

const random = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The distributed processes on this machine, started by the soak itself from the built apps
 * (`dist/apps`): `replicas` instances of each service, the gateways behind a round-robin
 * balancer, PostgreSQL and RabbitMQ reached through proxies the soak cuts, and an s3rver it stops.
 */
export async function localTarget(replicas: number): Promise<ChaosTarget> {
  const system: System = await startSystem('chaos', {
    replicas,
    proxies: { database: true, broker: true },
    env: { DATABASE_POOL_SIZE: '3', SHUTDOWN_GRACE_MS: '8000' },
  });
  return {
    gatewayUrl: system.gatewayUrl,
    adminKey: system.adminKey,
    async inject(kind, outageMs) {
      switch (kind) {
        case 'kill': {
          const name = random(SERVICES);
          const index = Math.floor(Math.random() * replicas);
          await system.restartInstance(name, index, 'SIGKILL');
          return `SIGKILL ${name}#${index + 1}`;
        }
        case 'cut-database':
        case 'cut-broker': {
          const proxy = kind === 'cut-database' ? system.proxies.database! : system.proxies.broker!;
          proxy.cut();
          await sleep(outageMs);
          proxy.restore();
          return `${kind} ${outageMs} ms`;
        }
        case 'stop-bucket':
          await system.s3.stop();
          await sleep(outageMs);
          await system.s3.start();
          return `stop-bucket ${outageMs} ms`;
      }
    },
    close: () => system.stop(),
  };
}

/**
 * A deployment somewhere else (a cluster): faults are shell commands the operator gives, e.g.
 * `kill=kubectl -n darkroom delete pod -l app.kubernetes.io/name={service} --wait=false` or
 * `cut-database=...`; `{service}` becomes a random service's name and `{ms}` the outage. A
 * command should return once the fault is over (or be instantaneous, as a pod deletion is).
 */
export function remoteTarget(gatewayUrl: string, adminKey: string, commands: Partial<Record<FaultKind, string>>): ChaosTarget {
  const run = promisify(exec);
  return {
    gatewayUrl: gatewayUrl.replace(/\/$/, ''),
    adminKey,
    async inject(kind, outageMs) {
      const template = commands[kind];
      if (!template) throw new Error(`no command for the fault ${kind}: pass --fault ${kind}=<command>`);
      const command = template.replaceAll('{service}', random(SERVICES)).replaceAll('{ms}', String(outageMs));
      await run(command, { timeout: outageMs + 120_000 });
      return command;
    },
    close: () => Promise.resolve(),
  };
}
