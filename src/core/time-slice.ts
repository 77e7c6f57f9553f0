/**
 * Long loops on the event loop that serves redirects (the what-if, a payout run's detail, big
 * exports) work in slices: after about `budgetMs` of work they let the event loop run its queued
 * I/O and timers, then go on. A redirect waiting behind such a loop waits one slice, not the
 * whole loop (issue 21: a 28k-order what-if held every redirect for 1.75 s).
 *
 * Here rather than in domain/ because it reads a clock and schedules; it imports nothing, so
 * every layer can use it.
 */
export const SLICE_BUDGET_MS = 5;

/** One macrotask turn: setImmediate on Node (after pending I/O), a zero timeout elsewhere (workerd). */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));
}

export interface TimeSlice {
  /** True once this slice has used its budget; cheap enough to ask on every iteration. */
  due(): boolean;
  /** Gives the event loop a turn if the slice is due, and starts a new slice. */
  pause(): Promise<void>;
}

export function timeSlice(budgetMs = SLICE_BUDGET_MS): TimeSlice {
  let started = performance.now();
  const due = () => performance.now() - started >= budgetMs;
  return {
    due,
    async pause() {
      if (!due()) return;
      await nextTurn();
      started = performance.now();
    },
  };
}
