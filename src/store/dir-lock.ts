/**
 * One process per embedded store. PGlite does not guard its data directory: a second
 * instance opens the same files, each keeps its own buffers, and the cluster diverges
 * (checked: a table created by one was empty to the other). A lock file with the owner's
 * pid refuses a second opener and lets a crashed owner's lock be taken over.
 */
import { open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export class StoreLockedError extends Error {
  override readonly name = 'StoreLockedError';
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(`the store in ${dir} is in use by process ${pid}${pid === process.pid ? ' (this process)' : ''}`);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock or throws StoreLockedError; the returned function releases it. */
export async function lockDir(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, 'surgeline.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return async () => {
        await unlink(path).catch(() => {});
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(owner) && owner > 0 && alive(owner)) throw new StoreLockedError(dir, owner);
    // Stale (owner gone, or a half-written file): remove and race for it again.
    await unlink(path).catch(() => {});
  }
  throw new Error(`could not take the store lock in ${dir}`);
}
