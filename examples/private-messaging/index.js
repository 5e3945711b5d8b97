// Private messaging as a platform app (contract/app.ts), an ES module: every user has a room of their own, and the
// sessions and the messages live in Redis (through platform.redisUrl), so that any node can restore a session and
// serve a conversation's history.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createClient } from 'redis';

const SESSION_TTL_S = 7 * 24 * 3600;
/** The messages kept per conversation, newest last. */
const HISTORY_LENGTH = 200;
const MAX_NAME_LENGTH = 32;
const MAX_MESSAGE_LENGTH = 2000;

/** The room of all of one user's sockets, on every node. */
const userRoom = (userID) => `pm:user:${userID}`;
// One key per record, so that every command touches one key (a Redis Cluster takes it as it is).
const keys = {
  session: (sessionID) => `pm:session:${sessionID}`,
  /** userID → username of everyone who ever had a session. */
  users: 'pm:users',
  conversation: (a, b) => `pm:conversation:${[a, b].sort().join(':')}`,
};
const newID = () => randomBytes(16).toString('hex');

/**
 * The middleware, after the platform's auth: a client with a known `auth.sessionID` comes back as the same user on
 * any node; anyone else needs an `auth.username` and gets a new session.
 */
function restoreSession(redis, log) {
  return async (socket, next) => {
    try {
      const { sessionID, username } = socket.handshake.auth ?? {};
      const stored = typeof sessionID === 'string' && /^[0-9a-f]{32}$/.test(sessionID) ? await redis.hGetAll(keys.session(sessionID)) : {};
      if (stored.userID) {
        socket.data.pm = { sessionID, userID: stored.userID, username: stored.username };
        return next();
      }
      const name = typeof username === 'string' ? username.trim() : '';
      if (name.length === 0 || name.length > MAX_NAME_LENGTH) return next(new Error('invalid username'));
      // Under JWT auth the token's subject is the user; without it every new session is a new user.
      const identity = socket.data.identity;
      socket.data.pm = { sessionID: newID(), userID: identity?.claims ? identity.user : newID(), username: name };
      next();
    } catch (err) {
      log.warn({ err: String(err) }, 'private-messaging: session lookup failed');
      next(new Error('session store unavailable'));
    }
  };
}

/** `private message` { to, content }: stored in the conversation, then sent to every socket of both users but this one. */
async function privateMessage({ socket, redis, platform }, value, reply) {
  const { userID } = socket.data.pm;
  const { content, to } = value ?? {};
  if (typeof content !== 'string' || content.length === 0 || content.length > MAX_MESSAGE_LENGTH || typeof to !== 'string')
    return reply({ ok: false, error: `a message is { to, content } with 1 to ${MAX_MESSAGE_LENGTH} characters of content` });
  if (!(await redis.hExists(keys.users, to))) return reply({ ok: false, error: `no user ${to}` });
  const message = { id: newID(), from: userID, to, content, at: Date.now() };
  const conversation = keys.conversation(userID, to);
  await redis.multi().rPush(conversation, JSON.stringify(message)).lTrim(conversation, -HISTORY_LENGTH, -1).exec();
  platform.metrics.count('pm.messages');
  // The recipient's sockets and the sender's other tabs, on whichever nodes they are.
  socket.to(userRoom(to)).to(userRoom(userID)).emit('private message', message);
  reply({ ok: true, message });
}

/** `history` (userID): the conversation with that user, oldest first, from Redis: the same on every node. */
async function history({ socket, redis }, withUserID, reply) {
  if (typeof withUserID !== 'string') return reply({ ok: false, error: 'history takes a user id' });
  const stored = await redis.lRange(keys.conversation(socket.data.pm.userID, withUserID), 0, -1);
  reply({ ok: true, messages: stored.map((m) => JSON.parse(m)) });
}

/** Everyone known, each marked connected when one of their sockets is on any node. */
async function listUsers({ io, redis }) {
  const [names, sockets] = await Promise.all([redis.hGetAll(keys.users), io.fetchSockets()]);
  const online = new Set(sockets.map((s) => s.data.pm?.userID));
  return Object.entries(names).map(([userID, username]) => ({ userID, username, connected: online.has(userID) }));
}

/** Saves the session, then tells the client who it is, who else there is, and the others that it is here. */
async function welcome(ctx) {
  const { socket, redis } = ctx;
  const { sessionID, userID, username } = socket.data.pm;
  await redis.multi().hSet(keys.session(sessionID), { userID, username }).expire(keys.session(sessionID), SESSION_TTL_S).exec();
  await redis.hSet(keys.users, userID, username);
  // The app's own `session` event: only `sys:` names are the platform's.
  socket.emit('session', { sessionID, userID, username });
  socket.emit('users', await listUsers(ctx));
  socket.broadcast.emit('user connected', { userID, username, connected: true });
}

/** Runs a handler with the socket's context; an ack (when there is one) tells the client when Redis failed. */
function handle(ctx, what, handler) {
  return (value, ack) => {
    const reply = typeof ack === 'function' ? ack : () => undefined;
    handler(ctx, value, reply).catch((err) => {
      ctx.platform.logger.warn({ err: String(err) }, `private-messaging: ${what} failed`);
      reply({ ok: false, error: 'the message store is unavailable' });
    });
  };
}

export default async function privateMessaging(io, platform) {
  const log = platform.logger;
  if (!platform.redisUrl) throw new Error('private-messaging keeps its sessions in Redis, but the node has no Redis (no REDIS_URL)');
  const redis = createClient({ url: platform.redisUrl });
  // Without a listener an error event would end the node; the client reconnects by itself.
  redis.on('error', (err) => log.warn({ err: String(err) }, 'private-messaging: redis'));
  await redis.connect();

  io.use(restoreSession(redis, log));

  io.on('connection', (socket) => {
    const ctx = { io, socket, redis, platform };
    const { userID } = socket.data.pm;
    socket.join(userRoom(userID));
    // Handlers first: whatever the client sends while the session is being saved is not lost.
    socket.on('private message', handle(ctx, 'private message', privateMessage));
    socket.on('history', handle(ctx, 'history', history));
    // The user is gone once none of their sockets is left on any node.
    socket.on('disconnect', async () => {
      const left = await platform.rooms.count(userRoom(userID)).catch(() => undefined);
      if (left === 0) io.emit('user disconnected', { userID });
    });
    welcome(ctx).catch((err) => {
      log.warn({ err: String(err) }, 'private-messaging: session not saved');
      socket.disconnect();
    });
  });
}

const PUBLIC = new URL('./public/', import.meta.url);
// Only these paths are served: a URL never becomes a file path.
const PAGES = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/messaging.js': ['messaging.js', 'text/javascript; charset=utf-8'],
  '/style.css': ['style.css', 'text/css; charset=utf-8'],
};

/** The page: every request the platform does not serve itself comes here. */
export async function http(req, res) {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const page = Object.hasOwn(PAGES, path) && (req.method === 'GET' || req.method === 'HEAD') ? PAGES[path] : undefined;
  if (!page) return res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
  try {
    const body = await readFile(new URL(page[0], PUBLIC));
    res.writeHead(200, { 'content-type': page[1], 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' }).end(body);
  } catch {
    res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('page missing\n');
  }
}
