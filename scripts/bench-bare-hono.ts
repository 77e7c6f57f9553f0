import { serve } from '@hono/node-server';
import { Hono } from 'hono';

/**
 * The baseline for `npm run bench:redirect`: a bare Hono app on the same Node adapter whose only
 * route answers a 302, with no lookup, no signing and no database.
 */
const app = new Hono();
app.get('/c/:code', (c) => c.redirect('https://shop.example/', 302));

serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 0), hostname: process.env.HOST ?? '127.0.0.1' }, (info) => {
  console.log(`bare hono listening on http://localhost:${info.port}`);
});
