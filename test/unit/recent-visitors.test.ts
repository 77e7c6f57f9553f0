import { describe, expect, it } from 'vitest';
import { UNIQUE_CLICK_WINDOW_MS } from '../../src/store/click-recorder';
import { RecentVisitors, type SeenSince } from '../../src/store/recent-visitors';

const T0 = Date.parse('2026-11-25T10:00:00.000Z');
const MIN = 60_000;

/** A store that holds the given unique clicks and counts the questions it was asked. */
function store(clicks: { linkId: number; visitor: string; at: number }[] = []) {
  const asked: number[] = [];
  const seenSince: SeenSince = (linkId, visitor, sinceMs) => {
    asked.push(sinceMs);
    return clicks.some((c) => c.linkId === linkId && c.visitor === visitor && c.at > sinceMs);
  };
  return { seenSince, asked };
}

describe('deciding unique clicks from memory (P13)', () => {
  it('counts a visitor once per hour on a link, from the counted click, without asking an empty store', () => {
    const s = store();
    const recent = new RecentVisitors(s.seenSince, -Infinity);
    const unique = (link: number, visitor: string, at: number) => recent.decide(link, visitor, at, false).unique;
    expect([
      unique(1, 'a', T0),
      unique(1, 'a', T0 + 30 * MIN),
      unique(1, 'b', T0 + 30 * MIN),
      unique(2, 'a', T0 + 30 * MIN),
      unique(1, 'a', T0 + 59 * MIN), // a repeat does not extend the hour...
      unique(1, 'a', T0 + UNIQUE_CLICK_WINDOW_MS), // ...so exactly an hour after the counted click counts again
      unique(1, 'a', T0 + 61 * MIN), // and the new hour runs from there
    ]).toEqual([true, false, true, true, false, true, false]);
    expect(s.asked).toEqual([]);
  });

  it('never counts bots, and a bot click does not make the next human click a repeat', () => {
    const recent = new RecentVisitors(store().seenSince, -Infinity);
    expect(recent.decide(1, 'a', T0, true).unique).toBe(false);
    expect(recent.decide(1, 'a', T0 + MIN, false).unique).toBe(true);
    expect(recent.decide(1, 'a', T0 + 2 * MIN, true).unique).toBe(false);
  });

  it('asks the store while the window reaches back to clicks stored before it started, and not after', () => {
    const s = store([{ linkId: 1, visitor: 'a', at: T0 - 10 * MIN }]);
    const recent = new RecentVisitors(s.seenSince, T0 - 10 * MIN);
    expect(recent.decide(1, 'a', T0, false).unique).toBe(false); // the stored click is 10 min old
    expect(recent.decide(1, 'b', T0, false).unique).toBe(true);
    expect(s.asked).toHaveLength(2);
    // 50 min after T0 the stored click is out of the window: the store has nothing it lacks.
    expect(recent.decide(1, 'c', T0 + 50 * MIN, false).unique).toBe(true);
    expect(s.asked).toHaveLength(2);
  });

  it('asks the store again for windows reaching past what it forgot when full', () => {
    const s = store([{ linkId: 1, visitor: 'a', at: T0 }]);
    const recent = new RecentVisitors(s.seenSince, -Infinity, 2);
    recent.decide(1, 'a', T0, false);
    recent.decide(1, 'b', T0 + MIN, false);
    recent.decide(1, 'c', T0 + 2 * MIN, false); // over the limit: forgets 'a'
    expect(s.asked).toEqual([]);
    expect(recent.decide(1, 'a', T0 + 3 * MIN, false).unique).toBe(false); // the store still has it
    expect(s.asked).toEqual([T0 + 3 * MIN - UNIQUE_CLICK_WINDOW_MS]);
  });

  it('asks the store when the clock steps back behind what it already forgot', () => {
    const s = store([{ linkId: 1, visitor: 'a', at: T0 }]);
    const recent = new RecentVisitors(s.seenSince, -Infinity);
    recent.decide(1, 'a', T0, false);
    recent.decide(1, 'b', T0 + 2 * UNIQUE_CLICK_WINDOW_MS, false); // forgets 'a', now out of the window
    expect(recent.decide(1, 'a', T0 + 30 * MIN, false).unique).toBe(false);
    expect(s.asked).toHaveLength(1);
  });

  it('forgets decisions taken back, so a click that was never committed does not make a repeat', () => {
    const takeBack = () => {
      // The store holds the first click, as the committed group that brought it left it.
      const recent = new RecentVisitors(store([{ linkId: 1, visitor: 'a', at: T0 }]).seenSince, -Infinity);
      recent.decide(1, 'a', T0, false);
      const second = recent.decide(1, 'a', T0 + 61 * MIN, false); // counted: a new hour
      const third = recent.decide(1, 'b', T0 + 61 * MIN, false);
      expect(recent.decide(1, 'a', T0 + 62 * MIN, false)).toEqual({ unique: false }); // a repeat: nothing to take back
      recent.undo([second.undo!, third.undo!]);
      return recent;
    };
    expect(takeBack().decide(1, 'b', T0 + 62 * MIN, false).unique).toBe(true);
    // 'a' is back to its first counted click: still a repeat 59 min after it (memory forgot that
    // click at 61 min, so the store answers), and counted 91 min after it (which the taken-back
    // click, 30 min earlier, would have made a repeat).
    expect(takeBack().decide(1, 'a', T0 + 59 * MIN, false).unique).toBe(false);
    expect(takeBack().decide(1, 'a', T0 + 91 * MIN, false).unique).toBe(true);
  });

  it('decides as the store would over hours of churn, overflow and groups taken back', () => {
    // A seeded walk: 40 visitors on 3 links, minutes apart, a memory of 7 pairs; about one group
    // in five fails and is taken back. Each decision must match the rule applied to the unique
    // clicks that were committed.
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const committed: { linkId: number; visitor: string; at: number }[] = [];
    const s = store(committed);
    const recent = new RecentVisitors(s.seenSince, -Infinity, 7);
    let at = T0;
    let decisions = 0;
    for (let group = 0; group < 600; group++) {
      const undo = [];
      const pending: typeof committed = [];
      for (let i = 0; i < 1 + Math.floor(random() * 4); i++) {
        at += Math.floor(random() * 4 * MIN);
        const linkId = 1 + Math.floor(random() * 3);
        const visitor = `v${Math.floor(random() * 40)}`;
        const isBot = random() < 0.1;
        const expected =
          !isBot &&
          ![...committed, ...pending].some((c) => c.linkId === linkId && c.visitor === visitor && c.at > at - UNIQUE_CLICK_WINDOW_MS);
        const decision = recent.decide(linkId, visitor, at, isBot);
        expect(decision.unique).toBe(expected);
        decisions++;
        if (decision.undo) undo.push(decision.undo);
        if (decision.unique) pending.push({ linkId, visitor, at });
      }
      if (random() < 0.2) recent.undo(undo);
      else committed.push(...pending);
    }
    expect(decisions).toBeGreaterThan(1000);
    expect(at - T0).toBeGreaterThan(10 * UNIQUE_CLICK_WINDOW_MS);
  });
});
