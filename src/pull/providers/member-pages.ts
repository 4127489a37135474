import type { DirectoryEvent } from './types.js';

type MembersEvent = DirectoryEvent & { type: 'members' };

/**
 * One group's member pages, each as a page of one event, the last marked
 * `last` (its list is whole: the reconciler may write it while the listing
 * goes on). Each event waits for the next one to show whether it was the last.
 * An error of `events` is thrown as it comes, the event held back with it.
 */
export async function* markingTheLast(events: AsyncIterable<MembersEvent>): AsyncGenerator<DirectoryEvent[]> {
  let held: MembersEvent | undefined;
  for await (const event of events) {
    if (held) yield [held];
    held = event;
  }
  if (held) yield [{ ...held, last: true }];
}
