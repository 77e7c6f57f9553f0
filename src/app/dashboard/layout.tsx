import type { Child, FC, PropsWithChildren } from 'hono/jsx';
import type { Role } from '../../core/principal';

/** Navigation per role: a role only ever sees links to its own pages. */
const NAV: Record<Role, { href: string; label: string }[]> = {
  merchant: [
    { href: '/app/merchant', label: 'Overview' },
    { href: '/app/merchant/orders', label: 'Orders' },
    { href: '/app/merchant/held', label: 'Held orders' },
    { href: '/app/merchant/plan', label: 'Plan & what-if' },
    { href: '/app/merchant/postback-tokens', label: 'Postback tokens' },
    { href: '/app/audit', label: 'Audit log' },
  ],
  affiliate: [
    { href: '/app/affiliate', label: 'Overview' },
    { href: '/app/affiliate/links', label: 'Link builder' },
  ],
  finance: [
    { href: '/app/finance', label: 'Payout runs' },
    { href: '/app/audit', label: 'Audit log' },
  ],
  admin: [],
};

/** Readable on a phone (one column, tables scroll sideways), visible focus, no external files. */
const CSS = `
*{box-sizing:border-box}body{margin:0;font:16px/1.45 system-ui,sans-serif;color:#1b1f24;background:#f6f7f9}
a{color:#0b57d0}a:focus,button:focus,input:focus,select:focus,textarea:focus,summary:focus{outline:3px solid #f4b400;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:8px;z-index:9}
header{background:#1b1f24;color:#fff;padding:8px 16px;display:flex;flex-wrap:wrap;gap:8px 16px;align-items:center}
header a{color:#fff}header nav ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:4px 16px}
header form{margin-left:auto}main{max-width:1200px;margin:0 auto;padding:16px}
section{background:#fff;border:1px solid #dde1e6;border-radius:6px;padding:12px 16px;margin:0 0 16px}
h1{font-size:1.5rem;margin:8px 0 16px}h2{font-size:1.15rem;margin:4px 0 12px}
form.inline{display:flex;flex-wrap:wrap;gap:8px 12px;align-items:flex-end}
label{display:flex;flex-direction:column;font-size:.9rem;gap:2px}
input,select,textarea,button{font:inherit;padding:6px 8px;border:1px solid #8a939e;border-radius:4px;background:#fff;min-height:40px}
textarea{width:100%;font-family:ui-monospace,monospace;font-size:.9rem}
button{background:#0b57d0;color:#fff;border-color:#0b57d0;cursor:pointer}button.secondary{background:#fff;color:#0b57d0}
button.danger{background:#b3261e;border-color:#b3261e}
.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{padding:6px 8px;border-bottom:1px solid #e5e8eb;text-align:left;white-space:nowrap}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.chart{position:relative;height:320px}.notice{padding:8px 12px;border-radius:4px;background:#e8f0fe}.error{background:#fce8e6}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(180px,1fr));gap:12px}.card{border:1px solid #dde1e6;border-radius:6px;padding:8px 12px}
.card strong{display:block;font-size:1.3rem}pre{white-space:pre-wrap;word-break:break-word;background:#f1f3f4;padding:8px;border-radius:4px;font-size:.85rem}
@media (max-width:600px){main{padding:8px}section{padding:8px}.chart{height:240px}}
`;

export const Layout: FC<PropsWithChildren<{ title: string; role?: Role; csrf?: string; notice?: Child; error?: Child }>> = (
  props,
) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{`${props.title} · clickledger`}</title>
      <style>{CSS}</style>
      <script src="/app/assets/chart.js" defer></script>
      <script src="/app/assets/dashboard.js" defer></script>
    </head>
    <body>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header>
        <strong>clickledger</strong>
        {props.role && (
          <nav aria-label="Main">
            <ul>
              {NAV[props.role].map((item) => (
                <li>
                  <a href={item.href}>{item.label}</a>
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
