import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests bind real sockets and spawn FreeRADIUS; two cores cannot run many at once.
    maxWorkers: 2,
  },
});
