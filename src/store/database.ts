import type { Generated } from 'kysely';

/** The SQL store as Kysely sees it; one interface per table in sql/sqlite/. */
export interface Database {
  merchants: MerchantTable;
  affiliates: AffiliateTable;
  api_keys: ApiKeyTable;
  webhook_secrets: WebhookSecretTable;
  programs: ProgramTable;
  program_affiliates: ProgramAffiliateTable;
  links: LinkTable;
  clicks: ClickTable;
  settings: SettingTable;
  schema_migrations: SchemaMigrationTable;
}

export type Role = 'admin' | 'merchant' | 'affiliate' | 'finance';
export const ROLES = ['admin', 'merchant', 'affiliate', 'finance'] as const satisfies readonly Role[];

export interface MerchantTable {
  id: Generated<number>;
  name: string;
  created_at: string;
}

export interface AffiliateTable {
  id: Generated<number>;
  name: string;
  email: string | null;
  parent_id: number | null;
  created_at: string;
}

export interface ApiKeyTable {
  id: Generated<number>;
  key_hash: string;
  key_prefix: string;
  role: Role;
  merchant_id: number | null;
  affiliate_id: number | null;
  created_at: string;
  revoked_at: string | null;
}

export interface WebhookSecretTable {
  id: Generated<number>;
  merchant_id: number;
  secret: string;
  created_at: string;
  expires_at: string | null;
}

export interface ProgramTable {
  id: Generated<number>;
  merchant_id: number;
  name: string;
  landing_url: string;
  allowed_domains: string;
  currency: string;
  cookie_days: number;
  lock_days: number;
  plan: string;
  status: 'active' | 'paused';
  created_at: string;
  updated_at: string;
}

export interface ProgramAffiliateTable {
  program_id: number;
  affiliate_id: number;
  status: 'approved' | 'suspended';
  created_at: string;
  updated_at: string;
}

export interface LinkTable {
  id: Generated<number>;
  code: string;
  program_id: number;
  affiliate_id: number;
  url: string | null;
  sub1: string | null;
  sub2: string | null;
  sub3: string | null;
  sub4: string | null;
  sub5: string | null;
  status: 'active' | 'paused';
  created_at: string;
}

export interface ClickTable {
  id: Generated<number>;
  click_id: string;
  link_id: number;
  program_id: number;
  affiliate_id: number;
  clicked_at: string;
  ip_hash: string;
  visitor_hash: string;
  user_agent: string;
  browser: string;
  os: string;
  device: string;
  is_bot: number;
  is_unique: number;
  country: string;
  referer_host: string;
  sub1: string | null;
  sub2: string | null;
  sub3: string | null;
  sub4: string | null;
  sub5: string | null;
}

export interface SettingTable {
  key: string;
  value: string;
}

export interface SchemaMigrationTable {
  name: string;
  checksum: string;
  applied_at: string;
}
