import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { userRoom } from '../../../contract/app';
import { apiSuite } from './api-suite';
import { emitFromAnotherProcess } from './emitter';
import { closeUserSockets, expectDelivery, openSpread, openUserSocket, unique } from './helpers';

apiSuite('pubsub', (cluster) => {
  it('takes @socket.io/redis-emitter from a separate process, default key, to a user room and to a room', async () => {
    const { lbUrl, redisUrl } = cluster();
    const alice = await openSpread(lbUrl, unique('alice'), 3);
    const bob = await openUserSocket(lbUrl, unique('bob'));
    const room = unique('emitted');
    for (const s of alice) expect(await s.request('room:join', { room })).toEqual({ ok: true, room });

    for (const target of [userRoom(alice[0].user), room]) {
      let receivers: number[] = [];
      await expectDelivery(
        lbUrl,
        async () => {
          const id = randomUUID();
          receivers = await emitFromAnotherProcess(redisUrl, 'test:emitted', id, [target]);
          return id;
        },
        alice,
        [bob],
        'test:emitted',
      );
      // One pattern subscription per node (the classic adapter's psubscribe on socket.io#/#*).
      expect(receivers).toEqual([3]);
    }
    closeUserSockets();
  });
});
