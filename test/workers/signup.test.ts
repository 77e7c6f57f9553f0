import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { call } from './api';

// Sign-up on D1: the message is queued in the same batch() as the request (and stays pending:
// workerd sends no mail), the link's token creates the affiliate once, and the trigger of
// migration 0019 refuses the second use inside D1's batch.
describe('sign-up on Workers', () => {
  it('queues the link in D1, creates the affiliate once from it, refuses it again', async () => {
    const asked = await call('/v1/signup', { json: { name: 'Edge Affiliate', email: 'Edge@Example.com' } });
    expect(asked.status).toBe(202);
    const mail = await env.DB.prepare('SELECT template, recipient, status, text_body FROM mail_outbox').all<{
      template: string;
      recipient: string;
      status: string;
      text_body: string;
    }>();
    expect(mail.results).toHaveLength(1);
    expect(mail.results[0]).toMatchObject({ template: 'signup_verify', recipient: 'edge@example.com', status: 'pending' });
    const token = decodeURIComponent(/token=([A-Za-z0-9_%-]+)/.exec(mail.results[0]!.text_body)![1]!);
    expect(await env.DB.prepare('SELECT count(*) AS n FROM affiliates').first()).toEqual({ n: 0 });

    const made = await call<{ id: string; apiKey: string; email: string }>('/v1/signup/verify', { json: { token } });
    expect(made.status).toBe(201);
    expect(made.body.email).toBe('edge@example.com');
    expect((await call('/v1/keys', { key: made.body.apiKey })).status).toBe(200);

    const again = await call<{ error: { code: string; message: string } }>('/v1/signup/verify', { json: { token } });
    expect(again.status).toBe(409);
    expect(again.body.error.message).toBe('this sign-up link was already used; sign in with your API key');
    expect(await env.DB.prepare('SELECT count(*) AS n FROM affiliates').first()).toEqual({ n: 1 });
    expect(await env.DB.prepare("SELECT count(*) AS n FROM api_keys WHERE role = 'affiliate'").first()).toEqual({ n: 1 });
  });
});
