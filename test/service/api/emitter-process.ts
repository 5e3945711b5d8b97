/**
 * A separate process that publishes with @socket.io/redis-emitter, as it comes: default key
 * (`socket.io`), default parser. Prints one JSON line: how many Redis subscribers each of its
 * PUBLISH commands reached.
 * argv: <redis url> <event> <id> <room>...
 */
import { Emitter } from '@socket.io/redis-emitter';
import { createClient } from 'redis';

async function main(): Promise<void> {
  const [url, event, id, ...rooms] = process.argv.slice(2);
  const client = createClient({ url });
  client.on('error', (err: Error) => process.stderr.write(`redis: ${err.message}\n`));
  await client.connect();
  const sent: Array<Promise<number>> = [];
  // The emitter ignores PUBLISH's answer; this keeps it, to show who was listening.
  const counting = { publish: (channel: string, message: Buffer | string) => (sent.push(client.publish(channel, message)), true) };
  const emitter = new Emitter(counting);
  for (const room of rooms) emitter.to(room).emit(event, { via: 'emitter', room }, { id, sentAt: new Date().toISOString() });
  const receivers = await Promise.all(sent);
  process.stdout.write(`${JSON.stringify({ receivers })}\n`);
  await client.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`emitter failed: ${String(err)}\n`);
  process.exit(1);
});
