ALTER TABLE backchannel_deliveries DROP COLUMN trace_state;
ALTER TABLE backchannel_deliveries DROP COLUMN trace_parent;
ALTER TABLE audit_log DROP COLUMN trace_id;
