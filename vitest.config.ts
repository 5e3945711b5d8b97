import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real processes (redis-server, nodes, haproxy, chromium) share two cores.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    // Inherited by every node the tests spawn. On two cores shared by a parallel run, a node can go unscheduled past the
    // 200 ms default and answer `overloaded`, which is the shed working; it made delivery tests fail (sharded membership,
    // the soak). test/service/overload.test.ts tests the shed with thresholds of its own.
    env: {
      SHED_LOAD_LAG_MS: '60000',
      // The AWS SDK's notice on Node 20 that its releases after January 2027 need Node 22, in every test that builds a
      // client: the switch its maintainers document (aws/aws-sdk-js-v3#7983), as bin/oncall.ts sets it.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
