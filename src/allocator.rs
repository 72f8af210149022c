//! How the process allocates: the one setting the command line tool (and
//! the benchmarks, to measure what it does) makes at start.

/// Large image planes (48 MB at 12 MP) are allocated and freed many times
/// per photo. glibc returns every allocation above 32 MB to the kernel on
/// free, and worker threads' arenas give theirs back too, so each new plane
/// pays its page faults and TLB shootdowns again (~0.5 s of the 2.7 s the
/// metrics of a 12 MP photo took). Keeping freed memory in one heap lets
/// later planes reuse it (measured: 36 000 fewer page faults and ~40 ms
/// less per 12 MP photo than with per-thread arenas); peak memory is
/// unchanged. Call once, first thing in `main`, before any thread exists.
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)]
    // SAFETY: mallopt only changes allocator parameters; callers run this
    // before any thread exists, and a failure (0) leaves the defaults in place.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 30);
        libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}
