import type { Generated } from 'kysely';
import type { Role } from '../core/principal';

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
  user_agents: UserAgentTable;
  settings: SettingTable;
  orders: OrderTable;
  order_events: OrderEventTable;
  coupons: CouponTable;
  affiliate_customer_refs: AffiliateCustomerRefTable;
  postback_tokens: PostbackTokenTable;
  plan_versions: PlanVersionTable;
  affiliate_rates: AffiliateRateTable;
  ledger_entries: LedgerEntryTable;
  commission_tier_marks: CommissionTierMarkTable;
  fx_rates: FxRateTable;
  payouts: PayoutTable;
  payout_lines: PayoutLineTable;
  payout_entries: PayoutEntryTable;
  clickhouse_outbox: ClickhouseOutboxTable;
  clickhouse_exports: ClickhouseExportTable;
  schema_migrations: SchemaMigrationTable;
  connector_secrets: ConnectorSecretTable;
  connector_rest_credentials: ConnectorRestCredentialTable;
  connector_orders: ConnectorOrderTable;
  connector_refunds: ConnectorRefundTable;
  catalog_items: CatalogItemTable;
  webhook_endpoints: WebhookEndpointTable;
  affiliate_postbacks: AffiliatePostbackTable;
  affiliate_program_postbacks: AffiliateProgramPostbackTable;
  outbound_events: OutboundEventTable;
  webhook_deliveries: WebhookDeliveryTable;
  webhook_attempts: WebhookAttemptTable;
  mail_outbox: MailOutboxTable;
  signup_requests: SignupRequestTable;
  adjustments: AdjustmentTable;
  audit_log: AuditLogTable;
}

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
  payout_method: Generated<'paypal' | 'wise' | 'bank' | null>;
  payout_details: Generated<string | null>;
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
  /** JSON array of attribution sources in the order tried. */
  attribution_order: Generated<string>;
  /** JSON FraudChecks. */
  fraud_checks: Generated<string>;
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

export interface UserAgentTable {
  id: Generated<number>;
  user_agent: string;
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
  /** `user_agents.id`: agents are stored once each. */
  user_agent_id: number;
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
  paid_search_param: string | null;
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

export interface OrderTable {
  id: Generated<number>;
  merchant_id: number;
  program_id: number;
  external_id: string;
  currency: string;
  placed_at: string;
  attribution_method: 'click' | 'coupon' | 'none';
  attribution_reason: string;
  affiliate_id: number | null;
  link_id: number | null;
  click_id: string | null;
  coupon_code: string | null;
  held: number;
  receipt: string;
  status: 'created' | 'paid' | 'completed' | 'refunded' | 'cancelled';
  paid_at: string | null;
  completed_at: string | null;
  refunded_at: string | null;
  cancelled_at: string | null;
  snapshot: string;
  snapshot_at: string;
  revenue_minor: number;
  refunded_minor: number;
  customer_id: string | null;
  new_customer: number | null;
  created_at: string;
  updated_at: string;
  review: Generated<'released' | 'rejected' | null>;
  fx_rate: Generated<string | null>;
  fx_source: Generated<string | null>;
  fx_effective_at: Generated<string | null>;
}

export interface OrderEventTable {
  id: Generated<number>;
  order_id: number;
  merchant_id: number;
  delivery_id: string;
  channel: 'webhook' | 'postback';
  type: 'order.created' | 'order.paid' | 'order.completed' | 'order.refunded' | 'order.cancelled';
  occurred_at: string;
  received_at: string;
  content_hash: string;
  payload: string;
}

export interface CouponTable {
  id: Generated<number>;
  program_id: number;
  code: string;
  affiliate_id: number;
  created_at: string;
}

export interface AffiliateCustomerRefTable {
  affiliate_id: number;
  merchant_id: number;
  customer_ref: string;
  created_at: string;
}

export interface PostbackTokenTable {
  id: Generated<number>;
  merchant_id: number;
  token_hash: string;
  /** The token's first 12 characters, to tell tokens apart in a list. */
  token_prefix: Generated<string>;
  created_at: string;
  /** When a postback last used it, written at most once a minute (`POSTBACK_USE_RESOLUTION_MS`). */
  last_used_at: string | null;
  /** In the future while a rotated token's grace runs; in the past once it is dead. */
  revoked_at: string | null;
}

export interface PlanVersionTable {
  program_id: number;
  version: number;
  plan: string;
  effective_from: string;
  created_at: string;
}

export interface AffiliateRateTable {
  program_id: number;
  affiliate_id: number;
  effective_from: string;
  rate_bp: number | null;
}

export type LedgerKind = 'accrual' | 'adjustment' | 'reversal' | 'clawback' | 'override' | 'manual';
/** The month sales before an order of a tiered program, as the batch last evaluated it with. */
/** Per order of a tiered program, as the batch last evaluated it (sql/sqlite/0010). */
export interface CommissionTierMarkTable {
  affiliate_id: number;
  program_id: number;
  placed_at: string;
  order_id: number;
  month_sales_before_minor: number;
  kept_minor: number;
}

export type LedgerStatus = 'pending' | 'approved' | 'held' | 'reversed' | 'paid';

export interface LedgerEntryTable {
  id: Generated<number>;
  entry_id: string;
  /** NULL only for a manual adjustment on no order (sql/sqlite/0020). */
  order_id: number | null;
  program_id: number;
  affiliate_id: number;
  slot: string;
  line_index: number | null;
  kind: LedgerKind;
  status: LedgerStatus;
  amount_minor: number;
  currency: string;
  base_minor: number | null;
  rate_bp: number | null;
  rule: string;
  plan_version: number;
  explanation: string;
  as_of: string;
  created_at: string;
  status_changed_at: string;
  fx_rate: string | null;
  fx_source: string | null;
  fx_effective_at: string | null;
  order_currency: string | null;
}

export interface FxRateTable {
  base: string;
  quote: string;
  effective_at: string;
  rate: string;
  source: string;
  created_at: string;
}

export type PayoutStatus = 'created' | 'paid' | 'failed' | 'cancelled';

export interface PayoutTable {
  id: Generated<number>;
  as_of: string;
  minimum_amount: string;
  currency: string | null;
  minimums: string | null;
  skipped: string | null;
  status: PayoutStatus;
  created_at: string;
  settled_at: string | null;
}

export interface PayoutLineTable {
  payout_id: number;
  affiliate_id: number;
  currency: string;
  amount_minor: number;
  entries: number;
}

export interface PayoutEntryTable {
  payout_id: number;
  entry_id: string;
  affiliate_id: number;
  currency: string;
  active: Generated<number>;
}

export interface ClickhouseOutboxTable {
  seq: Generated<number>;
  stream: 'order' | 'ledger';
  row_id: number;
}

export interface ClickhouseExportTable {
  target: string;
  stream: 'clicks' | 'outbox';
  exported_through: number;
  pending_from: number | null;
  pending_through: number | null;
}

export type ConnectorPlatform = 'shopify' | 'woocommerce';

export interface ConnectorSecretTable {
  id: Generated<number>;
  program_id: number;
  platform: ConnectorPlatform;
  secret: string;
  created_at: string;
  expires_at: string | null;
}

export interface ConnectorRestCredentialTable {
  program_id: number;
  platform: 'woocommerce';
  base_url: string;
  consumer_key: string;
  consumer_secret: string;
  updated_at: string;
}

export interface ConnectorOrderTable {
  program_id: number;
  platform: ConnectorPlatform;
  external_id: string;
  document: string | null;
  document_at: string | null;
  deleted_at: string | null;
  receipt: Generated<string | null>;
}

export interface ConnectorRefundTable {
  program_id: number;
  platform: ConnectorPlatform;
  refund_id: string;
  external_id: string;
  refund: string;
  created_at: string;
}

export interface CatalogItemTable {
  program_id: number;
  sku: string;
  category: string;
}

/** A merchant's (or, with merchant_id NULL, an operator's) webhook endpoint (sql/sqlite/0015). */
export interface WebhookEndpointTable {
  id: Generated<number>;
  merchant_id: number | null;
  url: string;
  /** JSON array of event types. */
  events: string;
  description: Generated<string>;
  secret: string;
  created_at: string;
  deleted_at: string | null;
  /** sql/sqlite/0023: paused by its owner, disabled by the dispatcher, the secret a rotation replaced. */
  paused_at: Generated<string | null>;
  disabled_at: Generated<string | null>;
  disabled_reason: Generated<string | null>;
  previous_secret: Generated<string | null>;
  previous_secret_expires_at: Generated<string | null>;
  consecutive_failures: Generated<number>;
  failing_since: Generated<string | null>;
}

/** An affiliate's postback URL for one program, used instead of its default (sql/sqlite/0023). */
export interface AffiliateProgramPostbackTable {
  affiliate_id: number;
  program_id: number;
  url: string;
  created_at: string;
  updated_at: string;
}

export interface AffiliatePostbackTable {
  affiliate_id: number;
  url: string;
  created_at: string;
  updated_at: string;
}

/** The outbox of outbound events, filled by triggers; `snapshot` is the row as it was (JSON). */
export interface OutboundEventTable {
  seq: Generated<number>;
  type: string;
  merchant_id: number | null;
  affiliate_id: number | null;
  resource_id: number;
  snapshot: string;
  created_at: string;
}

export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookDeliveryTable {
  id: Generated<number>;
  event_seq: number;
  endpoint_id: number | null;
  postback_affiliate_id: number | null;
  status: WebhookDeliveryStatus;
  attempts: Generated<number>;
  failures: Generated<number>;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: string | null;
  /** Set while a sender holds it (next_attempt_at is then a lease); sql/sqlite/0023. */
  claimed_at: Generated<string | null>;
  created_at: string;
  updated_at: string;
}

export interface WebhookAttemptTable {
  delivery_id: number;
  attempt: number;
  attempted_at: string;
  status_code: number | null;
  error: string | null;
  latency_ms: number;
  response: Generated<string>;
}

export type MailStatus = 'pending' | 'sent' | 'failed';

export interface MailOutboxTable {
  id: Generated<number>;
  template: string;
  recipient: string;
  subject: string;
  text_body: string;
  html_body: string;
  status: MailStatus;
  attempts: Generated<number>;
  last_error: string | null;
  next_attempt_at: string | null;
  created_at: string;
  sent_at: string | null;
}

export interface SignupRequestTable {
  id: Generated<number>;
  token_hash: string;
  name: string;
  email: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  affiliate_id: number | null;
}

/** A manual adjustment (sql/sqlite/0020): append-only, its amount in the ledger entry `entry_id`. */
export interface AdjustmentTable {
  id: number;
  entry_id: string;
  merchant_id: number;
  program_id: number;
  affiliate_id: number;
  order_id: number | null;
  amount_minor: number;
  currency: string;
  reason: string;
  reverses: number | null;
  actor_key_id: number;
  actor_role: Role;
  ref: string;
  request_hash: string;
  created_at: string;
}

/** One audited change (sql/sqlite/0021): append-only, enforced by triggers. */
export interface AuditLogTable {
  id: Generated<number>;
  at: string;
  actor_key_id: number | null;
  actor_role: Role;
  merchant_id: number | null;
  affiliate_id: number | null;
  action: string;
  object_type: string;
  object_id: string | null;
  summary: string;
  client_address: string;
}
