// The limit: a bare `ws` server that writes each message it receives to every connection in
// the sender's room (the sender included, as Socket.IO does). No framing, no acks, no adapter.
import WebSocket, { WebSocketServer } from 'ws';

interface FrameSender {
  sendFrame(list: Buffer[], cb?: (err?: Error) => void): void;
}
// Not in @types/ws, but public in ws 8 and what engine.io uses for its pre-encoded broadcasts.
const frame = (WebSocket as unknown as { Sender: { frame(data: Buffer, opts: object): Buffer[] } }).Sender.frame;

const port = Number(process.env.PORT ?? 0);
const rooms = new Map<string, Set<WebSocket>>();
const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false, clientTracking: false });

wss.on('connection', (ws, req) => {
  const room = new URL(req.url ?? '/', 'http://localhost').searchParams.get('room');
  if (!room) return;
  let members = rooms.get(room);
  if (!members) rooms.set(room, (members = new Set()));
  members.add(ws);
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    // Framed once for the whole room, as Socket.IO does for a broadcast.
    const list = frame(data, { fin: true, rsv1: false, opcode: isBinary ? 2 : 1, mask: false, readOnly: false });
    for (const peer of members) {
      const sender = (peer as unknown as { _sender?: FrameSender })._sender;
      if (peer.readyState !== WebSocket.OPEN) continue;
      if (sender) sender.sendFrame(list);
      else peer.send(data, { binary: isBinary });
    }
  });
  ws.on('close', () => {
    members.delete(ws);
    if (members.size === 0) rooms.delete(room);
  });
});
wss.on('listening', () => console.log(`listening ${port}`));
process.on('SIGTERM', () => process.exit(0));
