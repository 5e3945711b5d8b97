// The canvas page: every pointer move sends one stroke (a segment, in coordinates from 0 to 1) without an ack,
// and draws it at once; strokes from others arrive as `draw`, the drawing so far as `drawing`.
const $ = (id) => document.getElementById(id);
const board = $('board');
const ctx = board.getContext('2d');
const socket = io();
let received = 0;
let last = null;

function paint(stroke) {
  ctx.strokeStyle = stroke.color;
  ctx.lineWidth = (stroke.width * board.width) / 1000;
  ctx.lineCap = 'round';
  ctx.beginPath();
  ctx.moveTo(stroke.x0 * board.width, stroke.y0 * board.height);
  ctx.lineTo(stroke.x1 * board.width, stroke.y1 * board.height);
  ctx.stroke();
}

function count(n) {
  received += n;
  board.dataset.strokes = String(received);
  $('received').textContent = String(received);
}

/** Where a pointer event is on the canvas, from 0 to 1 on each axis. */
function at(e) {
  const box = board.getBoundingClientRect();
  const clamp = (v) => Math.min(1, Math.max(0, v));
  return { x: clamp((e.clientX - box.left) / box.width), y: clamp((e.clientY - box.top) / box.height) };
}

board.addEventListener('pointerdown', (e) => {
  board.setPointerCapture(e.pointerId);
  last = at(e);
});
board.addEventListener('pointermove', (e) => {
  if (last === null) return;
  const next = at(e);
  const stroke = { x0: last.x, y0: last.y, x1: next.x, y1: next.y, color: $('color').value, width: Number($('width').value) };
  paint(stroke);
  socket.emit('draw', stroke);
  board.dataset.sent = String(Number(board.dataset.sent) + 1);
  last = next;
});
for (const end of ['pointerup', 'pointercancel']) board.addEventListener(end, () => (last = null));

$('clear').addEventListener('click', () => {
  ctx.clearRect(0, 0, board.width, board.height);
  socket.emit('clear');
});

socket.on('connect', () => {
  $('status').dataset.state = 'connected';
  $('status').textContent = 'connected';
});
socket.on('disconnect', () => {
  $('status').dataset.state = 'disconnected';
  $('status').textContent = 'reconnecting…';
});
socket.on('sys:session', (session) => ($('node').textContent = session.node));

// On every (re)connection: the whole drawing, which replaces what this page shows.
socket.on('drawing', (strokes) => {
  ctx.clearRect(0, 0, board.width, board.height);
  strokes.forEach(paint);
  board.dataset.drawing = String(strokes.length);
});
socket.on('draw', (stroke) => {
  paint(stroke);
  count(1);
});
socket.on('clear', () => ctx.clearRect(0, 0, board.width, board.height));
