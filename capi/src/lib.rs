//! The C ABI: result codes, opaque handles, a panic boundary on every entry point.
