-- What a link carries besides its user: the address an email verification or change is
-- for (so the link can only confirm that address).
ALTER TABLE action_tokens ADD COLUMN payload TEXT;
