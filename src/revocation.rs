//! Revocation as resource servers see it: the revocation log applied incrementally to an
//! in-memory list (`state`, `list`), and the signed feed documents built from it
//! (`document`).

pub mod document;
pub mod list;
pub mod state;
