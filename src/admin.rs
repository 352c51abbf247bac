//! Administration's own rules, shared by the admin API and the admin console: who may
//! administer (`access`), how lists are paged (`cursor`) and how lost writes are
//! prevented (`etag`). Nothing here knows HTTP.

pub mod access;
pub mod cursor;
pub mod etag;
