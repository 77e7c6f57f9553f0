-- Postback tokens travel in query strings, so a merchant must be able to see which are in use,
-- revoke one and rotate it. A token is listed by its first 12 characters ("pbt_" and 8 random
-- ones, which name nothing of the rest); tokens made before this migration were not kept in any
-- readable form and are listed by a label. last_used_at is written at most about once a minute
-- per token, not on every postback.
ALTER TABLE postback_tokens ADD COLUMN token_prefix TEXT NOT NULL DEFAULT '(earlier token)';
ALTER TABLE postback_tokens ADD COLUMN last_used_at TEXT;
