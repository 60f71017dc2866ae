import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface CommandOutput {
  stdout: string;
  stderr: string;
}

/** Runs argv; on failure rejects with the command line and both outputs, so a test says why. */
export async function run(argv: readonly string[], options: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<CommandOutput> {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error('run: empty command');
  try {
    const running = execFileAsync(file, args, { cwd: options.cwd, env: options.env ?? process.env, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 });
    // A command that reads no input may exit before it is written: its status says what happened.
    running.child.stdin?.on('error', () => undefined);
    running.child.stdin?.end(options.input);
    return await running;
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string };
    throw new Error(`${argv.join(' ')} failed: ${(err as Error).message}\n--- stdout\n${stdout ?? ''}\n--- stderr\n${stderr ?? ''}`);
  }
}

function words(value: string): string[] {
  return value.trim().split(/\s+/);
}

/** The docker CLI as the Makefile's DOCKER names it. */
export function dockerCommand(env: NodeJS.ProcessEnv = process.env): string[] {
  return env.DOCKER ? words(env.DOCKER) : ['docker'];
}

/**
 * Compose as the Makefile's COMPOSE names it; else, like the Makefile, `docker compose` (v2)
 * where that plugin exists and docker-compose (v1) where it does not.
 */
export async function composeCommand(env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  if (env.COMPOSE) return words(env.COMPOSE);
  const plugin = [...dockerCommand(env), 'compose'];
  try {
    await run([...plugin, 'version']);
    return plugin;
  } catch {
    return ['docker-compose'];
  }
}

/** The parts of `docker inspect` of a container that the tests read. */
export interface ContainerInspect {
  Id: string;
  Name: string;
  State: { Status: string; Running: boolean; ExitCode: number; OOMKilled: boolean; Health?: { Status: string } };
  Config: {
    User: string;
    Image: string;
    Healthcheck?: { Test?: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; Retries?: number };
  };
  HostConfig: {
    Memory: number;
    NanoCpus: number;
    PidsLimit: number | null;
    Init: boolean | null;
    ReadonlyRootfs: boolean;
    CapDrop: string[] | null;
    SecurityOpt: string[] | null;
    RestartPolicy: { Name: string };
    Tmpfs: Record<string, string> | null;
    LogConfig: { Type: string; Config: Record<string, string> };
    ExtraHosts: string[] | null;
  };
}

export async function inspectContainer(docker: readonly string[], id: string): Promise<ContainerInspect> {
  const { stdout } = await run([...docker, 'container', 'inspect', id]);
  const [container] = JSON.parse(stdout) as ContainerInspect[];
  if (!container) throw new Error(`docker inspect ${id} returned nothing`);
  return container;
}

export type Healthcheck = NonNullable<ContainerInspect['Config']['Healthcheck']>;

/** An image's own HEALTHCHECK, or undefined when it declares none. */
export async function imageHealthcheck(docker: readonly string[], image: string): Promise<Healthcheck | undefined> {
  const { stdout } = await run([...docker, 'image', 'inspect', '--format', '{{json .Config.Healthcheck}}', image]);
  return (JSON.parse(stdout) as Healthcheck | null) ?? undefined;
}

export async function imageExists(docker: readonly string[], image: string): Promise<boolean> {
  try {
    await run([...docker, 'image', 'inspect', image]);
    return true;
  } catch {
    return false;
  }
}
