/**
 * SHA-256 of a file being read in chunks. For big files the hashing runs on a worker thread, so it
 * takes the second core while the main thread parses (it costs ~6% of a parse otherwise). Chunks
 * are copied into buffers that go to the worker and come back to be reused (a worker that drops
 * them would hold on to up to a whole file of garbage until its next GC); at most MAX_IN_FLIGHT of
 * them are out, so memory stays flat even when the worker falls behind.
 */
import { createHash } from "node:crypto";
import { Worker } from "node:worker_threads";

export interface ChunkHasher {
  /** Adds a chunk; the buffer may be reused as soon as the returned promise settles. */
  update(chunk: Uint8Array): Promise<void> | undefined;
  /** The hex digest of everything added. Call once. */
  digest(): Promise<string>;
  /** Stops the worker, if any (reading was abandoned). */
  close(): void;
}

/** Files at least this big are hashed on a worker thread. */
export const HASH_WORKER_MIN_BYTES = 32 * 1024 * 1024;
const MAX_IN_FLIGHT = 8;
const MIN_BUFFER = 1 << 18;

// Plain CommonJS, evaluated by the worker: no loader or TypeScript needed there.
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const hash = createHash("sha256");
parentPort.on("message", (data) => {
  if (data === null) {
    parentPort.postMessage(hash.digest("hex"));
    return;
  }
  hash.update(new Uint8Array(data[0], 0, data[1]));
  parentPort.postMessage(data[0], [data[0]]);
});
`;

export function createChunkHasher(onWorker: boolean): ChunkHasher {
  return onWorker ? new WorkerHasher() : new LocalHasher();
}

class LocalHasher implements ChunkHasher {
  private readonly hash = createHash("sha256");

  update(chunk: Uint8Array): undefined {
    this.hash.update(chunk);
    return undefined;
  }

  digest(): Promise<string> {
    return Promise.resolve(this.hash.digest("hex"));
  }

  close(): void {}
}

class WorkerHasher implements ChunkHasher {
  private readonly worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [] });
  private inFlight = 0;
  /** Buffers back from the worker, free for the next chunks. */
  private readonly pool: ArrayBuffer[] = [];
  private failure: Error | null = null;
  private wake: (() => void) | null = null;
  private finished: ((digest: string) => void) | null = null;
  private failed: ((error: Error) => void) | null = null;

  constructor() {
    this.worker.unref(); // an abandoned read must not keep the process alive
    this.worker.on("message", (message: ArrayBuffer | string) => {
      if (typeof message === "string") {
        this.finished?.(message);
        void this.worker.terminate();
        return;
      }
      this.pool.push(message);
      this.inFlight--;
      this.resume();
    });
    this.worker.on("error", (error: Error) => this.fail(error));
    this.worker.on("exit", (code) => {
      if (this.finished !== null || this.inFlight > 0)
        this.fail(new Error(`hash worker exited with code ${code}`));
    });
  }

  private fail(error: Error): void {
    if (this.failure !== null) return;
    this.failure = error;
    this.failed?.(error);
    this.resume();
  }

  private resume(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  async update(chunk: Uint8Array): Promise<void> {
    if (this.failure !== null) throw this.failure;
    let buffer = this.pool.pop();
    if (buffer === undefined || buffer.byteLength < chunk.length)
      buffer = new ArrayBuffer(Math.max(chunk.length, MIN_BUFFER));
    new Uint8Array(buffer, 0, chunk.length).set(chunk);
    this.worker.postMessage([buffer, chunk.length], [buffer]);
    this.inFlight++;
    while (this.inFlight >= MAX_IN_FLIGHT && this.failure === null) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
    if (this.failure !== null) throw this.failure;
  }

  digest(): Promise<string> {
    if (this.failure !== null) return Promise.reject(this.failure);
    const result = new Promise<string>((resolve, reject) => {
      this.finished = (digest) => {
        this.finished = null;
        resolve(digest);
      };
      this.failed = reject;
    });
    this.worker.postMessage(null);
    return result;
  }

  close(): void {
    this.finished = null;
    this.failed = null;
    this.failure ??= new Error("hash worker closed");
    this.resume(); // an update waiting for room gives up
    void this.worker.terminate();
  }
}
