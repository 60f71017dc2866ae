/**
 * One REPORT line, as Lambda (and the Runtime Interface Emulator) prints one after each invocation:
 * `REPORT RequestId: <id>\tInit Duration: 12.34 ms\tDuration: 5.67 ms\t...\tMax Memory Used: 80 MB\t`.
 * Init Duration is there only for the invocation that started the execution environment.
 */
export interface LambdaReport {
  requestId: string;
  initDurationMs?: number;
  durationMs: number;
  memorySizeMb: number;
  maxMemoryUsedMb: number;
}

/** The REPORT line's fields, or undefined for any other line; throws on a REPORT line that lacks one. */
export function parseReportLine(line: string): LambdaReport | undefined {
  if (!line.startsWith('REPORT ')) return undefined;
  const fields = new Map(line.slice('REPORT '.length).split('\t').filter((field) => field.trim() !== '').map((field) => {
    const at = field.indexOf(': ');
    return [field.slice(0, at).trim(), field.slice(at + 2).trim()] as const;
  }));
  const required = (name: string): string => {
    const value = fields.get(name);
    if (value === undefined) throw new Error(`REPORT line without ${name}: ${line}`);
    return value;
  };
  const number = (value: string): number => Number.parseFloat(value);
  const initDuration = fields.get('Init Duration');
  return {
    requestId: required('RequestId'),
    ...(initDuration === undefined ? {} : { initDurationMs: number(initDuration) }),
    durationMs: number(required('Duration')),
    memorySizeMb: number(required('Memory Size')),
    maxMemoryUsedMb: number(required('Max Memory Used')),
  };
}

/**
 * The emulator's log line that ends the init phase, `INIT REPORT(durationMs: 472.963000)`: the time
 * from the runtime's start to its first request for an event, which Lambda reports as Init Duration.
 */
export function parseInitReport(line: string): number | undefined {
  const match = /\(rapid\) INIT REPORT\(durationMs: (\d+(?:\.\d+)?)\)/.exec(line);
  return match ? Number(match[1]) : undefined;
}
