import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UploadTempDirectory } from './upload-temp-directory';

describe('UploadTempDirectory', () => {
  it("removes dead processes' leftovers at boot, keeps live ones', and its own directory at shutdown", async () => {
    // No process has an id this large (Linux pid_max is at most 2^22).
    const dead = join(tmpdir(), 'darkroom-uploads-99999999');
    const live = join(tmpdir(), `darkroom-uploads-${process.ppid}`);
    for (const directory of [dead, live]) {
      await mkdir(join(directory, 'darkroom-upload-x'), { recursive: true });
      await writeFile(join(directory, 'darkroom-upload-x', 'file'), 'half an upload');
    }
    const temp = new UploadTempDirectory();
    try {
      await temp.onModuleInit();
      expect([existsSync(dead), existsSync(live), existsSync(temp.path)]).toEqual([false, true, true]);
      await temp.onModuleDestroy();
      expect(existsSync(temp.path)).toBe(false);
    } finally {
      await Promise.all([dead, live].map((directory) => rm(directory, { recursive: true, force: true })));
    }
  });
});
