import { freePort, spawnGroup, waitUntilAnswering } from './process-group.ts';

export interface MotoServer {
  endpoint: string;
  /** AWS_ENDPOINT_URL for both services: moto tells them apart by the credential scope of the signature. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export interface MotoOptions {
  /** The executable; `moto_server` on PATH by default. */
  command?: string;
  startTimeoutMs?: number;
}

const HOST = '127.0.0.1';
const INSTALL_HINT = "install it with `pip install 'moto[server]'` (moto 5.x)";

/** moto_server on loopback and a free port, in its own process group so that stop() ends all of it. */
export async function startMoto(options: MotoOptions = {}): Promise<MotoServer> {
  const command = options.command ?? 'moto_server';
  const port = await freePort();
  const moto = spawnGroup(command, ['-H', HOST, '-p', String(port)]);
  try {
    await Promise.race([waitUntilAnswering(port, '/moto-api/', command, options.startTimeoutMs ?? 20_000), moto.failed]);
  } catch (err) {
    await moto.stop();
    throw new Error(`${(err as Error).message}; if it is not installed, ${INSTALL_HINT}.\n${moto.stderrTail()}`, { cause: err });
  }
  const endpoint = `http://${HOST}:${port}`;
  return {
    endpoint,
    env: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'moto',
      AWS_SECRET_ACCESS_KEY: 'moto',
    },
    stop: () => moto.stop(),
  };
}
