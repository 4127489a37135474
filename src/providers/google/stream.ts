/**
 * Runs tasks over items with at most `limit` at once and yields what they
 * emit as it arrives (the per-connection concurrency limit for member
 * listings; a tiny p-limit plus a bounded queue). One task's emits keep their
 * order, so a group's `set` page always precedes its `add` pages.
 *
 * Backpressure: a task waits in `emit` while more than `capacity` results
 * are queued, so a slow consumer never makes the whole directory pile up.
 * The first failure stops everything and is thrown to the consumer; stopping
 * early (break/return) stops the tasks too.
 */
class Stopped extends Error {}

export interface ConcurrentStreamOptions {
  limit: number;
  /** Results queued before tasks wait; default 2 × limit. */
  capacity?: number;
  /** Called when the stream stops before its tasks finished (failure or early return): abort their requests here. */
  onStop?: () => void;
}

export async function* concurrentStream<I, O>(
  items: readonly I[],
  options: ConcurrentStreamOptions,
  task: (item: I, emit: (value: O) => Promise<void>) => Promise<void>,
): AsyncGenerator<O> {
  const limit = Math.max(1, options.limit);
  const capacity = options.capacity ?? limit * 2;
  const queue: O[] = [];
  let failure = null as { error: unknown } | null;
  let finished = false as boolean;
  let stopped = false;
  let wakeConsumer: (() => void) | null = null;
  let waitingProducers: Array<() => void> = [];
  const wake = () => {
    wakeConsumer?.();
    wakeConsumer = null;
  };
  const releaseProducers = () => {
    const waiting = waitingProducers;
    waitingProducers = [];
    for (const resume of waiting) resume();
  };

  const emit = async (value: O) => {
    if (stopped) throw new Stopped();
    queue.push(value);
    wake();
    while (queue.length > capacity && !stopped) await new Promise<void>((resume) => waitingProducers.push(resume));
    if (stopped) throw new Stopped();
  };

  let next = 0;
  const worker = async () => {
    while (!stopped && next < items.length) await task(items[next++]!, emit);
  };
  const workers = Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker)).then(
    () => {
      finished = true;
      wake();
    },
    (error: unknown) => {
      if (!(error instanceof Stopped)) failure ??= { error };
      stopped = true;
      releaseProducers();
      wake();
    },
  );

  try {
    for (;;) {
      if (failure) throw failure.error;
      if (queue.length > 0) {
        const value = queue.shift()!;
        if (queue.length <= capacity) releaseProducers();
        yield value;
        continue;
      }
      if (finished || stopped) break;
      await new Promise<void>((resume) => (wakeConsumer = resume));
    }
  } finally {
    if (!finished) options.onStop?.();
    stopped = true;
    releaseProducers();
    await workers;
  }
}
