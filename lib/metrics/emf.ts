import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Logger } from '../log.ts';

/** The CloudWatch namespace of every jobsys metric written as EMF. */
export const EMF_NAMESPACE = 'jobsys';
/** CloudWatch stores metrics by the minute: a line a minute loses nothing. */
export const EMF_FLUSH_INTERVAL_MS = 60_000;
/**
 * Values of one metric in one line. Powertools writes a line itself, to its own console, when a
 * metric reaches 100 values; one fewer keeps every line ours to write, in order with the logs.
 */
const VALUES_PER_LINE = 99;

export type EmfDimensions = Readonly<Record<string, string>>;

export interface EmfOptions {
  /** The `service` dimension of every line: `api`, `worker`. */
  service: string;
  /** Writes one whole line: the component's log destination (lib/log.ts writeLine), so lines never interleave. */
  writeLine(line: string): void;
  /** For Powertools' own warnings. */
  logger: Logger;
  flushIntervalMs?: number;
}

export interface EmfMetrics {
  /** Adds `value` to a count, summed until the next flush. */
  count(name: string, dimensions: EmfDimensions, value?: number): void;
  /** One more observation of a time, in milliseconds; CloudWatch keeps each for its percentiles. */
  milliseconds(name: string, dimensions: EmfDimensions, value: number): void;
  /** Writes what was gathered since the last flush: one line per set of dimensions (and per 99 times). */
  flush(): void;
  /** Flushes, and flushes no more by the clock. */
  stop(): void;
}

interface Gathered {
  dimensions: EmfDimensions;
  counts: Map<string, number>;
  times: Map<string, number[]>;
}

/**
 * Job metrics as CloudWatch Embedded Metric Format: JSON lines in the log that CloudWatch Logs
 * turns into metrics, so an ECS task or an EC2 host with the awslogs driver needs no agent and makes
 * no API call. Counts are summed and times gathered in memory, and written every minute, not a
 * line per event; Powertools Metrics (the library the dlq-lambda uses too) writes each line.
 */
export function startEmfMetrics(options: EmfOptions): EmfMetrics {
  const powertools = new Metrics({ namespace: EMF_NAMESPACE, serviceName: options.service, logger: options.logger });
  let gathered = new Map<string, Gathered>();

  function group(dimensions: EmfDimensions): Gathered {
    const key = JSON.stringify(Object.entries(dimensions).sort(([a], [b]) => a.localeCompare(b)));
    let entry = gathered.get(key);
    if (entry === undefined) {
      entry = { dimensions, counts: new Map(), times: new Map() };
      gathered.set(key, entry);
    }
    return entry;
  }

  function line(dimensions: EmfDimensions, add: (metrics: Metrics) => void): void {
    for (const [name, value] of Object.entries(dimensions)) powertools.addDimension(name, value);
    add(powertools);
    const emf = powertools.serializeMetrics();
    powertools.clearMetrics();
    powertools.clearDimensions();
    options.writeLine(JSON.stringify(emf));
  }

  function flush(): void {
    const groups = gathered;
    gathered = new Map();
    for (const { dimensions, counts, times } of groups.values()) {
      const lines = Math.max(1, ...[...times.values()].map((values) => Math.ceil(values.length / VALUES_PER_LINE)));
      for (let n = 0; n < lines; n++) {
        line(dimensions, (metrics) => {
          if (n === 0) for (const [name, value] of counts) metrics.addMetric(name, MetricUnit.Count, value);
          for (const [name, values] of times) {
            for (const value of values.slice(n * VALUES_PER_LINE, (n + 1) * VALUES_PER_LINE)) metrics.addMetric(name, MetricUnit.Milliseconds, value);
          }
        });
      }
    }
  }

  const timer = setInterval(flush, options.flushIntervalMs ?? EMF_FLUSH_INTERVAL_MS);
  // A process with nothing else to do may exit: stop() flushes what is left.
  timer.unref();
  return {
    count(name, dimensions, value = 1) {
      const { counts } = group(dimensions);
      counts.set(name, (counts.get(name) ?? 0) + value);
    },
    milliseconds(name, dimensions, value) {
      const { times } = group(dimensions);
      const values = times.get(name);
      if (values === undefined) times.set(name, [value]);
      else values.push(value);
    },
    flush,
    stop() {
      clearInterval(timer);
      flush();
    },
  };
}
