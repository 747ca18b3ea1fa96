//! The server allocates on mimalloc: a page render is allocation-heavy
//! (Leptos building the HTML), and under glibc's malloc a third of the
//! server's CPU went to `malloc`/`free`. Measured with `bench/allocators`
//! (docs/benchmarks.md): about 1.2x the pages per second of glibc's.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
