import { connect } from 'node:net';

/**
 * HAProxy's runtime API on its stats socket: what the local cluster's tools read and change
 * while HAProxy runs (https://docs.haproxy.org/2.6/management.html#9.3).
 */

/** One command; resolves with HAProxy's answer once it closes the connection. */
export function haproxyCommand(socketPath: string, command: string, timeoutMs = 2_000): Promise<string> {
  if (/[\n;]/.test(command)) throw new Error(`one command at a time, got ${JSON.stringify(command)}`);
  return new Promise((resolve, reject) => {
    const sock = connect(socketPath);
    let data = '';
    sock.setEncoding('utf8');
    sock.setTimeout(timeoutMs, () => sock.destroy(new Error(`haproxy did not answer "${command}" within ${timeoutMs} ms`)));
    sock.on('connect', () => sock.write(`${command}\n`));
    sock.on('data', (chunk: string) => (data += chunk));
    sock.on('end', () => resolve(data));
    sock.on('error', reject);
  });
}

/** A command that answers nothing (or `expected`) when it worked, and a sentence when it did not. */
async function haproxyAction(socketPath: string, command: string, expected = ''): Promise<void> {
  const answer = (await haproxyCommand(socketPath, command)).trim();
  if (answer !== expected) throw new Error(`haproxy refused "${command}": ${answer}`);
}

/** `show stat`, reduced to each server of `backend`: status (UP, DOWN, MAINT, DRAIN …), last check, and open sessions. */
export async function showStat(
  socketPath: string,
  backend = 'nodes',
): Promise<Record<string, { status: string; check: string; sessions: number }>> {
  const csv = await haproxyCommand(socketPath, 'show stat');
  const [header, ...rows] = csv.split('\n').filter((l) => l.trim() !== '');
  const cols = header.replace(/^# /, '').split(',');
  const at = (name: string) => cols.indexOf(name);
  const states: Record<string, { status: string; check: string; sessions: number }> = {};
  for (const row of rows) {
    const f = row.split(',');
    if (f[at('pxname')] !== backend || f[at('svname')] === 'BACKEND') continue;
    states[f[at('svname')]] = { status: f[at('status')], check: f[at('check_status')], sessions: Number(f[at('scur')]) };
  }
  return states;
}

/** A server as `show servers state` gives it. */
export interface ServerState {
  readonly name: string;
  readonly addr: string;
  readonly port: number;
  /** Health as the checks see it. */
  readonly operational: 'stopped' | 'starting' | 'running' | 'stopping';
  /** Taken out by an administrator (`set server … state maint`): no requests at all, open connections stay. */
  readonly maintenance: boolean;
  /** `set server … state drain`: no new sessions, but requests with its persistence cookie still reach it. */
  readonly drain: boolean;
}

const OPERATIONAL = ['stopped', 'starting', 'running', 'stopping'] as const;
// srv_admin_state bits (HAProxy's SRV_ADMF_*): forced, inherited, configured and DNS-resolution maintenance; forced and inherited drain.
const ADMIN_MAINT = 0x01 | 0x02 | 0x04 | 0x20;
const ADMIN_DRAIN = 0x08 | 0x10;

/** `show servers state` for `backend`: each server's address, health and administrative state. */
export async function serversState(socketPath: string, backend = 'nodes'): Promise<ServerState[]> {
  const text = await haproxyCommand(socketPath, `show servers state ${backend}`);
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const header = lines.find((l) => l.startsWith('# '));
  if (!header) throw new Error(`unexpected answer to show servers state: ${text.slice(0, 200)}`);
  const cols = header.slice(2).split(' ');
  const at = (f: string[], name: string) => f[cols.indexOf(name)];
  return lines
    .filter((l) => !l.startsWith('#') && l.includes(' '))
    .map((l) => l.split(' '))
    .map((f) => {
      const admin = Number(at(f, 'srv_admin_state'));
      return {
        name: at(f, 'srv_name'),
        addr: at(f, 'srv_addr'),
        port: Number(at(f, 'srv_port')),
        operational: OPERATIONAL[Number(at(f, 'srv_op_state'))] ?? 'stopped',
        maintenance: (admin & ADMIN_MAINT) !== 0,
        drain: (admin & ADMIN_DRAIN) !== 0,
      };
    });
}

/** `set server <backend>/<server> state ready|drain|maint`. */
export const setServerState = (socketPath: string, server: string, state: 'ready' | 'drain' | 'maint', backend = 'nodes') =>
  haproxyAction(socketPath, `set server ${backend}/${server} state ${state}`);

/** Closes every connection through HAProxy to `server`, as the ALB closes what is left when the deregistration delay ends. */
export const shutdownSessions = (socketPath: string, server: string, backend = 'nodes') =>
  haproxyAction(socketPath, `shutdown sessions server ${backend}/${server}`);

/** Removes a server in maintenance without connections from its backend: a deregistered target. */
export const deleteServer = (socketPath: string, server: string, backend = 'nodes') =>
  haproxyAction(socketPath, `del server ${backend}/${server}`, 'Server deleted.');
