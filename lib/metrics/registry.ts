import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/**
 * A component's own registry, with prom-client's process and Node.js metrics (CPU, memory, event
 * loop lag, GC, handles): its own rather than prom-client's global one, so that two components in
 * one process (tests) never share a counter.
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const name of MISNAMED_DEFAULTS) registry.removeSingleMetric(name);
  return registry;
}

/**
 * Three of prom-client's defaults are gauges named as counters are (`_total`), which Prometheus's
 * own linter (promtool check metrics) refuses. Nothing is lost without them: each is the sum of a
 * gauge that stays, by type (`nodejs_active_handles{type}`, and so on).
 */
const MISNAMED_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** Prometheus's base unit of time. */
export function seconds(ms: number): number {
  return ms / 1000;
}

/** A counter registered in `registry` alone (its name ends in `_total`). */
export function counter<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[]): Counter<L> {
  return new Counter({ name, help, labelNames, registers: [registry] });
}

/** A histogram registered in `registry` alone; prom-client's default buckets (5 ms to 10 s) unless given. */
export function histogram<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[], buckets?: number[]): Histogram<L> {
  return new Histogram({ name, help, labelNames, registers: [registry], ...(buckets ? { buckets } : {}) });
}
