import { type LocalCluster } from '../../local/local-cluster';
import { startClusterBehindHaproxy } from '../helpers/cluster';

/** A local cluster of three bundled nodes on their own redis-server, behind HAProxy on a free port (its `url`). */
export async function startLocalClusterBehindHaproxy(
  opts: { env?: NodeJS.ProcessEnv; onLog?: (id: string, line: string) => void } = {},
): Promise<LocalCluster> {
  return startClusterBehindHaproxy({ nodes: 3, env: opts.env, onLog: opts.onLog });
}
