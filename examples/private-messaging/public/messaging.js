// The private messaging page. The session id the server hands out is kept in localStorage and sent as
// `auth.sessionID` on every (re)connection, so whichever node answers restores the same user.
const $ = (id) => document.getElementById(id);
const STORED_SESSION = 'pm.sessionID';
const socket = io({ autoConnect: false });
/** userID → { userID, username, connected, unread } */
const users = new Map();
let me = null;
let selected = null;

function renderUsers() {
  const list = $('users');
  list.replaceChildren();
  for (const user of users.values()) {
    if (me && user.userID === me.userID) continue;
    const li = document.createElement('li');
    li.dataset.userId = user.userID;
    li.dataset.connected = String(user.connected);
    li.className = user.userID === selected ? 'selected' : '';
    li.textContent = user.username;
    if (user.unread > 0) {
      const badge = document.createElement('span');
      badge.className = 'unread';
      badge.textContent = `(${user.unread})`;
      li.append(badge);
    }
    li.addEventListener('click', () => select(user.userID));
    list.append(li);
  }
}

function addMessage(message) {
  const li = document.createElement('li');
  li.className = message.from === me.userID ? 'mine' : 'theirs';
  li.dataset.id = message.id;
  li.textContent = message.content;
  $('messages').append(li);
  li.scrollIntoView({ block: 'end' });
}

async function select(userID) {
  selected = userID;
  const user = users.get(userID);
  user.unread = 0;
  renderUsers();
  $('with').textContent = `With ${user.username}`;
  $('text').disabled = false;
  $('send').querySelector('button').disabled = false;
  const answer = await socket.timeout(5000).emitWithAck('history', userID);
  if (selected !== userID || !answer.ok) return;
  $('messages').replaceChildren();
  answer.messages.forEach(addMessage);
}

function start(auth) {
  socket.auth = auth;
  socket.connect();
}

$('login').addEventListener('submit', (e) => {
  e.preventDefault();
  $('login-error').hidden = true;
  start({ username: $('username').value.trim() });
});

$('send').addEventListener('submit', async (e) => {
  e.preventDefault();
  const content = $('text').value;
  if (!content || !selected) return;
  $('text').value = '';
  const answer = await socket.timeout(5000).emitWithAck('private message', { to: selected, content });
  if (answer.ok) addMessage(answer.message);
});

// The app's own session event: who this tab is, and the id that brings it back.
socket.on('session', ({ sessionID, userID, username }) => {
  localStorage.setItem(STORED_SESSION, sessionID);
  socket.auth = { sessionID };
  me = { userID, username };
  $('me').textContent = username;
  $('login').hidden = true;
  $('app').hidden = false;
});
// The platform's event: which node holds this connection.
socket.on('sys:session', (session) => ($('node').textContent = session.node));

socket.on('users', (list) => {
  for (const user of list) users.set(user.userID, { ...user, unread: users.get(user.userID)?.unread ?? 0 });
  renderUsers();
});
socket.on('user connected', (user) => {
  users.set(user.userID, { ...user, unread: users.get(user.userID)?.unread ?? 0 });
  renderUsers();
});
socket.on('user disconnected', ({ userID }) => {
  const user = users.get(userID);
  if (user) user.connected = false;
  renderUsers();
});
socket.on('private message', (message) => {
  const other = message.from === me.userID ? message.to : message.from;
  if (other === selected) addMessage(message);
  else if (users.has(other)) users.get(other).unread += 1;
  renderUsers();
});

socket.on('connect', () => {
  $('status').dataset.state = 'connected';
  $('status').textContent = 'connected';
});
socket.on('disconnect', () => {
  $('status').dataset.state = 'disconnected';
  $('status').textContent = 'reconnecting…';
});
socket.on('connect_error', (err) => {
  // A forgotten session or a bad name: ask for a name again.
  if (err.message !== 'invalid username') return;
  localStorage.removeItem(STORED_SESSION);
  $('login').hidden = false;
  $('app').hidden = true;
  if (socket.auth && socket.auth.username !== undefined) {
    $('login-error').textContent = 'Choose a name of 1 to 32 characters.';
    $('login-error').hidden = false;
  }
});

const sessionID = localStorage.getItem(STORED_SESSION);
if (sessionID) start({ sessionID });
else $('login').hidden = false;
