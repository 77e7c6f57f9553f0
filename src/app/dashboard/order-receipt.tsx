import { Badge, Money, Named } from './components';
import { flagTitle } from './merchant-held';
import type { Formatter } from './format';
import type { OrderDetail } from './merchant-api';
import type { Names } from './merchant-names';

/** The stored receipt (src/domain/attribution.ts, AttributionReceipt) as the page reads it. */
interface Receipt {
  method: string;
  reason: string;
  rule: string;
  placedAt: string;
  candidates: {
    source: string;
    value: string;
    affiliateId: string | null;
    verdict: string;
    reason?: string;
    clickedAt?: string;
    linkId?: string;
  }[];
  window?: { clickedAt: string; placedAt: string; cookieDays: number; ageSeconds: number; withinWindow: boolean };
  flags: { flag: string; holds: boolean; detail: string }[];
}

const REJECTIONS: Record<string, string> = {
  other_program: 'the click was on another program',
  click_after_order: 'the click came after the order',
  expired: "older than the program's cookie window",
  unknown_coupon: 'no affiliate owns this coupon',
};

const duration = (seconds: number) =>
  seconds < 120 ? `${seconds} s` : seconds < 7200 ? `${Math.round(seconds / 60)} min` : `${(seconds / 3600).toFixed(1)} h`;

/**
 * The attribution receipt as a timeline a person reads top to bottom: the click (or coupon), the
 * order and its lines, the rule that decided, the flags with their reasons, then each ledger entry
 * with its explanation. The JSON the API holds stays one toggle away ("Raw receipt").
 */
export const ReceiptTimeline = (p: { order: OrderDetail; names: Names; fmt: Formatter }) => {
  const { order, names, fmt } = p;
  const a = order.attribution;
  const r = (a.receipt ?? { candidates: [], flags: [] }) as Receipt;
  const affiliate = <Named id={a.affiliateId} name={a.affiliateId ? names.affiliate.get(a.affiliateId) : null} />;
  return (
    <>
      <p data-testid="attribution">
        {a.method === 'none' ? (
          'Not attributed'
        ) : (
          <>
            Attributed to {affiliate} by {a.method}
          </>
        )}{' '}
        — {a.reason}
      </p>
      <ol class="timeline" data-testid="timeline">
        {(r.candidates ?? []).map((cand) => {
          const link = cand.linkId ?? null;
          return (
            <li data-step={cand.source}>
              <strong>{cand.source === 'click' ? 'Click' : 'Coupon'}</strong> <Badge status={cand.verdict.replace(/_/g, ' ')} />
              <dl class="facts">
                {cand.clickedAt && (
                  <>
                    <dt>Time</dt>
                    <dd>{fmt.dateTime(cand.clickedAt)} UTC</dd>
                  </>
                )}
                {link && (
                  <>
                    <dt>Link</dt>
                    <dd data-field="link">
                      <Named id={link} name={names.link.get(link)} />
                    </dd>
                  </>
                )}
                <dt>{cand.source === 'click' ? 'Click id' : 'Code'}</dt>
                <dd>
                  <code>{cand.value}</code>
                </dd>
                {cand.reason && (
                  <>
                    <dt>Why not</dt>
                    <dd>{REJECTIONS[cand.reason] ?? cand.reason.replace(/_/g, ' ')}</dd>
                  </>
                )}
                {cand.source === 'click' && r.window && (
                  <>
                    <dt>Window</dt>
                    <dd>
                      ordered {duration(r.window.ageSeconds)} after the click; cookie window {r.window.cookieDays} days (
                      {r.window.withinWindow ? 'within' : 'outside'})
                    </dd>
                  </>
                )}
              </dl>
            </li>
          );
        })}
        <li data-step="order">
          <strong>Order</strong> <span class="small muted">{fmt.dateTime(order.placedAt)} UTC</span>
          <ul class="small">
            {(order.items ?? []).map((item) => (
              <li>
                {item.quantity} × {item.sku}
                {item.category ? ` (${item.category})` : ''} at {fmt.money(item.unitPrice, order.currency)}
                {item.discount !== '0' && !/^0(\.0+)?$/.test(item.discount)
                  ? `, discount ${fmt.money(item.discount, order.currency)}`
                  : ''}
                {item.refundedQuantity > 0 ? `, ${item.refundedQuantity} refunded` : ''}
              </li>
            ))}
          </ul>
        </li>
        <li data-step="rule">
          <strong>Rule</strong>: {r.rule} — {r.reason}
        </li>
        {(r.flags ?? []).map((f) => (
          <li class="flag" data-step="flag" data-flag={f.flag}>
            <strong>{flagTitle(f.flag)}</strong>{' '}
            {f.holds ? <Badge status="held" /> : <span class="small muted">noted, not held</span>}
            <div>{f.detail}</div>
          </li>
        ))}
        {order.ledger.map((e) => (
          <li class="money" data-step="ledger" data-entry={e.id}>
            <strong>
              {e.kind} <Money fmt={fmt} amount={e.amount} currency={e.currency} />
            </strong>{' '}
            <Badge status={e.status} /> <span class="small muted">to</span>{' '}
            <Named id={e.affiliateId} name={names.affiliate.get(e.affiliateId)} />
            <div>{e.explanation}</div>
          </li>
        ))}
        {order.ledger.length === 0 && (
          <li class="money" data-step="ledger">
            <span class="muted">No ledger entries yet: the batch computes them.</span>
          </li>
        )}
      </ol>
      <details>
        <summary>Raw receipt (JSON)</summary>
        <pre data-testid="receipt">{JSON.stringify(a.receipt, null, 2)}</pre>
      </details>
    </>
  );
};
