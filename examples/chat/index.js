'use strict';
// A chat with usernames, typing indicators and join/leave announcements, as a platform app (contract/app.ts).
// Everything is plain Socket.IO: the platform has already installed the Redis adapter, so `socket.broadcast`
// reaches the sockets of every node, and the user count is the size of one room across the cluster.
const { readFile } = require('node:fs');
const { join } = require('node:path');

/** Every socket that has chosen a name is in this room: its size across the cluster is the user count. */
const USERS = 'chat:users';
const MAX_NAME_LENGTH = 32;
const MAX_MESSAGE_LENGTH = 2000;

/** The name a client asked for, trimmed, or undefined when it is not 1-32 characters of text. */
function validName(value) {
  if (typeof value !== 'string') return undefined;
  const name = value.trim();
  return name.length > 0 && name.length <= MAX_NAME_LENGTH ? name : undefined;
}

module.exports = async function chat(io, platform) {
  const log = platform.logger;

  /** Counts the named sockets on every node; a Redis hiccup is logged and the event goes out without a count. */
  async function numUsers() {
    try {
      return await platform.rooms.count(USERS);
    } catch (err) {
      log.warn({ err: String(err) }, 'chat: user count failed');
      return undefined;
    }
  }

  io.on('connection', (socket) => {
    // A connection restored by connection state recovery comes back with its name and its rooms; its old connection's
    // `disconnect` announced that it left, so it is announced again.
    if (socket.recovered && socket.data.username !== undefined) {
      void numUsers().then((count) => {
        socket.emit('login', { numUsers: count });
        socket.to(USERS).emit('user joined', { username: socket.data.username, numUsers: count });
      });
    }

    socket.on('add user', async (value, ack) => {
      const reply = typeof ack === 'function' ? ack : () => undefined;
      const username = validName(value);
      if (!username) {
        reply({ ok: false, error: `a username is 1 to ${MAX_NAME_LENGTH} characters` });
        return;
      }
      const added = socket.data.username === undefined;
      socket.data.username = username;
      socket.join(USERS);
      const count = await numUsers();
      reply({ ok: true, numUsers: count });
      socket.emit('login', { numUsers: count });
      if (added) socket.to(USERS).emit('user joined', { username, numUsers: count });
    });

    socket.on('new message', (message) => {
      const username = socket.data.username;
      if (username === undefined || typeof message !== 'string' || message.length === 0) return;
      platform.metrics.count('chat.messages');
      socket.to(USERS).emit('new message', { username, message: message.slice(0, MAX_MESSAGE_LENGTH) });
    });

    socket.on('typing', () => {
      if (socket.data.username !== undefined) socket.to(USERS).emit('typing', { username: socket.data.username });
    });

    socket.on('stop typing', () => {
      if (socket.data.username !== undefined) socket.to(USERS).emit('stop typing', { username: socket.data.username });
    });

    // By now the socket has left its rooms, so the count no longer includes it.
    socket.on('disconnect', async () => {
      const username = socket.data.username;
      if (username === undefined) return;
      io.to(USERS).emit('stop typing', { username });
      io.to(USERS).emit('user left', { username, numUsers: await numUsers() });
    });
  });
};

const PUBLIC = join(__dirname, 'public');
// Only these paths are served: a URL never becomes a file path.
const PAGES = new Map([
  ['/', { file: 'index.html', type: 'text/html; charset=utf-8' }],
  ['/chat.js', { file: 'chat.js', type: 'text/javascript; charset=utf-8' }],
  ['/style.css', { file: 'style.css', type: 'text/css; charset=utf-8' }],
]);

// Its events carry text only: a binary event closes its connection before the node holds it (docs/apps.md).
module.exports.settings = { binary: false };

/** The page: every request the platform does not serve itself comes here. */
module.exports.http = function http(req, res) {
  const page = PAGES.get(new URL(req.url ?? '/', 'http://localhost').pathname);
  if (!page || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
    return;
  }
  readFile(join(PUBLIC, page.file), (err, body) => {
    if (err) {
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('page missing\n');
      return;
    }
    res.writeHead(200, { 'content-type': page.type, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
};
