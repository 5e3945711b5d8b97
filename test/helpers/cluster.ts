import { type LocalCluster, type LocalClusterOptions, startLocalCluster } from '../../local/local-cluster';
import { freePorts } from '../../tools/processes';

export type BalancedClusterOptions = Omit<LocalClusterOptions, 'ports' | 'loadBalancerPort'> & {
  /** @default 2 */
  readonly nodes?: number;
};

/** `nodes` bundled nodes on their own redis-server, behind HAProxy (the cluster's `url`), all on free ports. */
export async function startClusterBehindHaproxy(opts: BalancedClusterOptions = {}): Promise<LocalCluster> {
  const { nodes = 2, ...rest } = opts;
  const [loadBalancerPort, ...ports] = await freePorts(1 + nodes);
  return startLocalCluster({ ...rest, ports, loadBalancerPort });
}
