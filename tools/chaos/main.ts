/**
 * The chaos soak (issue 15, item 8): tasks of mixed outcomes at a fixed rate while faults hit a
 * deployment, then darkroom's invariants, printed as one JSON line on stdout (progress on stderr).
 *
 *   npm run chaos -- [--seconds 60] [--rate 5] [--accounts 5] [--fault-every 4]
 *                    [--faults kill,cut-database,cut-broker,stop-bucket] [--outage-ms 5000] [--replicas 2]
 *
 * starts the distributed processes here itself (the built apps in `dist/apps`, `replicas` of each,
 * PostgreSQL and RabbitMQ through proxies it cuts, an s3rver it stops). Against a deployment
 * elsewhere, give its URL, an admin key and a command per fault:
 *
 *   npm run chaos -- --target https://darkroom.example.com --admin-key "$ADMIN_API_KEY" \
 *     --fault 'kill=kubectl -n darkroom delete pod -l app.kubernetes.io/name={service} --wait=false' \
 *     --faults kill --model local --seconds 3600 --rate 2
 *
 * The exit code is 1 when any invariant was violated. The model must honour the local
 * renderer's test markers (`[fail]`, `[slow:ms]`: `LOCAL_PROVIDER_TEST_MARKERS=true`).
 */
import { parseArgs } from 'node:util';
import { FAULT_KINDS, localTarget, remoteTarget, type ChaosTarget, type FaultKind } from '../../apps/e2e/src/support/chaos/chaos-target';
import { runSoak } from '../../apps/e2e/src/support/chaos/soak';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '60' },
      rate: { type: 'string', default: '5' },
      accounts: { type: 'string', default: '5' },
      'fault-every': { type: 'string', default: '4' },
      faults: { type: 'string', default: FAULT_KINDS.join(',') },
      'outage-ms': { type: 'string', default: '5000' },
      replicas: { type: 'string', default: '2' },
      model: { type: 'string', default: 'local' },
      'settle-seconds': { type: 'string', default: '600' },
      target: { type: 'string' },
      'admin-key': { type: 'string' },
      fault: { type: 'string', multiple: true, default: [] },
    },
  });
  const number = (name: string, value: string | undefined, min: number): number => {
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < min) throw new Error(`--${name} must be a number ≥ ${min}, got ${value}`);
    return parsed;
  };
  const faults = (values.faults ?? '').split(',').filter(Boolean) as FaultKind[];
  const unknown = faults.filter((fault) => !FAULT_KINDS.includes(fault));
  if (unknown.length > 0) throw new Error(`--faults: unknown ${unknown.join(', ')} (known: ${FAULT_KINDS.join(', ')})`);

  let target: ChaosTarget;
  if (values.target) {
    if (!values['admin-key']) throw new Error('--target needs --admin-key');
    const commands = Object.fromEntries((values.fault ?? []).map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));
    target = remoteTarget(values.target, values['admin-key'], commands);
  } else {
    process.stderr.write('chaos: starting the distributed processes here\n');
    target = await localTarget(number('replicas', values.replicas, 1));
  }
  try {
    const report = await runSoak(
      target,
      {
        seconds: number('seconds', values.seconds, 1),
        rate: number('rate', values.rate, 0.1),
        accounts: number('accounts', values.accounts, 1),
        faultEverySeconds: number('fault-every', values['fault-every'], 0),
        faults,
        outageMs: number('outage-ms', values['outage-ms'], 0),
        model: values.model ?? 'local',
        settleSeconds: number('settle-seconds', values['settle-seconds'], 1),
      },
      (line) => process.stderr.write(`chaos: ${line}\n`),
    );
    process.stdout.write(`${JSON.stringify(report)}\n`);
    process.exitCode = report.violations === 0 ? 0 : 1;
  } finally {
    await target.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`chaos: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
});
