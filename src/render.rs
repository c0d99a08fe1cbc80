//! The canonical renderer (SPEC §7).
