-- A key chosen through ADMIN_TOKEN was listed by its first six characters, stored in plain text:
-- a sixth of a chosen token is a real hint. Its prefix becomes a label (generated keys keep their
-- 12-character prefix, which is random and names nothing of the secret part).
UPDATE api_keys SET key_prefix = '(ADMIN_TOKEN)' WHERE role = 'admin' AND length(key_prefix) <= 6;
