// Images a helper client may boot: regular files inside the helper's images
// folder, and nothing else. Names are relative paths; absolute paths, ".."
// segments, NUL bytes and symlinks that lead outside the folder are refused
// (the real path of the file must lie under the real path of the folder).

import { lstatSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';

import { ProtocolError } from './protocol.js';

const MAX_LISTED = 1000;
const MAX_DEPTH = 3;

export class ImagesFolder {
  readonly root: string;

  constructor(dir: string) {
    this.root = realpathSync(dir);
    if (!statSync(this.root).isDirectory()) throw new Error(`${dir} is not a directory`);
  }

  /** The real path of image `name`, or a ProtocolError 'bad-image' saying why not. */
  resolve(name: string): string {
    const refuse = (why: string): never => {
      throw new ProtocolError('bad-image', `image "${name.slice(0, 200)}": ${why}`);
    };
    if (name === '' || name.includes('\0')) refuse('an empty or malformed name');
    if (isAbsolute(name) || /^[a-zA-Z]:/.test(name)) refuse('absolute paths are refused; name a file inside the images folder');
    if (name.split(/[\\/]/).includes('..')) refuse('".." is refused; name a file inside the images folder');
    let real: string;
    try {
      real = realpathSync(join(this.root, name));
    } catch {
      return refuse('no such image in the images folder');
    }
    const rel = relative(this.root, real);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || rel.split(sep).includes('..'))
      refuse('it leads outside the images folder');
    if (!statSync(real).isFile()) refuse('not a regular file');
    return real;
  }

  /** Regular files under the folder (symlinks only when they stay inside), with sizes. */
  list(): { name: string; bytes: number }[] {
    const out: { name: string; bytes: number }[] = [];
    const walk = (dir: string, depth: number): void => {
      for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
        if (out.length >= MAX_LISTED) return;
        const path = join(dir, e.name);
        const name = relative(this.root, path);
        if (e.isDirectory() && !lstatSync(path).isSymbolicLink()) {
          if (depth < MAX_DEPTH) walk(path, depth + 1);
          continue;
        }
        try {
          const real = this.resolve(name);
          out.push({ name, bytes: statSync(real).size });
        } catch {
          // Not bootable from here (a symlink out, a socket, ...): not listed.
        }
      }
    };
    walk(this.root, 0);
    return out;
  }
}
