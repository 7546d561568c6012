#if os(Linux)
import CMalloc
#endif

/// How the server asks glibc's allocator to keep the memory its responses are built in.
enum AllocatorTuning {
    /// A response of a few hundred kilobytes (the backlog of 200 is 220 kB of JSON) grows through buffers past glibc's
    /// default thresholds: each was mapped fresh or handed back on free, and the kernel zeroed its pages again for the next
    /// request (13% of that read's server CPU in `clear_page_erms`). Buffers under 4 MB now come from the heap, and up to
    /// 16 MB left free at a heap's top stays mapped for the next response.
    static func keepResponseBuffers() {
        #if os(Linux)
        _ = mallopt(M_MMAP_THRESHOLD, 4 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, 16 << 20)
        #endif
    }
}
