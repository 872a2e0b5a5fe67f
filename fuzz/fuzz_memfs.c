/*
 * fuzz_memfs: fuzz_server.c's live sessions (the same op language, seeds
 * and invariants on the wire) against the engine with the in-memory
 * backend of examples/memfs instead of the POSIX one; see fuzz_server.c,
 * "FZ_MEMFS".
 */
#define FZ_MEMFS 1
#include "fuzz_server.c"
