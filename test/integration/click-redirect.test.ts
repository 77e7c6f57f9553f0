import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyClickId } from '../../src/domain/click-id';
import { clickIdSigner } from '../../src/use-cases/track-click';
import { nodeCrypto } from '../../src/runtime/node-crypto';
import type { ClickToRecord } from '../../src/store/click-recorder';
import { createSqliteClickRecorder, UNIQUE_CLICK_BETWEEN } from '../../src/store/sqlite/sqlite-click-recorder';
import {
  createLink,
  createTenant,
  startTestApp,
  TEST_IP_HEADER,
  testClickSecrets,
  type Tenant,
  type TestApp,
} from '../support/test-app';

let t: TestApp;
let tenant: Tenant;
beforeEach(async () => {
  t = await startTestApp();
  tenant = await createTenant(t);
});
afterEach(async () => {
  await t.close();
});

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

const humans = [
  CHROME,
  IPHONE,
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
  'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 339.0.0.12.108',
  'Mozilla/5.0 (Linux; Android 13; M2101K6G) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.230 Mobile Safari/537.36 MicroMessenger/8.0.47',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 OPR/115.0.0.0',
];
const bots = [
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
  'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)',
  'Twitterbot/1.0',
  'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)',
  'Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)',
  'WhatsApp/2.23.20.0 A',
  'LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)',
  'TelegramBot (like TwitterBot)',
  'curl/8.5.0',
  'python-requests/2.32.3',
  'Go-http-client/2.0',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)',
  'Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)',
  'Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)',
  'Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)',
  '',
];

/** A stored click row as the recorder is given it. */
function recordedClick(row: Record<string, string | number | null>): ClickToRecord {
  return {
    clickId: String(row.click_id),
    linkId: Number(row.link_id),
    programId: Number(row.program_id),
    affiliateId: Number(row.affiliate_id),
    clickedAt: String(row.clicked_at),
    ipHash: String(row.ip_hash),
    visitorHash: String(row.visitor_hash),
    userAgent: String(row.user_agent),
    browser: String(row.browser),
    os: String(row.os),
    device: String(row.device),
    isBot: row.is_bot === 1,
    country: String(row.country),
    refererHost: String(row.referer_host),
    subIds: {},
    paidSearchParam: null,
  };
}

/** Click rows with their user agent, which is stored once per distinct agent. */
function clicks() {
  return t.store.raw
    .prepare(
      `SELECT clicks.*, user_agents.user_agent FROM clicks
       LEFT JOIN user_agents ON user_agents.id = clicks.user_agent_id ORDER BY clicks.id`,
    )
    .all() as Record<string, string | number | null>[];
}

function visit(
  code: string,
  init: { ua?: string; ip?: string; method?: string; query?: string; headers?: Record<string, string> } = {},
) {
  return t.request(`/c/${code}${init.query ?? ''}`, {
    method: init.method ?? 'GET',
    headers: { 'user-agent': init.ua ?? CHROME, [TEST_IP_HEADER]: init.ip ?? '198.51.100.7', ...init.headers },
  });
}

describe('the tracked redirect', () => {
  it('answers 302 to the landing URL with a signed click id, keeping its query and fragment', async () => {
    const response = await visit(tenant.link.code, {
      headers: { referer: 'https://blog.example/post?x=1', 'cf-ipcountry': 'de' },
    });
    expect(response.status).toBe(302);
    const location = response.headers.get('location')!;
    const match = /^https:\/\/shop\.example\/landing\?utm_source=aff&clid=([A-Za-z0-9_-]+)#top$/.exec(location);
    expect(match).not.toBeNull();
    const clickId = match![1]!;
    const verified = verifyClickId(clickId, clickIdSigner({ crypto: nodeCrypto }, testClickSecrets));
    expect(verified).toMatchObject({
      ok: true,
      click: {
        programId: Number(tenant.program.id.slice(4)),
        affiliateId: Number(tenant.affiliate.id.slice(4)),
        linkId: Number(tenant.link.id.slice(4)),
        clickedAtMs: Date.parse('2026-11-25T10:00:00.000Z'),
        keyId: 2,
      },
    });
    const [row] = clicks();
    expect(row).toMatchObject({
      click_id: clickId,
      clicked_at: '2026-11-25T10:00:00.000Z',
      browser: 'Chrome',
      os: 'Windows',
      device: 'desktop',
      is_bot: 0,
      is_unique: 1,
      country: 'DE',
      referer_host: 'blog.example',
    });
    expect(String(row!.ip_hash)).not.toContain('198.51.100.7');
    expect(JSON.stringify(row)).not.toContain('198.51.100.7');
    expect(response.headers.get('cache-control')).toContain('no-store');
  });

  it('sends deep links to their own page and lets tracking-URL sub-ids override the link', async () => {
    const link = await createLink(t, tenant.affiliate.apiKey, {
      programId: tenant.program.id,
      url: 'https://www.shop.example/p/42?color=red',
      sub1: 'newsletter',
      sub2: 'header',
    });
    const response = await visit(link.code, { query: '?sub1=instagram&sub3=story&sub9=ignored' });
    expect(response.headers.get('location')).toMatch(/^https:\/\/www\.shop\.example\/p\/42\?color=red&clid=[A-Za-z0-9_-]+$/);
    expect(clicks()[0]).toMatchObject({ sub1: 'instagram', sub2: 'header', sub3: 'story', sub4: null });
  });

  it('counts bots and link unfurlers as redirected but not human (P13)', async () => {
    for (const ua of [...humans, ...bots]) {
      const response = await visit(tenant.link.code, { ua, ip: `192.0.2.${humans.indexOf(ua) + 2}` });
      expect(response.status).toBe(302);
      expect(response.headers.get('location')).toContain('clid=');
    }
    const rows = clicks();
    expect(rows).toHaveLength(humans.length + bots.length);
    const botFlags = rows.map((r) => [r.user_agent, r.is_bot]);
    expect(botFlags).toEqual([...humans.map((ua) => [ua, 0]), ...bots.map((ua) => [ua, 1])]);
    expect(rows.filter((r) => r.is_unique === 1)).toHaveLength(humans.length);
    expect(rows.map((r) => r.device).slice(0, 2)).toEqual(['desktop', 'mobile']);
    // Each agent is stored once, however many clicks name it.
    await visit(tenant.link.code, { ua: humans[0], ip: '198.51.100.77' });
    const agents = t.store.raw.prepare('SELECT count(*) FROM user_agents').pluck().get();
    expect(agents).toBe(new Set([...humans, ...bots]).size);
  });

  it('redirects HEAD and prefetch requests without counting them as human (P13)', async () => {
    const head = await visit(tenant.link.code, { method: 'HEAD' });
    expect(head.status).toBe(302);
    expect(await head.text()).toBe('');
    const prefetch = await visit(tenant.link.code, { headers: { 'sec-purpose': 'prefetch;prerender' } });
    expect(prefetch.status).toBe(302);
    expect(clicks().map((r) => [r.is_bot, r.is_unique])).toEqual([
      [1, 0],
      [1, 0],
    ]);
  });

  it('counts a visitor once per hour on a link, from the counted click (P13)', async () => {
    await visit(tenant.link.code);
    t.clock.advance(30 * 60_000);
    await visit(tenant.link.code);
    await visit(tenant.link.code, { ip: '198.51.100.8' });
    await visit(tenant.link.code, { ua: IPHONE });
    t.clock.advance(29 * 60_000);
    await visit(tenant.link.code); // 59 min after the counted click: a repeat, which does not extend the hour
    t.clock.advance(2 * 60_000);
    await visit(tenant.link.code); // 61 min after the counted click: counted again
    t.clock.advance(30 * 60_000);
    await visit(tenant.link.code);
    expect(clicks().map((r) => r.is_unique)).toEqual([1, 0, 1, 1, 0, 1, 0]);
  });

  it('still counts a repeat once after a restart: a new recorder starts from the stored hour of unique clicks (P13)', async () => {
    await visit(tenant.link.code);
    const [first] = clicks();
    const again = (minutesLater: number, n: number) => {
      // A recorder opened on the same file, as a restarted server opens it.
      const restarted = createSqliteClickRecorder(t.store.raw);
      return restarted.record({
        ...recordedClick(first!),
        clickId: `${first!.click_id}-${n}`,
        clickedAt: new Date(Date.parse(String(first!.clicked_at)) + minutesLater * 60_000).toISOString(),
      });
    };
    expect(await again(30, 1)).toEqual({ unique: false });
    expect(await again(59, 2)).toEqual({ unique: false }); // stored repeats do not extend the counted click's hour
    expect(await again(61, 3)).toEqual({ unique: true });
    expect(await again(90, 4)).toEqual({ unique: false }); // 29 min after the click counted by the previous "process"
    expect(clicks().map((r) => r.is_unique)).toEqual([1, 0, 0, 1, 0]);
    // A restarted recorder starts from the stored hour, read (and, for a clock stepped back before
    // it, searched) through the index of unique clicks by time, which repeats never enter.
    const plan = t.store.raw.prepare(`EXPLAIN QUERY PLAN ${UNIQUE_CLICK_BETWEEN}`).all('', '', 1, 'v') as { detail: string }[];
    expect(plan.map((p) => p.detail).join('\n')).toMatch(/USING INDEX clicks_unique_time \(clicked_at>\? AND clicked_at<\?\)/);
  });

  it('spills visitors to unique_visitors when its memory is full, reads them within the hour, and empties them after (P13)', async () => {
    await visit(tenant.link.code);
    const [first] = clicks();
    const recorder = createSqliteClickRecorder(t.store.raw, { maxRemembered: 1 });
    const at = (minutes: number) => new Date(Date.parse(String(first!.clicked_at)) + minutes * 60_000).toISOString();
    let n = 0;
    // Visitor hashes as track-click makes them (24 hex digits), sorting after the first visitor's.
    const va = `${'f'.repeat(23)}a`;
    const record = (visitorHash: string, minutes: number) =>
      recorder.record({ ...recordedClick(first!), clickId: `${first!.click_id}-${++n}`, visitorHash, clickedAt: at(minutes) });
    const spilled = () =>
      t.store.raw.prepare('SELECT visitor_hash, clicked_at FROM unique_visitors ORDER BY visitor_hash').raw().all();

    expect(await record(va, 1)).toEqual({ unique: true }); // memory holds va; the first visitor was spilled
    expect(await record(`${'f'.repeat(23)}b`, 2)).toEqual({ unique: true }); // va spilled
    expect(spilled()).toEqual([
      [first!.visitor_hash, first!.clicked_at],
      [va, at(1)],
    ]);
    expect(await record(va, 3)).toEqual({ unique: false }); // answered by the spilled pair
    expect(await record(String(first!.visitor_hash), 59)).toEqual({ unique: false });
    // 61 min after the newest spill, no spilled pair can matter: the table is emptied.
    expect(await record(va, 62)).toEqual({ unique: true });
    expect(spilled()).toEqual([]);
    expect(clicks().map((r) => r.is_unique)).toEqual([1, 1, 1, 0, 0, 1]);
  });

  it('forgets the visitor and new agent of a click whose group failed: the next click of that visitor is still unique (P13)', async () => {
    await visit(tenant.link.code);
    const [first] = clicks();
    const recorder = createSqliteClickRecorder(t.store.raw);
    const later = new Date(Date.parse(String(first!.clicked_at)) + 60_000).toISOString();
    // A new visitor with an agent never seen: the failed group also takes back the agent's row.
    const newcomer = { ...recordedClick(first!), visitorHash: 'v-newcomer', userAgent: 'agent-newcomer/1.0', clickedAt: later };
    // One group: a click whose id is already stored (it fails, and the group with it), then a
    // click of the same new visitor. Retried alone, only the second is stored.
    const failing = recorder.record({ ...newcomer, clickId: first!.click_id as string });
    const next = recorder.record({ ...newcomer, clickId: `${first!.click_id}-next` });
    await expect(failing).rejects.toThrow(/UNIQUE/);
    expect(await next).toEqual({ unique: true });
    expect(clicks().map((r) => [r.click_id, r.is_unique, r.user_agent])).toEqual([
      [first!.click_id, 1, first!.user_agent],
      [`${first!.click_id}-next`, 1, 'agent-newcomer/1.0'],
    ]);
  });

  it('sets an HttpOnly, SameSite=Lax, Secure click cookie bounded by the cookie window (P16)', async () => {
    const response = await visit(tenant.link.code);
    const cookie = response.headers.get('set-cookie')!;
    const clickId = /clid=([^&#]+)/.exec(response.headers.get('location')!)![1];
    const parts = cookie.split(';').map((p) => p.trim());
    expect(parts[0]).toBe(`clid=${clickId}`);
    expect(parts).toContain('HttpOnly');
    expect(parts).toContain('SameSite=Lax');
    expect(parts).toContain('Secure');
    expect(parts).toContain('Path=/');
    expect(parts).toContain(`Max-Age=${30 * 86400}`);
    expect(cookie).not.toMatch(/Expires=|Domain=|198\.51|Chrome/);
  });

  it('omits Secure on a plain-http tracking host', async () => {
    const local = await startTestApp({ config: { publicUrl: 'http://localhost:8787', bodyLimitBytes: 1 << 20 } });
    try {
      const other = await createTenant(local);
      const response = await local.request(`http://localhost:8787/c/${other.link.code}`, { headers: { 'user-agent': CHROME } });
      const cookie = response.headers.get('set-cookie')!;
      expect(cookie).toContain('HttpOnly');
      expect(cookie).not.toContain('Secure');
    } finally {
      await local.close();
    }
  });

  it('redirects paused links, paused programs and suspended affiliates without a click id', async () => {
    const pause = await t.request(`/v1/links/${tenant.link.code}`, {
      method: 'PATCH',
      key: tenant.affiliate.apiKey,
      json: { status: 'paused' },
    });
    expect(pause.status).toBe(200);
    const paused = await visit(tenant.link.code);
    expect(paused.status).toBe(302);
    expect(paused.headers.get('location')).toBe('https://shop.example/landing?utm_source=aff#top');
    expect(paused.headers.get('set-cookie')).toBeNull();

    await t.request(`/v1/links/${tenant.link.code}`, {
      method: 'PATCH',
      key: tenant.affiliate.apiKey,
      json: { status: 'active' },
    });
    expect((await visit(tenant.link.code)).headers.get('location')).toContain('clid=');

    await t.request(`/v1/programs/${tenant.program.id}`, {
      method: 'PATCH',
      key: tenant.merchant.apiKey,
      json: { status: 'paused' },
    });
    expect((await visit(tenant.link.code)).headers.get('location')).not.toContain('clid=');
    await t.request(`/v1/programs/${tenant.program.id}`, {
      method: 'PATCH',
      key: tenant.merchant.apiKey,
      json: { status: 'active' },
    });
    await t.request(`/v1/programs/${tenant.program.id}/affiliates/${tenant.affiliate.id}/suspend`, {
      method: 'POST',
      key: tenant.merchant.apiKey,
    });
    expect((await visit(tenant.link.code)).headers.get('location')).not.toContain('clid=');
    expect(clicks()).toHaveLength(1);
  });

  it('answers unknown and junk codes with 404: JSON for API clients, a page for browsers', async () => {
    for (const code of ['zzzzzzzz', 'a', '%0d%0aSet-Cookie:x', 'x'.repeat(300), '..%2f..%2fetc', 'abc%00def']) {
      const json = await visit(code);
      expect(json.status).toBe(404);
      expect(await json.json()).toEqual({ error: { code: 'not_found', message: 'link not found' } });
    }
    const html = await visit('zzzzzzzz', { headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(html.status).toBe(404);
    expect(html.headers.get('content-type')).toContain('text/html');
    expect(await html.text()).toContain('Link not found');
    expect(clicks()).toHaveLength(0);
  });

  it('never lets sub-ids or giant query strings reach a header (P14)', async () => {
    const evil = encodeURIComponent('x\r\nSet-Cookie: hacked=1\r\nLocation: https://evil.example/');
    const response = await visit(tenant.link.code, { query: `?sub1=${evil}&sub2=${'y'.repeat(20_000)}` });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toMatch(
      /^https:\/\/shop\.example\/landing\?utm_source=aff&clid=[A-Za-z0-9_-]+#top$/,
    );
    expect(response.headers.get('set-cookie')).not.toContain('hacked');
    const [row] = clicks();
    expect(row!.sub1).toBe('xSet-Cookie: hacked=1Location: https://evil.example/');
    expect(String(row!.sub2)).toHaveLength(128);
  });

  it('falls back to the program landing URL when a deep link leaves the allowed domains (P14)', async () => {
    const link = await createLink(t, tenant.affiliate.apiKey, {
      programId: tenant.program.id,
      url: 'https://www.shop.example/p/1',
    });
    const patched = await t.request(`/v1/programs/${tenant.program.id}`, {
      method: 'PATCH',
      key: tenant.merchant.apiKey,
      json: { allowedDomains: ['shop.example'] },
    });
    expect(patched.status).toBe(200);
    const response = await visit(link.code);
    expect(response.headers.get('location')).toMatch(/^https:\/\/shop\.example\/landing\?utm_source=aff&clid=/);
  });
});
