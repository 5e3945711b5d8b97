import { startLocalCluster } from '../../local/local-cluster';
import { freePorts } from '../helpers/ports';
import { clusterSuite } from './cluster-suite';

clusterSuite('classic redis adapter, 3 bundled nodes on one redis-server', async () => {
  const cluster = await startLocalCluster({ ports: await freePorts(3) });
  return { urls: cluster.nodes.map((n) => n.url), stop: () => cluster.stop() };
});
