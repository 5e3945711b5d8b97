/** A short, loggable name and message for whatever a send rejected with. */
export function describeError(err: unknown): { name: string; message: string } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    // Socket errors arrive as plain `Error`; their code (ECONNREFUSED, …) is the useful name.
    const name = err.name === 'Error' && typeof code === 'string' ? code : err.name;
    return { name, message: err.message.slice(0, 300) };
  }
  return { name: 'UnknownError', message: String(err).slice(0, 300) };
}
