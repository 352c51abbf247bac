-- Additive: the W3C trace id of the request that wrote an audit row (NULL for rows written
-- outside a traced request, such as CLI commands and rows from before this migration).
ALTER TABLE audit_log ADD COLUMN trace_id TEXT;

-- The trace context of the logout that queued a back-channel delivery, so the delivery
-- (sent later, by any instance) continues that trace: `traceparent` and `tracestate`.
ALTER TABLE backchannel_deliveries ADD COLUMN trace_parent TEXT;
ALTER TABLE backchannel_deliveries ADD COLUMN trace_state TEXT;
