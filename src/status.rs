//! IETF Token Status Lists (draft-ietf-oauth-status-list): every access token carries
//! `status.status_list {idx, uri}`; revoking it sets its bit in the list served at `uri`.
//! Indexes come from blocks reserved per client (`allocator`), the bits and their
//! encoding are in `bits`, the signed lists in `lists`.

pub mod allocator;
pub mod bits;
pub mod lists;
