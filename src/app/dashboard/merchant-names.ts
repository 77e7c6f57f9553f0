import { query, type ApiClient } from './api-client';
import type { Program } from './merchant-api';

/**
 * Names for the ids a merchant's pages show, read from the API: programs from GET /v1/programs,
 * affiliates from each program's member list, links from the report by link (its label is the
 * link's code). A page prints the name and keeps the id on hover (components.tsx, Named).
 */
export interface Names {
  program: Map<string, string>;
  affiliate: Map<string, string>;
  link: Map<string, string>;
}

export async function merchantNames(api: ApiClient, programs?: Program[]): Promise<Names> {
  const list = programs ?? (await api.get<{ programs: Program[] }>('/v1/programs')).programs;
  const members = await Promise.all(
    list.map((p) =>
      api.get<{ affiliates: { affiliateId: string; name: string }[] }>(`/v1/programs/${encodeURIComponent(p.id)}/affiliates`),
    ),
  );
  return {
    program: new Map(list.map((p) => [p.id, p.name])),
    affiliate: new Map(members.flatMap((m) => m.affiliates.map((a) => [a.affiliateId, a.name] as const))),
    link: new Map(),
  };
}

/** Link codes for the links clicked on one day (the day of an order's click), from the report by link. */
export async function linkNames(api: ApiClient, day: string, names: Names): Promise<void> {
  const { rows } = await api.get<{ rows: { key: string; label?: string }[] }>(
    `/v1/reports/summary${query({ from: day, to: day, groupBy: 'link' })}`,
  );
  for (const r of rows) if (r.key && r.label) names.link.set(r.key, r.label);
}
