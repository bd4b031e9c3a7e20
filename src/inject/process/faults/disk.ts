/** disk: fills a directory with one file of the given size (fallocate, or written zeros); the file is removed at the TTL. */
import { execFile } from 'node:child_process';
import { open, rm, stat, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { FaultlineError } from '../../../core/errors.js';
import { findExecutable } from '../tools.js';
import { bytesParam, onlyKnown, stringParam } from './params.js';
import { defineFault, type ApplyContext } from './types.js';

const fillFile = (ctx: ApplyContext, dir: string): string => join(dir, `faultline-fill-${ctx.id}.bin`);

const CHUNK = 8 * 1024 * 1024;

async function writeZeros(file: string, bytes: number): Promise<void> {
  const fh = await open(file, 'wx');
  try {
    const chunk = Buffer.alloc(Math.min(CHUNK, bytes));
    for (let done = 0; done < bytes; done += chunk.length) {
      await fh.write(chunk, 0, Math.min(chunk.length, bytes - done));
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export const disk = defineFault({
  kind: 'disk',
  summary: 'fill a directory with a file of the given size until the TTL',
  target: 'optional',
  validate(params) {
    onlyKnown('disk', params, ['dir', 'size']);
    const dir = stringParam('disk', params, 'dir', tmpdir());
    return { dir: isAbsolute(dir) ? dir : resolve(dir), size: bytesParam('disk', params, 'size') };
  },
  planAhead: (ctx, _t, p) => [{ op: 'unlink', path: fillFile(ctx, p.dir) }],
  async apply(ctx, _t, p) {
    const st = await stat(p.dir).catch(() => undefined);
    if (!st?.isDirectory()) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `disk: param "dir" (${p.dir}) is not an existing directory`);
    const fs = await statfs(p.dir);
    const free = fs.bavail * fs.bsize;
    if (p.size > free) {
      throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `disk: param "size" (${p.size} bytes) is more than the ${free} bytes free in ${p.dir}; use a smaller size`);
    }
    const file = fillFile(ctx, p.dir);
    let method = 'write';
    const fallocate = findExecutable('fallocate');
    try {
      if (fallocate) {
        try {
          await promisify(execFile)(fallocate, ['-l', String(p.size), file]);
          method = 'fallocate';
        } catch {
          await rm(file, { force: true });
          await writeZeros(file, p.size);
        }
      } else {
        await writeZeros(file, p.size);
      }
    } catch (e) {
      await rm(file, { force: true });
      throw new FaultlineError('FL_ERR_PROCESS_FAULT', `disk: could not write ${file}: ${(e as Error).message}`, { cause: e });
    }
    return { plan: [{ op: 'unlink', path: file }], detail: { file, bytes: p.size, method } };
  },
});
