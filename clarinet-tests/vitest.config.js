import { defineConfig } from "vitest/config";

// One worker, no per-file isolation: every file shares the memoized clarinet-sdk
// instance, so the WASM VM and the first deployment are paid once (~20 s); later
// `initSimnet` calls restore the cached genesis in well under a second.
export default defineConfig({
  test: {
    include: ["tests/**/*.test.js"],
    pool: "forks",
    maxWorkers: 1,
    isolate: false,
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
