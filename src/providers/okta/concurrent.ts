/**
 * Runs `worker(job)` for each job with at most `limit` running at once and
 * yields what they produce as one stream. Each worker's own items keep their
 * order (a group's `set` page comes before its `add` pages); a small buffer
 * bounds memory, so workers wait while the consumer is slow. The first
 * error stops the other workers and is thrown to the consumer.
 */
export async function* mergeConcurrent<J, T>(
  jobs: Iterable<J>,
  limit: number,
  worker: (job: J) => AsyncIterable<T>,
): AsyncGenerator<T> {
  const queue: T[] = [];
  const capacity = Math.max(2, limit * 2);
  const iterator = jobs[Symbol.iterator]();
  let failure: { error: unknown } | null = null;
  let stopped = false;
  let wakeConsumer: (() => void) | null = null;
  const waitingForSpace: Array<() => void> = [];
  const wake = () => {
    const w = wakeConsumer;
    wakeConsumer = null;
    w?.();
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

  let active = Math.max(1, limit);
  for (let i = 0; i < Math.max(1, limit); i++) {
    void run()
      .catch((error: unknown) => {
        failure ??= { error };
        stopped = true;
      })
      .finally(() => {
        active--;
        wake();
      });
  }

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
    stopped = true;
    for (const r of waitingForSpace.splice(0)) r();
  }
}
