import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { userRoom } from '../../../contract/app';
import { apiSuite } from './api-suite';
import { emitFromAnotherProcess } from './emitter';
import { closeUserSockets, openUserSocket, unique } from './helpers';

apiSuite('streams', (cluster) => {
  it('has no emitter: @socket.io/redis-emitter PUBLISHes where no streams node listens (use the HTTP API)', async () => {
    const { lbUrl, redisUrl } = cluster();
    const alice = await openUserSocket(lbUrl, unique('alice'));
    // The streams adapter reads the `socket.io` stream (XREAD); nothing subscribes to the emitter's channels.
    expect(await emitFromAnotherProcess(redisUrl, 'test:emitted', randomUUID(), [userRoom(alice.user)])).toEqual([0]);
    closeUserSockets();
  });
});
