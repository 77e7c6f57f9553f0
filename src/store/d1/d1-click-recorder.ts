import type { ClickRecorder, ClickToRecord } from '../click-recorder';
import type { Queue } from './d1-types';

/** What travels on the click queue; versioned so a deploy can change it while messages wait. */
export interface ClickMessage {
  v: 1;
  click: ClickToRecord;
}

/**
 * The redirect's side of the click queue on Workers: `queue.send` resolves once Cloudflare has
 * the message durably, so awaiting it before the 302 keeps P1 without a database write per
 * click. The consumer (`writeClickBatch`) decides uniqueness when it writes the row.
 */
export function createQueueClickRecorder(queue: Queue<ClickMessage>): ClickRecorder {
  return {
    async record(click) {
      await queue.send({ v: 1, click }, { contentType: 'json' });
      return { unique: null };
    },
    // Nothing waits in this process: every send is awaited by its own request.
    flush: () => Promise.resolve(),
  };
}
