//! Work that runs beside the request paths on every instance: expiry sweeps and the
//! PostgreSQL change listener. Key rotation, client-cache polling, revocation-list
//! refresh and back-channel deliveries are started by their own modules.

pub mod listener;
pub mod sweep;
