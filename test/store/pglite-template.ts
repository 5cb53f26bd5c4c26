/**
 * Test helper: a fresh PGlite data directory that already holds the migrated cluster.
 *
 * PGlite's initdb plus our migrations take 4–5 s per store on these machines, and dozens of
 * test files each open fresh stores (every store and API test on the embedded backend, the
 * IVR and ACD harnesses, the spawned servers of the e2e tests): minutes of the suite. So the
 * first process that needs one builds a template through the real openStore (initdb and every
 * migration, exactly as a first start does) and the others copy it (cp -a, ~0.1 s).
 * Opening the copy still runs `migrate`, which finds nothing to do.
 *
 * The template's name carries a hash of the store code (migrations, migrate.ts, db.ts) and the
 * PGlite version, so a changed migration builds a new template. It is built in a private
 * directory and renamed into place, so concurrent test processes never see half of one.
 * test/store/migrate.test.ts still migrates from an empty cluster; this is only a shortcut to
 * the state it proves.
 */
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openStore, pgliteDir } from '../../src/store/db.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

async function storeCodeHash(): Promise<string> {
  const h = createHash('sha256');
  const migrations = path.join(ROOT, 'src/store/migrations');
  const files = [
    ...(await readdir(migrations)).sort().map((f) => path.join(migrations, f)),
    path.join(ROOT, 'src/store/migrate.ts'),
    path.join(ROOT, 'src/store/db.ts'),
    path.join(ROOT, 'node_modules/@electric-sql/pglite/package.json'),
  ];
  for (const f of files) h.update(f).update(await readFile(f));
  return h.digest('hex').slice(0, 16);
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

let template: Promise<string> | undefined;

/** The migrated template's data dir, built once per machine and store-code version. */
function templateDir(): Promise<string> {
  template ??= (async () => {
    const dir = path.join(tmpdir(), `surgeline-pglite-template-${await storeCodeHash()}`);
    if (await exists(path.join(dir, 'pgdata'))) return dir;
    const build = await mkdtemp(path.join(tmpdir(), 'surgeline-pglite-build-'));
    const store = await openStore({ dataDir: build });
    await store.close();
    try {
      await rename(build, dir);
    } catch (err) {
      // Another process renamed its build first: theirs is as good as ours.
      await rm(build, { recursive: true, force: true });
      if (!(await exists(path.join(dir, 'pgdata')))) throw err;
    }
    return dir;
  })();
  return template;
}

/** A new temporary data dir holding a copy of the migrated cluster; the caller removes it. */
export async function freshPgliteDataDir(prefix = 'surgeline-store-'): Promise<string> {
  const from = await templateDir();
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  // cp(1): Node 20's fs.cp walks the ~1,100 files of a cluster in JS, 20× slower.
  await promisify(execFile)('cp', ['-a', pgliteDir(from), pgliteDir(dir)]);
  return dir;
}
