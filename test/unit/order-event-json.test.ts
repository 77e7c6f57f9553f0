import { describe, expect, it } from 'vitest';
import { OrderEventBody, toNormalizedEvent, toUtcIso } from '../../src/app/schemas/order-event';
import { serializeEvent } from '../../src/domain/order';
import { FULL_ORDER_EVENT, MINIMAL_ORDER_EVENT } from '../fixtures/order-events';

const minimal = MINIMAL_ORDER_EVENT;
const full = FULL_ORDER_EVENT;

// The content hash of every stored event was taken over JSON.stringify(event): a replay of an
// event stored before must still hash the same (P4).
describe('serializeEvent', () => {
  it.each([
    ['only the required fields', minimal],
    ['every optional field, escapes included', full],
  ])('writes JSON.stringify(event) byte for byte, and the order as JSON.stringify(order): %s', (_name, body) => {
    const event = toNormalizedEvent(OrderEventBody.parse(body));
    const { eventJson, orderJson } = serializeEvent(event);
    expect(eventJson).toBe(JSON.stringify(event));
    expect(orderJson).toBe(JSON.stringify(event.order));
  });
});

describe('toUtcIso', () => {
  it("keeps toISOString's own form and writes any other validated datetime in it", () => {
    for (const [text, utc] of [
      ['2026-11-25T10:00:00.000Z', '2026-11-25T10:00:00.000Z'],
      ['2024-02-29T23:59:59.999Z', '2024-02-29T23:59:59.999Z'],
      ['2026-11-25T10:00:00Z', '2026-11-25T10:00:00.000Z'],
      ['2026-11-25T10:00:00.1Z', '2026-11-25T10:00:00.100Z'],
      ['2026-11-25T10:00:00.123+01:00', '2026-11-25T09:00:00.123Z'],
      ['2026-11-24T23:30:00+09:00', '2026-11-24T14:30:00.000Z'],
    ]) {
      const validated = OrderEventBody.shape.occurredAt.parse(text);
      expect(toUtcIso(validated)).toBe(utc);
      expect(toUtcIso(validated)).toBe(new Date(validated).toISOString());
    }
  });
});
