import { optionsHelp, parse } from './args.ts';
import { createClient, type JobsClient } from './client.ts';
import { EXIT, type Command, type ExitCode } from './command.ts';
import { COMMANDS } from './commands/index.ts';
import { clientConfig } from './config.ts';
import { InterruptedError, UsageError } from './errors.ts';
import { writeLine, type Io } from './io.ts';
import { describeFailure } from './output/failure.ts';

/** `jobsys <command> [options]`: runs it and gives the exit status; it never throws. */
export async function run(args: readonly string[], io: Io): Promise<ExitCode> {
  const [name, ...rest] = args;
  const command = name === undefined ? undefined : COMMANDS.get(name);
  try {
    if (name === undefined) throw new UsageError('name a command');
    if (name === '--help' || name === '-h' || name === 'help') return help(io, rest[0]);
    if (command === undefined) throw new UsageError(name.startsWith('-') ? `the command comes first, before ${name}` : `unknown command "${name}"`);
    const { values, positionals } = parse(rest, command.options, command.positionals);
    if (values.help === true) {
      writeLine(io.stdout, commandHelp(command));
      return EXIT.ok;
    }
    let client: JobsClient | undefined;
    return await command.run({
      io, values, positionals,
      json: values.json === true,
      client: () => client ??= createClient({
        ...clientConfig(values, io.env),
        onRetry: ({ status, waitMs, retry, of }) => writeLine(io.stderr, `jobsys: the api answered ${status}; trying again in ${waitMs / 1_000} s (${retry} of ${of})`),
        signal: io.signal,
      }),
    });
  } catch (err) {
    if (err instanceof UsageError) {
      writeLine(io.stderr, `jobsys: ${err.message}`);
      writeLine(io.stderr, `Run 'jobsys ${command === undefined ? '' : `${command.name} `}--help' for usage.`);
      return EXIT.usage;
    }
    if (err instanceof InterruptedError) {
      writeLine(io.stderr, 'jobsys: interrupted');
      return EXIT.interrupted;
    }
    writeLine(io.stderr, `jobsys: ${describeFailure(err)}`);
    return EXIT.failed;
  }
}

function help(io: Io, topic: string | undefined): ExitCode {
  if (topic === undefined) {
    writeLine(io.stdout, mainHelp());
    return EXIT.ok;
  }
  const command = COMMANDS.get(topic);
  if (command === undefined) throw new UsageError(`unknown command "${topic}"`);
  writeLine(io.stdout, commandHelp(command));
  return EXIT.ok;
}

function mainHelp(): string {
  const width = Math.max(...[...COMMANDS.keys()].map((name) => name.length));
  return [
    'Usage: jobsys <command> [options]',
    '',
    'The jobsys command-line client: submit jobs, follow them, cancel and retry them.',
    '',
    'Commands:',
    ...[...COMMANDS.values()].map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Options of every command:',
    optionsHelp({}),
    '',
    'Environment: JOBSYS_URL (default http://127.0.0.1:8080), JOBSYS_API_KEY.',
    'Exit status: 0 all succeeded, 1 something failed, 2 the command line is wrong, 130 Ctrl-C.',
    "Run 'jobsys <command> --help' for a command's options.",
  ].join('\n');
}

function commandHelp(command: Command): string {
  return [`Usage: ${command.usage}`, '', command.description, '', 'Options:', optionsHelp(command.options)].join('\n');
}
