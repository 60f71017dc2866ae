import { execFile } from 'node:child_process';
import { DockerError } from '../../errors.ts';

export interface Docker {
  /** Runs `docker <args>`; `stdin` is written to its standard input (a password, never an argument). */
  run(args: string[], stdin?: string): Promise<string>;
}

/** DOCKER as the Makefile uses it: a command, possibly with words before it (`sudo docker`). */
export function createDocker(command: string | undefined, env: Record<string, string | undefined>): Docker {
  const [program = 'docker', ...leading] = (command ?? '').trim().split(/\s+/).filter((word) => word !== '');
  return {
    run(args, stdin) {
      return new Promise((resolve, reject) => {
        const child = execFile(program, [...leading, ...args], { env, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
          if (err === null) {
            resolve(stdout);
            return;
          }
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
            reject(new DockerError(`${program} is not installed or not on the PATH: install Docker, or set DOCKER to its command`));
            return;
          }
          reject(new DockerError(`docker ${args[0] ?? ''} failed: ${stderr.trim() || err.message}`));
        });
        child.stdin?.end(stdin ?? '');
      });
    },
  };
}
