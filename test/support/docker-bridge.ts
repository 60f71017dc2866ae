import { isIPv4 } from 'node:net';
import { run } from './docker-cli.ts';

/**
 * The host address that `host-gateway` (host.docker.internal in extra_hosts) resolves to inside
 * a container: the default bridge's gateway, or dockerd's host-gateway-ip when set. A server
 * bound to it is reachable from this host and from its containers, yet not from the network as
 * on 0.0.0.0. Asked of a throwaway container of `image` (it needs node), because neither
 * `docker network inspect bridge` (no Gateway when dockerd adopted docker0's address) nor
 * os.networkInterfaces() (no docker0 while no container is on it) always tells.
 */
export async function hostGatewayAddress(docker: readonly string[], image: string): Promise<string> {
  const lookup = "require('node:dns').lookup('host.docker.internal', { family: 4 }, (err, address) => { if (err) throw err; console.log(address); })";
  const { stdout } = await run([...docker, 'run', '--rm', '--network', 'bridge', '--add-host', 'host.docker.internal:host-gateway', '--entrypoint', 'node', image, '-e', lookup]);
  const address = stdout.trim();
  if (!isIPv4(address)) throw new Error(`host.docker.internal resolved to ${JSON.stringify(address)} in a container: does dockerd support host-gateway (20.10 or later)?`);
  return address;
}
