import type { ServerResponse } from 'node:http';
import { API_ERROR_STATUS, type ApiErrorCode, type ApiFailure } from '../../../contract/api';

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }

  get status(): number {
    return API_ERROR_STATUS[this.code];
  }

  body(): ApiFailure {
    return { ok: false, error: { code: this.code, message: this.message } };
  }
}

/** Writes one JSON answer; returns its status. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): number {
  if (res.headersSent || res.destroyed) return status;
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
  return status;
}
