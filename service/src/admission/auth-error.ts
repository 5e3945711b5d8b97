/** A refused token; its message is logged as the reason and never sent to the client. */
export class AuthError extends Error {
  override name = 'AuthError';
}
