import type { Child, FC, PropsWithChildren } from 'hono/jsx';
import type { Role } from '../../core/principal';
import { THEME_CSS } from './theme';

/** Navigation per role: a role only ever sees links to its own pages. */
const NAV: Record<Role, { href: string; label: string }[]> = {
  merchant: [
    { href: '/app/merchant', label: 'Overview' },
    { href: '/app/merchant/orders', label: 'Orders' },
    { href: '/app/merchant/held', label: 'Held orders' },
    { href: '/app/merchant/plan', label: 'Plan & what-if' },
    { href: '/app/merchant/postback-tokens', label: 'Postback tokens' },
    { href: '/app/merchant/webhooks', label: 'Webhooks' },
    { href: '/app/audit', label: 'Audit log' },
  ],
  affiliate: [
    { href: '/app/affiliate', label: 'Overview' },
    { href: '/app/affiliate/links', label: 'Link builder' },
    { href: '/app/affiliate/postbacks', label: 'Postbacks' },
  ],
  finance: [
    { href: '/app/finance', label: 'Payout runs' },
    { href: '/app/audit', label: 'Audit log' },
  ],
  admin: [],
};

/**
 * Every page's frame: the theme (theme.ts), the role's navigation (the current page marked when
 * `path` is given), the title, a status or alert line, and the page's cards.
 */
export const Layout: FC<
  PropsWithChildren<{ title: string; role?: Role; csrf?: string; notice?: Child; error?: Child; path?: string; lang?: string }>
> = (props) => (
  <html lang={props.lang ?? 'en'}>
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{`${props.title} · clickledger`}</title>
      <link rel="icon" href="/favicon.ico" type="image/svg+xml" />
      {/* Raw, not escaped: the stylesheet is ours and a style element's text is never HTML-decoded. */}
      <style dangerouslySetInnerHTML={{ __html: THEME_CSS }}></style>
      <script src="/app/assets/chart.js" defer></script>
      <script src="/app/assets/dashboard.js" defer></script>
    </head>
    <body>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <strong>clickledger</strong>
        {props.role && (
          <nav aria-label="Main">
            <ul>
              {NAV[props.role].map((item) => (
                <li>
                  <a href={item.href} aria-current={item.href === props.path ? 'page' : undefined}>
                    {item.label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        )}
        {props.role && props.csrf && (
          <form method="post" action="/app/logout">
            <input type="hidden" name="csrf" value={props.csrf} />
            <button type="submit" class="secondary">
              Sign out
            </button>
          </form>
        )}
      </header>
      <main id="main" tabindex={-1}>
        <h1>{props.title}</h1>
        {props.notice && (
          <p class="notice" role="status">
            {props.notice}
          </p>
        )}
        {props.error && (
          <p class="notice error" role="alert">
            {props.error}
          </p>
        )}
        {props.children}
      </main>
    </body>
  </html>
);

/** The CSRF field every POST form carries. */
export const Csrf: FC<{ token: string }> = ({ token }) => <input type="hidden" name="csrf" value={token} />;

/** A POST button form: a small form per action keeps each one keyboard-reachable and CSRF-bound. */
export const ActionButton: FC<{ action: string; csrf: string; label: string; danger?: boolean; name?: string }> = (p) => (
  <form method="post" action={p.action} style="display:inline">
    <Csrf token={p.csrf} />
    <button type="submit" class={p.danger ? 'danger' : ''} aria-label={p.name ? `${p.label} ${p.name}` : p.label}>
      {p.label}
    </button>
  </form>
);
