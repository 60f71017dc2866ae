import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * A component's own registry, with prom-client's process and Node.js metrics (CPU, memory, event
 * loop lag, GC, handles): its own rather than prom-client's global one, so that two components in
 * one process (tests) never share a counter.
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Prometheus's base unit of time. */
export function seconds(ms: number): number {
  return ms / 1000;
}
