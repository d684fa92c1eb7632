// Whole-file writes that either land completely or not at all: a temporary file beside the target,
// fsync, then rename. A full disk leaves the old file as it was.
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';

/**
 * `durable` (the default) fsyncs before the rename, so a crash leaves the old or the new file, never
 * an empty one. Files that are rewritten every run and only inform (the backup, last-run.json) skip it:
 * an fsync costs milliseconds of a libuv thread that every run of a busy scheduler shares.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  mode = 0o600,
  durable = true,
): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fh = await open(tmp, 'wx', mode);
  try {
    await fh.writeFile(data);
    if (durable) await fh.sync();
  } catch (err) {
    await fh.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
}
