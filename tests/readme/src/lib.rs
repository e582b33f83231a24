//! The README's Rust snippets, compiled by `cargo test` as doctests so that they cannot go
//! stale. Nothing else is here.
#![forbid(unsafe_code)]

#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct Readme;
