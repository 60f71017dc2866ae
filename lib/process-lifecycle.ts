import { AwsConfigError } from './aws/index.ts';
import { ConfigError } from './errors.ts';
import { createLogger, type Logger } from './log.ts';

/** A component made from its configuration, not yet listening or polling. */
export interface Startable {
  logger: Logger;
  /** The fatal line's message when start() fails; `<component> could not start` by default. */
  startFailure?: string;
  /** Resolves once the component listens or polls, with how to stop it. */
  start(): Promise<Stoppable>;
}

export interface Stoppable {
  /** Lets the work in progress finish and closes what the component opened. */
  stop(): Promise<void>;
}

/** What runComponent uses of the process, so that a test can stand in for it. */
export interface ProcessHost {
  onSignal(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): void;
  writeError(text: string): void;
  exit(code: number): void;
}

const NODE_PROCESS: ProcessHost = {
  onSignal: (signal, listener) => process.on(signal, listener),
  writeError: (text) => process.stderr.write(text),
  exit: (code) => process.exit(code),
};

/**
 * A component's main, the same for all: a configuration error (lib's ConfigError, lib/aws's
 * AwsConfigError) prints `<component>: cannot start. <message>` to stderr, with no stack, and
 * exits 1; any other error in build() or start() is logged as fatal and exits 1. SIGTERM and
 * SIGINT, listened to before start() so that none is missed, run stop() once (after start() has
 * finished) and exit 0, or 1 if it fails; the same signal again exits 1 at once. The other signal
 * is the same request, not a second one: Ctrl-C in a terminal sends SIGINT to every process of the
 * group, and a supervisor such as make dev then asks each component to stop with SIGTERM. Logs are
 * flushed before every exit. Resolves once start() has settled.
 */
export async function runComponent(component: string, build: () => Startable, host: ProcessHost = NODE_PROCESS): Promise<void> {
  let startable: Startable;
  try {
    startable = build();
  } catch (err) {
    failed(err, createLogger({ component }), `${component} could not start`);
    return;
  }
  const { logger } = startable;

  function exit(code: number): void {
    logger.flush(() => host.exit(code));
  }

  function failed(err: unknown, log: Logger, message: string): void {
    if (err instanceof ConfigError || err instanceof AwsConfigError) host.writeError(`${component}: cannot start. ${err.message}\n`);
    else log.fatal({ err }, message);
    log.flush(() => host.exit(1));
  }

  // start() runs once the signals below are listened to.
  const started = Promise.resolve().then(() => startable.start());
  let first: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (first === signal) {
      logger.warn({ signal }, 'second signal: exiting at once');
      exit(1);
      return;
    }
    if (first !== undefined) {
      logger.info({ signal, first }, 'already stopping');
      return;
    }
    first = signal;
    logger.info({ signal }, 'shutting down');
    // A start that fails exits on its own.
    started.then((running) => running.stop().then(() => exit(0), (err: unknown) => {
      logger.fatal({ err }, `${component} could not stop`);
      exit(1);
    }), () => undefined);
  };
  host.onSignal('SIGTERM', onSignal);
  host.onSignal('SIGINT', onSignal);

  try {
    await started;
  } catch (err) {
    failed(err, logger, startable.startFailure ?? `${component} could not start`);
  }
}
