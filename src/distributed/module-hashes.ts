// A worker checks the content (sha256) of an agent's module for every job it takes. Hashing the file
// each time reads it each time; this remembers each file's hash with what changes when the file
// does (size, mtime, inode, ctime, from one stat), so thousands of steps of one agent read it once,
// and a file changed on disk (rewritten, or replaced by a rename) is read and hashed again.
import { createHash } from "node:crypto";
import { open, stat } from "node:fs/promises";

/**
 * A file whose mtime is this close to when it was hashed may change again within the same tick of
 * the filesystem's clock (a jiffy on Linux, a second or two on some filesystems) with nothing in its
 * stat to show it: its hash is not trusted the next time (git's "racy clean" entries).
 */
const RACY_MS = 2_000;

interface Hashed {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  sha256: string;
  /** Whether the file may have changed since without its stat showing it (see RACY_MS). */
  racy: boolean;
}

/** The sha256 of files, read again only when their stat changed. */
export class ModuleHashes {
  readonly #hashed = new Map<string, Hashed>();
  #reads = 0;

  /** How many times a file was read and hashed (every other call was answered from its stat). */
  get reads(): number {
    return this.#reads;
  }

  /** The sha256 (hex) of the file at `path` (a real path: symlinks resolved). */
  async of(path: string): Promise<string> {
    const known = this.#hashed.get(path);
    if (known !== undefined && !known.racy) {
      const now = await stat(path);
      if (now.size === known.size && now.mtimeMs === known.mtimeMs && now.ctimeMs === known.ctimeMs && now.ino === known.ino) return known.sha256;
    }
    // Stat and content from one open file: a file replaced meanwhile is either one or the other.
    const file = await open(path, "r");
    try {
      const { size, mtimeMs, ctimeMs, ino } = await file.stat();
      const sha256 = createHash("sha256").update(await file.readFile()).digest("hex");
      this.#reads++;
      this.#hashed.set(path, { size, mtimeMs, ctimeMs, ino, sha256, racy: Date.now() - mtimeMs < RACY_MS });
      return sha256;
    } finally {
      await file.close();
    }
  }
}
