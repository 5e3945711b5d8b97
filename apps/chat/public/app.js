'use strict';
// The demo client: one socket through the load balancer; the sticky cookie keeps its
// polling requests on one node. Message text is only ever set with textContent.
(function () {
  const $ = (id) => document.getElementById(id);
  const ui = {
    status: $('status'),
    node: $('node'),
    user: $('user'),
    transport: $('transport'),
    joinForm: $('join-form'),
    room: $('room'),
    leave: $('leave'),
    currentRoom: $('current-room'),
    members: $('members'),
    messages: $('messages'),
    sendForm: $('send-form'),
    text: $('text'),
    error: $('error'),
  };

  const STORED_ROOM = 'demo.room';
  const STORED_TOKEN = 'demo.token';
  let room = sessionStorage.getItem(STORED_ROOM) || null;
  let session = null;

  // With AUTH_MODE=jwt, open the page as /#token=<jwt>: a fragment never reaches a server or a log.
  // Once read, it leaves the address bar and the history entry (where screenshots, shared links and
  // shoulder surfers would find it) for this tab's storage, so that a reload stays signed in.
  const fromUrl = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromUrl) {
    sessionStorage.setItem(STORED_TOKEN, fromUrl);
    window.history.replaceState(null, '', location.pathname + location.search);
  }
  const token = fromUrl || sessionStorage.getItem(STORED_TOKEN);
  const socket = io({ withCredentials: true, auth: token ? { token } : undefined });

  function setStatus(state, text) {
    ui.status.dataset.state = state;
    ui.status.textContent = text;
  }

  function showError(message) {
    ui.error.textContent = message;
    ui.error.hidden = !message;
  }

  function request(event, payload) {
    return socket
      .timeout(5000)
      .emitWithAck(event, payload)
      .then((ack) => {
        if (!ack.ok) throw new Error(ack.error.message);
        showError('');
        return ack;
      });
  }

  function renderRoom() {
    ui.currentRoom.textContent = room ? `In room ${room}` : 'Not in a room: messages go to everyone.';
    ui.leave.disabled = !room;
    ui.members.hidden = !room;
    if (room) ui.room.value = room;
  }

  function refreshMembers() {
    if (!room || !socket.connected) return;
    const asked = room;
    request('room:members', { room: asked }).then(
      (ack) => {
        if (asked !== room) return;
        ui.members.textContent = `${ack.count} member${ack.count === 1 ? '' : 's'} across the cluster`;
        ui.members.dataset.count = String(ack.count);
      },
      () => undefined,
    );
  }

  function join(name) {
    return request('room:join', { room: name }).then(() => {
      room = name;
      sessionStorage.setItem(STORED_ROOM, name);
      renderRoom();
      refreshMembers();
    });
  }

  function addMessage(m) {
    const item = document.createElement('li');
    item.className = 'message';
    if (session && m.from === session.user) item.classList.add('mine');
    item.dataset.node = m.node;
    const meta = document.createElement('div');
    meta.className = 'meta';
    const from = document.createElement('span');
    from.className = 'from';
    from.textContent = m.from;
    const node = document.createElement('span');
    node.className = 'via';
    node.textContent = `via ${m.node}`;
    const where = document.createElement('span');
    where.className = 'where';
    where.textContent = m.room ? `#${m.room}` : 'everyone';
    const time = document.createElement('time');
    time.dateTime = m.sentAt;
    time.textContent = new Date(m.sentAt).toLocaleTimeString();
    meta.append(from, node, where, time);
    const text = document.createElement('p');
    text.className = 'text';
    text.textContent = m.text;
    item.append(meta, text);
    ui.messages.append(item);
    item.scrollIntoView({ block: 'end' });
  }

  // Sent on every (re)connect, possibly to another node: rooms live on the node, so join again.
  socket.on('sys:session', (s) => {
    session = s;
    ui.node.textContent = s.node;
    ui.user.textContent = s.user;
    setStatus('connected', 'connected');
    if (room) join(room).catch((err) => showError(`could not rejoin ${room}: ${err.message}`));
  });

  socket.on('connect', () => {
    const engine = socket.io.engine;
    ui.transport.textContent = engine.transport.name;
    engine.once('upgrade', () => (ui.transport.textContent = engine.transport.name));
  });

  socket.on('disconnect', (reason) => {
    setStatus('disconnected', `disconnected (${reason}), reconnecting…`);
    ui.node.textContent = '–';
  });

  socket.on('connect_error', (err) => {
    // A refused handshake is final; anything else the client retries by itself.
    if (err.message === 'unauthorized') setStatus('disconnected', 'unauthorized: open this page as /#token=<JWT>');
    else setStatus('disconnected', `cannot connect (${err.message}), retrying…`);
  });

  socket.on('chat:message', (m) => {
    addMessage(m);
    refreshMembers();
  });

  function roomNameProblem(name) {
    if (!name) return 'Type a room name to join, such as lobby.';
    if (name.length > 64) return `A room name is at most 64 characters; this one has ${name.length}.`;
    if (!/^[A-Za-z0-9_.:-]+$/.test(name)) {
      return `"${name}" cannot be a room name: use letters, digits and _ . : - only (no spaces).`;
    }
    if (name.startsWith('sys:')) return 'Rooms starting with sys: belong to the platform: pick another name.';
    return '';
  }

  ui.joinForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const name = ui.room.value.trim();
    // The page explains a bad name in its own words, as the server would answer it (docs/protocol.md).
    const problem = roomNameProblem(name);
    if (problem) return showError(problem);
    if (name === room) return;
    const previous = room;
    const left = previous ? request('room:leave', { room: previous }) : Promise.resolve();
    left.then(() => join(name)).catch((err) => showError(err.message));
  });

  ui.leave.addEventListener('click', () => {
    if (!room) return;
    request('room:leave', { room }).then(
      () => {
        room = null;
        sessionStorage.removeItem(STORED_ROOM);
        renderRoom();
      },
      (err) => showError(err.message),
    );
  });

  ui.sendForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = ui.text.value;
    if (!text.trim()) return;
    request('chat:message', room ? { room, text } : { text }).then(
      () => {
        ui.text.value = '';
        ui.text.focus();
      },
      (err) => showError(err.message),
    );
  });

  // Members on other nodes come and go without a message here.
  window.setInterval(refreshMembers, 5000);
  renderRoom();
})();
