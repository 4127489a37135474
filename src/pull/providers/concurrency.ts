/**
 * The per-connection concurrency limit for listings that fan out (members of
 * every group): run `worker(job)` for each job with at most `limit` at once and
 * yield what they produce as one stream, as it arrives. One worker's items keep
 * their order (a group's `set` page comes before its `add` pages). A bounded
 * queue gives backpressure: workers wait while the consumer is slow, so the
 * directory never piles up in memory. The first error stops the other workers
 * and is thrown to the consumer; a consumer that stops early stops them too,
 * and `onStop` can abort their requests in flight.
 *
 * p-limit bounds concurrency but does not merge streams with backpressure,
 * which is what a provider needs here.
 */
export interface MergeOptions {
  /** Items queued before workers wait; default 2 × limit. */
  capacity?: number;
  /** Called when the stream stops before its workers finished (failure or early return). */
  onStop?: () => void;
}

export async function* mergeConcurrent<J, T>(
  jobs: Iterable<J>,
  limit: number,
  worker: (job: J) => AsyncIterable<T>,
  options: MergeOptions = {},
): AsyncGenerator<T> {
  const width = Math.max(1, Math.floor(limit) || 1);
  const capacity = Math.max(2, options.capacity ?? width * 2);
  const queue: T[] = [];
  const iterator = jobs[Symbol.iterator]();
  let failure: { error: unknown } | null = null;
  let stopped = false;
  let active = width;
  let wakeConsumer: (() => void) | null = null;
  const waitingForSpace: Array<() => void> = [];
  const wake = () => {
    const w = wakeConsumer;
    wakeConsumer = null;
    w?.();
  };
  const releaseWorkers = () => {
    for (const resume of waitingForSpace.splice(0)) resume();
  };

  const run = async () => {
    for (let next = iterator.next(); !next.done && !stopped; next = iterator.next()) {
      for await (const item of worker(next.value)) {
        while (queue.length >= capacity && !stopped) await new Promise<void>((r) => waitingForSpace.push(r));
        if (stopped) return;
        queue.push(item);
        wake();
      }
    }
  };
  const runs = Array.from({ length: width }, () =>
    run()
      .catch((error: unknown) => {
        failure ??= { error };
        stopped = true;
        releaseWorkers();
      })
      .finally(() => {
        active--;
        wake();
      }),
  );

  try {
    for (;;) {
      if (failure) throw (failure as { error: unknown }).error;
      if (queue.length > 0) {
        yield queue.shift()!;
        waitingForSpace.shift()?.();
        continue;
      }
      if (active === 0) return;
      await new Promise<void>((r) => (wakeConsumer = r));
    }
  } finally {
    if (active > 0) options.onStop?.();
    stopped = true;
    releaseWorkers();
    await Promise.all(runs);
  }
}
