import { setTimeout as sleep } from 'node:timers/promises';
import { inspectContainer, run, type CommandOutput } from './docker-cli.ts';

export interface ComposeProjectOptions {
  /** `docker compose` or docker-compose (composeCommand()). */
  compose: readonly string[];
  docker: readonly string[];
  /** Unique per run: containers, networks and volumes are named after it. */
  name: string;
  /** Where .env and the env_file are, as on the instance: relative paths resolve against it. */
  directory: string;
  files: readonly string[];
  /**
   * The variables the directory's .env sets. Compose lets the caller's environment win over .env,
   * and make exports some of the same names (STACK, IMAGE_TAG), so they are dropped from it.
   */
  dotEnvKeys: readonly string[];
}

export interface ComposeProject {
  readonly name: string;
  run(args: readonly string[], timeoutMs?: number): Promise<CommandOutput>;
  /** The service's one container; compose v2's `ps` lists running ones only, so ask while it runs. */
  containerId(service: string): Promise<string>;
  /** Resolves once Docker reports the container healthy; rejects at once if it exits or turns unhealthy. */
  waitHealthy(containerId: string, timeoutMs: number): Promise<void>;
  /** Every service's output, for a failure message. */
  logs(): Promise<string>;
  /** Containers, networks and volumes gone; safe to call when `up` never ran or failed halfway. */
  down(): Promise<void>;
}

export function composeProject(options: ComposeProjectOptions): ComposeProject {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !options.dotEnvKeys.includes(name)));
  const base = [...options.compose, '-p', options.name, '--project-directory', options.directory, ...options.files.flatMap((file) => ['-f', file])];
  const project: ComposeProject = {
    name: options.name,
    run: (args, timeoutMs) => run([...base, ...args], { cwd: options.directory, env, ...(timeoutMs === undefined ? {} : { timeoutMs }) }),
    async containerId(service) {
      const id = (await project.run(['ps', '-q', service])).stdout.trim();
      if (!/^[0-9a-f]{12,64}$/.test(id)) throw new Error(`compose ps -q ${service} gave ${JSON.stringify(id)}, not one container id`);
      return id;
    },
    async waitHealthy(containerId, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { State } = await inspectContainer(options.docker, containerId);
        const health = State.Health?.Status;
        if (health === 'healthy') return;
        if (!State.Running) throw new Error(`container ${containerId} is ${State.Status} (exit code ${State.ExitCode}), not running`);
        if (health === undefined) throw new Error(`container ${containerId} has no health check`);
        if (health === 'unhealthy') throw new Error(`container ${containerId} is unhealthy`);
        if (Date.now() > deadline) throw new Error(`container ${containerId} is still ${health} after ${timeoutMs} ms`);
        await sleep(250);
      }
    },
    async logs() {
      try {
        return (await project.run(['logs', '--no-color'])).stdout;
      } catch (err) {
        return `(no logs: ${(err as Error).message})`;
      }
    },
    async down() {
      await project.run(['down', '--volumes', '--remove-orphans', '--timeout', '10'], 120_000);
    },
  };
  return project;
}
