//! The boot runtime (feature `rt`).
