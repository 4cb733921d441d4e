import { mkdir, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';

const PREFIX = 'darkroom-uploads-';

/** Whether a process of this id runs (EPERM: it does, as another user). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * This process's directory for upload temp files, `<os temp>/darkroom-uploads-<pid>`: made
 * empty at boot and removed at shutdown, and at boot the directories of processes that died
 * without removing theirs (a crash mid-upload) are removed too, so no upload outlives its
 * process on disk for longer than the next boot.
 */
@Injectable()
export class UploadTempDirectory implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(UploadTempDirectory.name);
  readonly path = join(tmpdir(), `${PREFIX}${process.pid}`);

  async onModuleInit(): Promise<void> {
    const stale = (await readdir(tmpdir())).filter((name) => {
      const pid = name.startsWith(PREFIX) ? Number(name.slice(PREFIX.length)) : NaN;
      // Our own name too: a restarted container often gets the same pid.
      return Number.isInteger(pid) && (pid === process.pid || !running(pid));
    });
    for (const name of stale) await rm(join(tmpdir(), name), { recursive: true, force: true });
    const others = stale.filter((name) => name !== `${PREFIX}${process.pid}`).length;
    if (others > 0) this.logger.log(`removed upload temp files left by ${others} stopped process(es)`);
    await mkdir(this.path, { recursive: true, mode: 0o700 });
  }

  async onModuleDestroy(): Promise<void> {
    await rm(this.path, { recursive: true, force: true });
  }
}
