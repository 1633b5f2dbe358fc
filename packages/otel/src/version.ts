// The instrumentation scope of the spans and metrics (test/version.test.ts
// checks both against package.json).

/** The instrumentation scope name: this package's name. */
export const PACKAGE_NAME = '@udprpc/otel';
/** The instrumentation scope version: this package's version. */
export const PACKAGE_VERSION = '0.1.0';
