import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';

/**
 * JSON-lines sink (results, dead letters, alerts): one object per line, appended as it arrives so a run that
 * stops half-way keeps everything it produced. `close()` resolves once every line is on disk.
 */
export class JsonlSink {
  private readonly stream: WriteStream;
  private lines = 0;
  constructor(readonly file: string) {
    mkdirSync(path.dirname(file), { recursive: true });
    this.stream = createWriteStream(file, { flags: 'w' });
  }
  write(record: unknown): void {
    this.stream.write(`${JSON.stringify(record)}\n`);
    this.lines++;
  }
  get count(): number {
    return this.lines;
  }
  close(): Promise<void> {
    return new Promise((resolve, reject) => this.stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
}
