DROP TABLE action_tokens;
