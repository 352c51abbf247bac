ALTER TABLE action_tokens DROP COLUMN payload;
