import { type LocalCluster, startLocalCluster } from '../../local/local-cluster';
import { freePorts } from '../helpers/ports';

/** A local cluster of three bundled nodes on their own redis-server, behind HAProxy on a free port (its `url`). */
export async function startLocalClusterBehindHaproxy(
  opts: { env?: NodeJS.ProcessEnv; onLog?: (id: string, line: string) => void } = {},
): Promise<LocalCluster> {
  const [haproxyPort, ...ports] = await freePorts(4);
  return startLocalCluster({ ports, loadBalancerPort: haproxyPort, env: opts.env, onLog: opts.onLog });
}
