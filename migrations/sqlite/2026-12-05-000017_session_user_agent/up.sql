-- The browser a session signed in with (its User-Agent, at most 512 bytes), so the
-- account page can say "Firefox on Linux" next to each session.
ALTER TABLE sessions ADD COLUMN user_agent TEXT;
