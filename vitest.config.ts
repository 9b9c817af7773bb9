import { defineConfig } from "vitest/config";

export default defineConfig({
  // The examples import the package by name, as its users do: in a checkout, the sources.
  resolve: {
    alias: [
      {
        find: /^aegis-workflows\/([a-z-]+)$/,
        replacement: `${import.meta.dirname}/src/$1/index.ts`,
      },
    ],
  },
  test: {
    include: ["tests/**/*.test.ts"],
    // Generous deadlines: many tests start real processes (the CLI, the bundled action,
    // agents), and under load (two suites at once on 2 cores) a process-heavy test can take
    // several times its usual time. A deadline only catches a hang; no test asserts speed.
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
