import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { userRoom } from '../../../contract/app';
import { apiSuite } from './api-suite';
import { emitFromAnotherProcess } from './emitter';
import { closeUserSockets, openUserSocket, unique } from './helpers';

apiSuite('sharded', (cluster) => {
  it('has no emitter: @socket.io/redis-emitter PUBLISHes where the sharded adapter (SSUBSCRIBE) does not listen', async () => {
    const { lbUrl, redisUrl } = cluster();
    const alice = await openUserSocket(lbUrl, unique('alice'));
    // A classic PUBLISH on a Redis Cluster reaches classic subscribers on every shard; the adapter has only sharded ones.
    expect(await emitFromAnotherProcess(redisUrl, 'test:emitted', randomUUID(), [userRoom(alice.user)])).toEqual([0]);
    closeUserSockets();
  });
});
