import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppDeps } from '../../core/deps';
import type { AppEnv } from '../env';
import { rateLimited } from '../middleware/authorize';
import { bodyErrors, errorResponses, json, jsonBody, NameSchema } from '../schemas/common';
import type { SignupGate } from '../signup-gate';
import { normalizeEmail, requestSignup, SIGNUP_LINK_HOURS, verifySignup } from '../../use-cases/signup';

export const SIGNUP_ACCEPTED = {
  status: 'pending' as const,
  message: `If this address can be used, a confirmation link is on its way to it; the link works once and expires in ${SIGNUP_LINK_HOURS} hours.`,
};

const SignupAccepted = z.object({ status: z.literal('pending'), message: z.string() }).openapi('SignupAccepted');
const SignupVerified = z
  .object({ id: z.string(), name: z.string(), email: z.string().nullable(), apiKey: z.string(), keyId: z.string() })
  .openapi('SignupVerified');

const postSignupRoute = createRoute({
  method: 'post',
  path: '/v1/signup',
  security: [],
  tags: ['signup'],
  summary: 'Ask for an affiliate account; the same 202 whether the address is new or known (a link or a note is emailed)',
  request: { body: jsonBody(z.object({ name: NameSchema, email: z.email().max(320) }).strict()) },
  responses: {
    202: json(SignupAccepted, 'Accepted: check the inbox'),
    ...errorResponses(...bodyErrors, 'forbidden', 'rate_limited'),
  },
});

const postSignupVerifyRoute = createRoute({
  method: 'post',
  path: '/v1/signup/verify',
  security: [],
  tags: ['signup'],
  summary: "Confirm the emailed link's token: creates the affiliate and its API key, shown only here",
  request: { body: jsonBody(z.object({ token: z.string().min(20).max(200) }).strict()) },
  responses: {
    201: json(SignupVerified, 'The affiliate and its API key'),
    ...errorResponses(...bodyErrors, 'forbidden', 'not_found', 'conflict'),
  },
});

/** Public sign-up (no key): docs/affiliates.md, "Signing up". */
export function registerSignupRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps, gate: SignupGate) {
  app.openapi(postSignupRoute, async (c) => {
    const body = c.req.valid('json');
    const wait = gate.admit(deps.clientIp(c), normalizeEmail(body.email), deps.clock.now().getTime());
    if (wait !== undefined) return rateLimited(c, wait, `too many sign-up requests; try again in ${wait} s`) as never;
    await requestSignup(deps, body);
    return c.json(SIGNUP_ACCEPTED, 202);
  });
  app.openapi(postSignupVerifyRoute, async (c) => c.json(await verifySignup(deps, c.req.valid('json').token), 201));
}
