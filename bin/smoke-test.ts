// `npm run smoke -- --url URL --api-key KEY [--jwt-secret S | --token JWT]`: after a deploy, checks the path a user takes
// and the path a backend takes, end to end, through the load balancer: a Socket.IO client connects (with a token when
// the stage has JWT auth), the backend API publishes to that client's user, and the client receives it.
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { io, type Socket } from 'socket.io-client';
import { API_PREFIX } from '../contract/api';
import { type SessionInfo, SYS_EVENTS } from '../contract/app';
import { numberOption, parseCommandLine } from '../tools/args';
import { CliError, EXIT, runMain, UsageError } from '../tools/cli';

const USAGE = `Usage: npm run smoke -- --url URL --api-key KEY [--jwt-secret SECRET | --token JWT] [options]

Connects a Socket.IO client to URL (the ServiceUrl output), publishes an event to its user through the backend API,
and waits for the client to receive it. Exit 0 when it did, 1 when a step failed (the line says which).

Options:
  --url URL             the service's URL, through its load balancer
  --api-key KEY         a backend API key (the ApiKeysSecretArn secret)
  --jwt-secret SECRET   the HS256 signing secret (AuthJwtSecretArn): signs a token for a user smoke-<random>
  --token JWT           a token from your own issuer (JWKS stages), instead of --jwt-secret
  --issuer ISS          the token's iss, with --jwt-secret (the stage's authJwtIssuer)
  --audience AUD        the token's aud, with --jwt-secret (the stage's authJwtAudience)
  --timeout-ms N        how long each step may take (default 15000)
  -h, --help            this text`;

/** The event the smoke test publishes: any name an app does not use. */
const SMOKE_EVENT = 'smoke-test';

interface SmokeOptions {
  readonly url: string;
  readonly apiKey: string;
  readonly token?: string;
  readonly timeoutMs: number;
}

async function parse(argv: string[]): Promise<SmokeOptions> {
  const { values } = parseCommandLine(argv, {
    url: { type: 'string' },
    'api-key': { type: 'string' },
    'jwt-secret': { type: 'string' },
    token: { type: 'string' },
    issuer: { type: 'string' },
    audience: { type: 'string' },
    'timeout-ms': { type: 'string' },
  });
  if (!values.url || !/^https?:\/\/[^\s/]+/.test(values.url)) throw new UsageError('--url needs the service URL (http:// or https://)');
  if (!values['api-key']) throw new UsageError('--api-key needs a backend API key');
  if (values['jwt-secret'] && values.token) throw new UsageError('--jwt-secret and --token exclude each other');
  const secret = values['jwt-secret'];
  return {
    url: values.url.replace(/\/+$/, ''),
    apiKey: values['api-key'],
    token: secret ? await signToken(secret, values.issuer, values.audience) : values.token,
    timeoutMs: numberOption('--timeout-ms', values['timeout-ms'], { above: 0, max: 600_000, default: 15_000 }),
  };
}

/** A short-lived HS256 token for a user of its own, as the stage's token issuer would sign it. */
function signToken(secret: string, issuer: string | undefined, audience: string | undefined): Promise<string> {
  const jwt = new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(`smoke-${randomUUID().slice(0, 8)}`);
  if (issuer) jwt.setIssuer(issuer);
  if (audience) jwt.setAudience(audience);
  return jwt.setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode(secret));
}

/** `promise`, or a CliError naming the step once `ms` have passed. */
function within<T>(step: string, ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CliError(`${step}: nothing within ${ms} ms`, EXIT.failure)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Connects, and resolves with the session the platform tells the client (its user, the node it reached). */
function connect(opts: SmokeOptions, socket: Socket): Promise<SessionInfo> {
  return new Promise((resolve, reject) => {
    socket.once(SYS_EVENTS.session, (session: SessionInfo) => resolve(session));
    socket.once('connect_error', (err: Error) =>
      reject(
        new CliError(
          `connect to ${opts.url} refused: ${err.message}${opts.token ? '' : ' (a jwt stage needs --jwt-secret or --token)'}`,
          EXIT.failure,
        ),
      ),
    );
  });
}

async function publish(opts: SmokeOptions, user: string, nonce: string): Promise<void> {
  const res = await fetch(`${opts.url}${API_PREFIX}/publish`, {
    method: 'POST',
    headers: { authorization: `Bearer ${opts.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ event: SMOKE_EVENT, data: { nonce }, users: [user] }),
  });
  if (!res.ok) throw new CliError(`POST ${API_PREFIX}/publish answered ${res.status}: ${await res.text()}`, EXIT.failure);
}

runMain({ name: 'smoke', usage: USAGE }, async () => {
  const opts = await parse(process.argv.slice(2));
  const ready = await within('GET /readyz', opts.timeoutMs, fetch(`${opts.url}/readyz`));
  if (ready.status !== 200) throw new CliError(`GET ${opts.url}/readyz answered ${ready.status}: no task is ready`, EXIT.failure);

  // As a browser connects: long-polling first, then the upgrade, with the load balancer's stickiness cookie kept.
  const socket = io(opts.url, {
    auth: opts.token ? { token: opts.token } : undefined,
    transports: ['polling', 'websocket'],
    withCredentials: true,
    reconnection: false,
  });
  try {
    const session = await within('connect', opts.timeoutMs, connect(opts, socket));
    const nonce = randomUUID();
    const received = new Promise<void>((resolve) => {
      socket.on(SMOKE_EVENT, (data: { nonce?: string }) => {
        if (data?.nonce === nonce) resolve();
      });
    });
    await within(`POST ${API_PREFIX}/publish`, opts.timeoutMs, publish(opts, session.user, nonce));
    await within(`the client receiving the published ${SMOKE_EVENT}`, opts.timeoutMs, received);
    process.stdout.write(
      `ok: ${opts.url} /readyz 200; connected as ${session.user} to ${session.node} over ${socket.io.engine.transport.name}; ` +
        `published through ${API_PREFIX}/publish and received\n`,
    );
  } finally {
    socket.disconnect();
  }
});
