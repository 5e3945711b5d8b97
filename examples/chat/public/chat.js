// The chat page: one socket to its own origin (the load balancer's sticky cookie keeps it on one node).
// Names and messages are only ever shown with textContent.
const $ = (id) => document.getElementById(id);
const TYPING_IDLE_MS = 800;
const socket = io();
let username = null;
let typingTimer = null;
const typists = new Set();

function log(text) {
  const li = document.createElement('li');
  li.className = 'log';
  li.textContent = text;
  $('messages').append(li);
  li.scrollIntoView({ block: 'end' });
}

function addMessage(name, message, mine) {
  const li = document.createElement('li');
  li.className = mine ? 'message mine' : 'message';
  const who = document.createElement('span');
  who.className = 'name';
  who.textContent = name;
  const text = document.createElement('span');
  text.className = 'text';
  text.textContent = message;
  li.append(who, text);
  $('messages').append(li);
  li.scrollIntoView({ block: 'end' });
}

function showCount(numUsers) {
  if (typeof numUsers !== 'number') return;
  $('count').dataset.count = String(numUsers);
  $('count').textContent = numUsers === 1 ? '1 user' : `${numUsers} users`;
}

function showTypists() {
  const names = [...typists];
  $('typing').textContent = names.length === 0 ? '' : `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} typing…`;
}

function stopTyping() {
  if (typingTimer === null) return;
  clearTimeout(typingTimer);
  typingTimer = null;
  socket.emit('stop typing');
}

$('login').addEventListener('submit', (e) => {
  e.preventDefault();
  const name = $('username').value.trim();
  socket.emit('add user', name, (answer) => {
    if (!answer.ok) {
      $('login-error').textContent = answer.error;
      $('login-error').hidden = false;
      return;
    }
    username = name;
    $('login').hidden = true;
    $('chat').hidden = false;
    log(`Welcome, ${name}.`);
    $('text').focus();
  });
});

$('send').addEventListener('submit', (e) => {
  e.preventDefault();
  const message = $('text').value;
  if (!message) return;
  stopTyping();
  socket.emit('new message', message);
  addMessage(username, message, true);
  $('text').value = '';
});

// One `typing` when the typing starts, one `stop typing` once the keys have rested.
$('text').addEventListener('input', () => {
  if (typingTimer === null) socket.emit('typing');
  else clearTimeout(typingTimer);
  typingTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
});

socket.on('connect', () => {
  $('status').dataset.state = 'connected';
  $('status').textContent = 'connected';
  // A reconnect may land on another node, which knows nothing of this tab: say who we are again.
  if (username !== null && !socket.recovered) socket.emit('add user', username);
});
socket.on('disconnect', () => {
  $('status').dataset.state = 'disconnected';
  $('status').textContent = 'reconnecting…';
});
// The platform's own event: which node holds this connection.
socket.on('sys:session', (session) => ($('node').textContent = session.node));

socket.on('login', ({ numUsers }) => showCount(numUsers));
socket.on('new message', ({ username: name, message }) => addMessage(name, message, false));
socket.on('user joined', ({ username: name, numUsers }) => {
  log(`${name} joined`);
  showCount(numUsers);
});
socket.on('user left', ({ username: name, numUsers }) => {
  log(`${name} left`);
  typists.delete(name);
  showTypists();
  showCount(numUsers);
});
socket.on('typing', ({ username: name }) => {
  typists.add(name);
  showTypists();
});
socket.on('stop typing', ({ username: name }) => {
  typists.delete(name);
  showTypists();
});
