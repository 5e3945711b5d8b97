import { z } from 'zod';

/** The chat's own settings, from the node's environment (the platform passes every variable through). */
export interface ChatConfig {
  /** Longest message text, in UTF-8 bytes. */
  readonly maxTextBytes: number;
  /** Rooms one socket may be in, besides its own. */
  readonly maxRoomsPerSocket: number;
  /** `room:presence` asks every node: per socket, this often. */
  readonly presencePerSocket: { readonly ratePerS: number; readonly burst: number };
}

const int = (min: number, max: number, fallback: number) =>
  z.coerce
    .number({ message: `must be an integer from ${min} to ${max}` })
    .int({ message: `must be an integer from ${min} to ${max}` })
    .min(min, { message: `must be an integer from ${min} to ${max}` })
    .max(max, { message: `must be an integer from ${min} to ${max}` })
    .default(fallback);

const schema = z.object({
  MAX_TEXT_BYTES: int(1, 1_048_576, 4_096),
  MAX_ROOMS_PER_SOCKET: int(1, 10_000, 50),
  RATE_LIMIT_PRESENCE_PER_SOCKET: int(1, 100_000, 1),
  RATE_LIMIT_PRESENCE_PER_SOCKET_BURST: int(1, 100_000, 5),
  // The platform's: a message at the text limit must fit one Engine.IO message.
  MAX_HTTP_BUFFER_BYTES: int(1_024, 10_485_760, 65_536),
});

/** Reads the chat's settings; throws one line naming the variable, which stops the node (an app that cannot start). */
export function loadChatConfig(env: NodeJS.ProcessEnv): ChatConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${issue.path.join('.')}=${JSON.stringify(env[String(issue.path[0])] ?? '')}: ${issue.message}`);
  }
  const e = parsed.data;
  if (e.MAX_HTTP_BUFFER_BYTES < e.MAX_TEXT_BYTES + 512) {
    throw new Error(
      `MAX_HTTP_BUFFER_BYTES (${e.MAX_HTTP_BUFFER_BYTES}) must be at least MAX_TEXT_BYTES + 512 ` +
        `(${e.MAX_TEXT_BYTES + 512}) so that a message at the text limit fits`,
    );
  }
  return {
    maxTextBytes: e.MAX_TEXT_BYTES,
    maxRoomsPerSocket: e.MAX_ROOMS_PER_SOCKET,
    presencePerSocket: { ratePerS: e.RATE_LIMIT_PRESENCE_PER_SOCKET, burst: e.RATE_LIMIT_PRESENCE_PER_SOCKET_BURST },
  };
}
