/** The I/O of the input readers (a TextFiles reads a file or says it is not there), and reading a report that must exist. */
import { readFile, stat } from 'node:fs/promises';
import type { ErrorCode } from '../../core/error-codes.js';
import { reportError } from './report-error.js';

export interface TextFiles {
  /** the file's text, or undefined when it does not exist */
  readText(path: string): Promise<string | undefined>;
  /** whether a regular file is there (without reading it) */
  isFile(path: string): Promise<boolean>;
}

export const nodeTextFiles: TextFiles = {
  async readText(path) {
    try {
      return await readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
      throw e;
    }
  },
  async isFile(path) {
    try {
      return (await stat(path)).isFile();
    } catch {
      return false;
    }
  },
};

/** In-memory files for unit tests and for reports received over HTTP. */
export function memoryTextFiles(files: Record<string, string>): TextFiles {
  const map = new Map(Object.entries(files));
  return { readText: async (path) => map.get(path), isFile: async (path) => map.has(path) };
}

export interface ReadReportOptions {
  /** repository root that report paths are made relative to; default: the current directory */
  root?: string;
  files?: TextFiles;
}

/** Read a file that must exist, turning I/O failures into `code` errors naming the file. */
export async function readReportText(code: ErrorCode, file: string, files: TextFiles): Promise<string> {
  let text: string | undefined;
  try {
    text = await files.readText(file);
  } catch (e) {
    throw reportError(code, file, `cannot be read: ${e instanceof Error ? e.message : String(e)}`, {}, e);
  }
  if (text === undefined) throw reportError(code, file, 'does not exist');
  return text;
}
