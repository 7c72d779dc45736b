// Appends bytes to a local file (JSON lines). A failed write (disk full, directory gone)
// is retryable: the file is reopened on the next attempt and nothing is acknowledged
// before the bytes are written (and fsynced when asked).
import { mkdirSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ExportResponse, Transport } from './types.js';

export class FileTransport implements Transport {
  readonly target: string;
  lastError?: string;
  private fh: FileHandle | undefined;

  constructor(
    private readonly path: string,
    private readonly fsync = false,
  ) {
    this.target = `file://${path}`;
  }

  async send(data: Uint8Array): Promise<ExportResponse> {
    try {
      if (!this.fh) {
        mkdirSync(dirname(this.path), { recursive: true });
        this.fh = await open(this.path, 'a', 0o600);
      }
      let off = 0;
      while (off < data.byteLength) {
        const { bytesWritten } = await this.fh.write(data, off, data.byteLength - off);
        off += bytesWritten;
      }
      if (this.fsync) await this.fh.sync();
      return 'success';
    } catch (err) {
      this.lastError = (err as Error).message;
      // A partial line may have been written; a reader skips a torn last line. Reopen next time.
      await this.fh?.close().catch(() => undefined);
      this.fh = undefined;
      return { retryable: true, reason: this.lastError };
    }
  }

  async close(): Promise<void> {
    await this.fh?.close().catch(() => undefined);
    this.fh = undefined;
  }
}
