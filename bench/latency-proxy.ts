/**
 * The chaos suite's fault proxy (test/chaos/support/fault-proxy.ts) in a process of its own, adding
 * LATENCY_MS to every call before it forwards it to TARGET: `latency-proxy.ts TARGET LATENCY_MS`.
 * Prints its URL. Its own process, so that its CPU is neither the worker's nor the runner's, and
 * can be read apart (it must not become the bottleneck of what it delays).
 */
import { startFaultProxy } from '../test/chaos/support/fault-proxy.ts';

const [target = '', latency = ''] = process.argv.slice(2);
const proxy = await startFaultProxy(target);
proxy.inject({ kinds: ['latency'], rate: 1, latencyMs: Number(latency), durationMs: 365 * 86_400_000 });
process.stdout.write(`${proxy.url}\n`);
process.on('SIGTERM', () => {
  void proxy.close().then(() => process.exit(0));
});
