import type { Context, Hono } from 'hono';
import type { AppEnv } from '../env';
import { ApiCallError } from './api-client';
import { Csrf, Layout } from './layout';
import type { Program, Simulation } from './merchant-api';
import type { PageContext, PageRunner } from './page-runner';
import { CountCell, DataTable, MoneyCell, num, text } from './data-table';
import { Named } from './components';
import { merchantNames } from './merchant-names';

/** /app/merchant/plan: a program's commission plan, edited and tried on past orders before saving. */
export function registerMerchantPlanPages(router: Hono<AppEnv>, run: PageRunner) {
  const merchant = ['merchant'] as const;
  const planPage = run.page([...merchant], async (c, p) => renderPlan(c, p, {}));
  async function renderPlan(
    c: Context,
    p: PageContext,
    state: {
      planText?: string;
      from?: string;
      to?: string;
      programId?: string;
      simulation?: Simulation;
      notice?: string;
      error?: string;
    },
  ) {
    const { programs } = await p.api.get<{ programs: Program[] }>('/v1/programs');
    const names = state.simulation ? await merchantNames(p.api, programs) : undefined;
    const programId = state.programId ?? c.req.query('program') ?? programs[0]?.id;
    const program = programs.find((pr) => pr.id === programId);
    const planText = state.planText ?? (program ? JSON.stringify(program.plan, null, 2) : '');
    const from = state.from ?? p.monthAgo;
    const to = state.to ?? p.today;
    const sim = state.simulation;
    return c.html(
      <Layout
        title="Commission plan and what-if"
        role="merchant"
        csrf={p.session.csrf}
        notice={state.notice}
        error={state.error}
        path="/app/merchant/plan"
      >
        <section aria-labelledby="program-h">
          <h2 id="program-h">Program</h2>
          <form class="inline" method="get" action="/app/merchant/plan">
            <label>
              Program
              <select name="program">
                {programs.map((pr) => (
                  <option value={pr.id} selected={pr.id === programId}>
                    {pr.name} ({pr.currency})
                  </option>
                ))}
              </select>
            </label>
            <button type="submit">Open</button>
          </form>
        </section>
        {program && (
          <section aria-labelledby="plan-h">
            <h2 id="plan-h">Plan of {program.name}</h2>
            <form method="post" action="/app/merchant/plan">
              <Csrf token={p.session.csrf} />
              <input type="hidden" name="program" value={program.id} />
              <label>
                Plan (JSON: default, rules, tiers, maxPerOrder, parentPercent, excludeNonCash)
                <textarea name="plan" rows={14} spellcheck={false}>
                  {planText}
                </textarea>
              </label>
              <div class="inline" style="display:flex;flex-wrap:wrap;gap:8px 12px;align-items:flex-end;margin-top:8px">
                <label>
                  Simulate from
                  <input type="date" name="from" value={from} required />
                </label>
                <label>
                  to
                  <input type="date" name="to" value={to} required />
                </label>
                <button type="submit" name="intent" value="simulate">
                  Simulate
                </button>
                <button
                  type="submit"
                  name="intent"
                  value="save"
                  class="secondary"
                  data-confirm="Save this plan? It applies to orders placed from now on."
                >
                  Save plan
                </button>
              </div>
            </form>
          </section>
        )}
        {sim && (
          <section aria-labelledby="sim-h">
            <h2 id="sim-h">
              What-if {from} – {to}: {sim.orders} orders
            </h2>
            <DataTable
              testId="simulation-table"
              columns={[text('Affiliate'), num('Orders'), num('Current'), num('Proposed'), num('Difference')]}
              rows={sim.affiliates}
              row={(a) => (
                <tr data-key={a.affiliateId}>
                  <th scope="row">
                    <Named id={a.affiliateId} name={names?.affiliate.get(a.affiliateId)} />
                  </th>
                  <CountCell fmt={p.fmt} value={a.orders} field="orders" />
                  <MoneyCell fmt={p.fmt} amount={a.current} currency={sim.currency} field="current" />
                  <MoneyCell fmt={p.fmt} amount={a.proposed} currency={sim.currency} field="proposed" />
                  <MoneyCell fmt={p.fmt} amount={a.difference} currency={sim.currency} field="difference" />
                </tr>
              )}
              foot={
                <tr data-key="total">
                  <th scope="row">Total</th>
                  <CountCell fmt={p.fmt} value={sim.orders} field="orders" />
                  <MoneyCell fmt={p.fmt} amount={sim.totals.current} currency={sim.currency} field="current" />
                  <MoneyCell fmt={p.fmt} amount={sim.totals.proposed} currency={sim.currency} field="proposed" />
                  <MoneyCell fmt={p.fmt} amount={sim.totals.difference} currency={sim.currency} field="difference" />
                </tr>
              }
            />
          </section>
        )}
      </Layout>,
    );
  }
  router.get('/app/merchant/plan', planPage);
  router.post(
    '/app/merchant/plan',
    run.action([...merchant], async (c, p, form) => {
      const state = {
        planText: form.plan ?? '',
        from: form.from ?? p.monthAgo,
        to: form.to ?? p.today,
        programId: form.program ?? '',
      };
      let plan: unknown;
      try {
        plan = JSON.parse(state.planText);
      } catch {
        c.status(422);
        return renderPlan(c, p, { ...state, error: 'The plan is not valid JSON; nothing was simulated or saved.' });
      }
      const path = `/v1/programs/${encodeURIComponent(state.programId)}`;
      try {
        if (form.intent === 'save') {
          await p.api.send('PATCH', path, { plan });
          return renderPlan(c, p, { ...state, notice: 'Plan saved: orders placed from now on earn under it.' });
        }
        const simulation = await p.api.send<Simulation>('POST', `${path}/plan/simulate`, {
          plan,
          from: state.from,
          to: state.to,
        });
        return renderPlan(c, p, { ...state, simulation });
      } catch (error) {
        // A plan the API refuses (schema, decimals) comes back with its reason and the text kept.
        if (error instanceof ApiCallError && error.status < 500 && error.status !== 404) {
          c.status(error.status as 422);
          return renderPlan(c, p, {
            ...state,
            error: `Nothing was ${form.intent === 'save' ? 'saved' : 'simulated'}: ${error.message}`,
          });
        }
        throw error;
      }
    }),
  );
}
