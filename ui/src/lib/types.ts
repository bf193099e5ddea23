// The shapes the Rust side sends and takes: generated from the Rust types by ts-rs into
// ./bindings (src-tauri/src/bindings.rs; its test `bindings_are_fresh` fails when they are
// stale, and `UPDATE_BINDINGS=1 cargo test -p gitlab-onboard-app --lib bindings` rewrites
// them). Nothing here is written by hand: change the Rust type, then regenerate.
export type * from './bindings';
