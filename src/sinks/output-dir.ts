/**
 * A run's output directory, replaced only by a run that finished. Everything is written into `<out>.tmp-<runId>/`
 * beside `--out`; when the run ends with a result worth keeping (exit 0, or 4: the analysis failed, which is a
 * result) the previous `<out>` is moved to `<out>.prev-<runId>`, the new one renamed to `<out>`, and the previous
 * one deleted. A run that crashed, found no usable input or was interrupted leaves `<out>` as it was; its partial
 * outputs (log lines, dead letters, a summary saying why) are kept as `<out>.failed-<runId>/`, and only the latest
 * failed directory of an output is kept. A run killed outright (SIGKILL) leaves its `<out>.tmp-<runId>/` behind,
 * never a damaged `<out>`.
 *
 * Directories are made one level at a time without `recursive`: Node 20's recursive mkdir spins forever on a
 * parent it may not create (`--out /proc/nope`), so a bad location fails at once with its reason.
 */
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { SinkError, UsageError } from '../events/errors.js';

/** Files by which an existing directory is recognised as a sideband output, safe to replace. */
const OUTPUT_MARKERS = ['manifest.json', 'summary.json', 'results.jsonl'];

/** An errno failure in words: "no such file or directory (ENOENT)", without Node's "ENOENT: ..., mkdir 'x'" echo. */
export function reason(e: NodeJS.ErrnoException): string {
  const text = e.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
  return e.code ? `${text} (${e.code})` : text;
}

/** Create `dir` and its missing parents one level at a time; a level that cannot be made fails with its reason. */
export async function makeDirectory(dir: string): Promise<void> {
  const abs = path.resolve(dir);
  const missing: string[] = [];
  for (let d = abs; ; d = path.dirname(d)) {
    let s: Awaited<ReturnType<typeof stat>> | undefined;
    try {
      s = await stat(d);
    } catch (cause) {
      const e = cause as NodeJS.ErrnoException;
      if (e.code !== 'ENOENT') throw new SinkError(`cannot create ${dir}: ${reason(e)}`, { cause });
    }
    if (s) {
      if (!s.isDirectory()) throw new SinkError(`cannot create ${dir}: ${d} is not a directory`);
      break;
    }
    missing.unshift(d);
    if (path.dirname(d) === d) break;
  }
  for (const d of missing) {
    try {
      await mkdir(d);
    } catch (cause) {
      const e = cause as NodeJS.ErrnoException;
      if (e.code === 'EEXIST') continue;
      throw new SinkError(`cannot create ${d}: ${reason(e)}`, { cause });
    }
  }
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

export class OutputDir {
  private constructor(
    /** Where the outputs end up: `--out`. */
    readonly final: string,
    /** Where this run writes: `<out>.tmp-<runId>`. */
    readonly path: string,
    readonly runId: string,
  ) {}

  /**
   * Check that `out` may be replaced (absent, an empty directory, or a sideband output) and create this run's
   * temporary directory beside it. Fails before the run starts, so a bad `--out` costs nothing.
   */
  static async prepare(out: string, runId: string): Promise<OutputDir> {
    const final = path.resolve(out);
    const s = await stat(final).catch(() => undefined);
    if (s && !s.isDirectory()) throw new UsageError(`--out ${out}: exists and is not a directory`);
    if (s) {
      const names = await readdir(final);
      if (names.length && !OUTPUT_MARKERS.some((m) => names.includes(m)))
        throw new UsageError(
          `--out ${out}: exists and is not a sideband output (no ${OUTPUT_MARKERS.join(', ')}); a run replaces its output directory, so choose a new one`,
        );
    }
    const tmp = `${final}.tmp-${runId}`;
    // A run id is new for every run but a resumed one (--resume keeps it): a directory of that name is then what a
    // killed process of this same run left behind, and the checkpoint replays its contents.
    await rm(tmp, { recursive: true, force: true });
    try {
      await makeDirectory(path.dirname(final));
      await mkdir(tmp);
    } catch (cause) {
      const why = cause instanceof SinkError ? cause.message : reason(cause as NodeJS.ErrnoException);
      throw new SinkError(`--out ${out}: cannot create the run's directory ${tmp} beside it: ${why}`, { cause });
    }
    return new OutputDir(final, tmp, runId);
  }

  /** Put this run's outputs in place of the previous ones. */
  async commit(): Promise<void> {
    const prev = `${this.final}.prev-${this.runId}`;
    const hadPrevious = await exists(this.final);
    try {
      if (hadPrevious) await rename(this.final, prev);
      try {
        await rename(this.path, this.final);
      } catch (e) {
        if (hadPrevious) await rename(prev, this.final);
        throw e;
      }
    } catch (cause) {
      throw new SinkError(
        `cannot move the outputs of run ${this.runId} to ${this.final}: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
    if (hadPrevious) await rm(prev, { recursive: true, force: true });
    await this.removeSiblings('.failed-');
  }

  /** Keep this run's partial outputs as `<out>.failed-<runId>` (the only failed one kept); `<out>` is untouched. */
  async fail(): Promise<string> {
    await this.removeSiblings('.failed-');
    const failed = `${this.final}.failed-${this.runId}`;
    try {
      await rename(this.path, failed);
      return failed;
    } catch {
      return this.path;
    }
  }

  /** Remove `<out><infix>*` beside the output (old failed runs), never this run's own directory. */
  private async removeSiblings(infix: string): Promise<void> {
    const dir = path.dirname(this.final);
    const prefix = `${path.basename(this.final)}${infix}`;
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const n of names)
      if (n.startsWith(prefix) && n !== path.basename(this.path))
        await rm(path.join(dir, n), { recursive: true, force: true });
  }
}
