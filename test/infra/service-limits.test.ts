import { afterAll, describe, expect, it } from 'vitest';
import { envSchema } from '../../contract/env';
import { CONFIG_SHAPE, resolveConfig } from '../../infra/config';
import { SERVICE_LIMIT_KEYS, SERVICE_LIMITS } from '../../infra/service-limits';
import { SocketService } from '../../infra/socket-service';
import { cleanup, containerEnv, socketServiceScope, synth } from './helpers';

afterAll(cleanup);

/** The service's variables issues 19 and 22 name as the platform's limits, every one a deployment setting. */
const LIMIT_VARIABLES = [
  'CONNECTION_PACKETS_PER_S',
  'CONNECTION_PACKETS_BURST',
  'CONNECTION_BYTES_PER_S',
  'CONNECTION_BURST_BYTES',
  'RATE_LIMIT_PER_SOCKET',
  'RATE_LIMIT_PER_SOCKET_BURST',
  'RATE_LIMIT_PER_USER',
  'RATE_LIMIT_PER_USER_BURST',
  'RATE_LIMIT_DISCONNECT_AFTER',
  'USER_DELIVERIES_PER_S',
  'USER_DELIVERIES_BURST',
  'API_DELIVERIES_PER_KEY_PER_S',
  'API_DELIVERIES_PER_KEY_BURST',
  'MAX_CONNECTIONS',
  'MAX_CONNECTIONS_PER_USER',
  'MAX_CONNECTIONS_PER_GUEST_IP',
  'MAX_CONNECTIONS_RESERVED_PERCENT',
  'MAX_CONNECTIONS_RESERVED_BELOW',
  'MAX_TCP_CONNECTIONS',
  'PREAUTH_MAX_SESSIONS',
  'PREAUTH_MAX_SESSIONS_PER_IP',
  'PREAUTH_TIMEOUT_MS',
  'PREAUTH_MAX_MESSAGE_BYTES',
  'PARTIAL_PACKET_TIMEOUT_MS',
  'PARTIAL_PACKETS_MAX_BYTES',
  'SLOW_CONSUMER_MAX_BUFFERED_BYTES',
  'SLOW_CONSUMER_MAX_PACKETS',
  'SHED_LOAD_LAG_MS',
  'MAX_HTTP_BUFFER_BYTES',
];

/** CONNECTION_PACKETS_PER_S → connectionPacketsPerS: the key is the variable's name in camelCase. */
const camel = (variable: string) => variable.toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

describe('platform limits as deployment settings', () => {
  it('has a key for every limit, named after its variable', () => {
    expect(Object.values(SERVICE_LIMITS).map((spec) => spec.variable)).toEqual(LIMIT_VARIABLES);
    for (const key of SERVICE_LIMIT_KEYS) expect(key).toBe(camel(SERVICE_LIMITS[key].variable));
  });

  it.each(SERVICE_LIMIT_KEYS)("%s: takes the service's own range and default", (key) => {
    const { variable, range, default: fallback } = SERVICE_LIMITS[key];
    const schema = envSchema.shape[variable];
    expect(schema.parse(undefined)).toBe(fallback);
    // In range, the key's schema takes it (the rules between limits are config-rules' to judge).
    for (const value of [range.min, range.max]) {
      expect(CONFIG_SHAPE[key].parse(String(value))).toBe(value);
      expect(schema.parse(String(value))).toBe(value);
    }
    for (const value of [range.min - 1, range.max + 1]) {
      expect(() => resolveConfig({ [key]: String(value) })).toThrow(
        new RegExp(`${key} must be from ${range.min} to ${range.max}, got ${value}`),
      );
      expect(schema.safeParse(String(value)).success).toBe(false);
    }
    expect(resolveConfig({})[key]).toBeUndefined();
  });

  it('writes a limit into the container only when it is set: otherwise the service default applies', () => {
    const written = (context: Record<string, string>) =>
      containerEnv(synth(context, { lock: null }))
        .Environment.filter((e) => LIMIT_VARIABLES.includes(e.Name))
        .sort((a, b) => a.Name.localeCompare(b.Name));
    expect(written({})).toEqual([]);
    expect(written({ rateLimitPerSocket: '150', maxConnections: '5000' })).toEqual([
      { Name: 'MAX_CONNECTIONS', Value: '5000' },
      { Name: 'RATE_LIMIT_PER_SOCKET', Value: '150' },
    ]);
  }, 120_000);

  it('SocketService refuses a limit outside the service range, naming the prop', () => {
    const { s, base } = socketServiceScope();
    const { max } = SERVICE_LIMITS.rateLimitPerSocket.range;
    expect(() => new SocketService(s, 'S1', { ...base, limits: { rateLimitPerSocket: max + 1 } })).toThrow(
      new RegExp(`^SocketService: limits.rateLimitPerSocket must be an integer from 1 to ${max}, got ${max + 1}$`),
    );
  });
});
