/**
 * How numbers read on a page: Intl.NumberFormat in the viewer's locale (the browser's
 * Accept-Language) and the amount's currency. The API's decimal strings are formatted as strings
 * (Intl.NumberFormat v3), never through a float, and with at least as many decimals as the API
 * sent, so what a page prints is the API's amount to the cent, only grouped and symbolled.
 */

const FALLBACK_LOCALE = 'en-US';

/** The first language of an Accept-Language header that this runtime's Intl knows. */
export function localeFrom(acceptLanguage: string | undefined): string {
  const tags = (acceptLanguage ?? '')
    .split(',')
    .map((part) => {
      const [tag, ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)).find((m) => m);
      return { tag: tag!.trim(), q: q ? Number(q[1]) : 1 };
    })
    .filter((t) => t.tag && t.tag !== '*' && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(t.tag) && t.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const { tag } of tags) {
    try {
      const [supported] = Intl.NumberFormat.supportedLocalesOf(tag);
      if (supported) return supported;
    } catch {
      // A malformed tag: try the next one.
    }
  }
  return FALLBACK_LOCALE;
}

const decimalsOf = (value: string) => (value.includes('.') ? value.length - value.indexOf('.') - 1 : 0);

/** A format call takes the decimal string as is; the typings still say number. */
type Decimal = number;

export interface Formatter {
  locale: string;
  /** "18163.05", "EUR" → "€18,163.05" (en-US) or "18.163,05 €" (de-DE). */
  money(amount: string, currency: string): string;
  /** A count: 12345 → "12,345". */
  count(value: number): string;
  /** A rate the API sends as a fraction ("0.0655") → "6.55%"; null → "–". */
  percent(rate: string | null): string;
  /** A change against a previous value, signed: "+12.5%"; no previous value → "–". */
  change(current: number, previous: number): string;
  /** An ISO time as the viewer's short date and time, in UTC (the API's zone). */
  dateTime(iso: string): string;
}

export function formatter(locale: string): Formatter {
  const cache = new Map<string, Intl.NumberFormat>();
  const get = (key: string, make: () => Intl.NumberFormat) => {
    let f = cache.get(key);
    if (!f) cache.set(key, (f = make()));
    return f;
  };
  const dates = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
  return {
    locale,
    money(amount, currency) {
      let currencyDigits: number;
      try {
        currencyDigits =
          new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
      } catch {
        return `${amount} ${currency}`;
      }
      const digits = Math.max(currencyDigits, decimalsOf(amount));
      return get(
        `m:${currency}:${digits}`,
        () =>
          new Intl.NumberFormat(locale, {
            style: 'currency',
            currency,
            minimumFractionDigits: currencyDigits,
            maximumFractionDigits: digits,
          }),
      ).format(amount as unknown as Decimal);
    },
    count(value) {
      return get('c', () => new Intl.NumberFormat(locale)).format(value);
    },
    percent(rate) {
      if (rate === null) return '–';
      const digits = Math.max(0, decimalsOf(rate) - 2);
      return get(
        `p:${digits}`,
        () => new Intl.NumberFormat(locale, { style: 'percent', minimumFractionDigits: 0, maximumFractionDigits: digits }),
      ).format(rate as unknown as Decimal);
    },
    change(current, previous) {
      if (previous === 0)
        return current === 0 ? get('z', () => new Intl.NumberFormat(locale, { style: 'percent' })).format(0) : '–';
      return get(
        'd',
        () => new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1, signDisplay: 'exceptZero' }),
      ).format((current - previous) / previous);
    },
    dateTime(iso) {
      const d = new Date(iso);
      return Number.isNaN(d.getTime()) ? iso : dates.format(d);
    },
  };
}
