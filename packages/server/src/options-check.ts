import { checkHostOptions, checkOptionalFunction, checkOptionalNumber, checkOptionalObject, type HostOptionsShape } from '@udprpc/core/engine';

// The checks of createServer's own options (issue 13): a TypeError for a
// value of the wrong type or shape, a RangeError for one out of range, both
// thrown by createServer itself. What it hands to the engine (dedup,
// admission, sources, reassembly, sizes) the engine checks, with the same names.

/**
 * Checks `ServerOptions` (server.ts, not imported: it imports this module);
 * throws a TypeError or a RangeError naming the first bad option.
 */
export function checkServerOptions(options: HostOptionsShape & { readonly warnings?: unknown }): void {
  checkHostOptions(options, ['coalesce', 'pathMtuDiscovery', 'antiAmplification', 'introspection', 'requireAuth']);
  if (options.warnings !== false) {
    const warnings = checkOptionalObject(options.warnings, 'options.warnings');
    checkOptionalFunction(warnings['emit'], 'options.warnings.emit');
    checkOptionalNumber(warnings['maxPerInterval'], 'options.warnings.maxPerInterval', { min: 1, integer: true });
    checkOptionalNumber(warnings['intervalMs'], 'options.warnings.intervalMs', { above: 0 });
  }
}
