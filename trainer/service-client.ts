/** Talking to a running edgehead service from the CLI: its base URL, the admin token, requests and their errors. */
import { EdgeheadError } from '../shared/errors.ts';
import { DEV_VARS_PATH, readDevVarsToken } from './serve-command.ts';

export function isLocal(url: URL): boolean {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

/** The service's base URL without a trailing slash. */
export function serviceBase(url: URL): string {
  return url.origin + url.pathname.replace(/\/$/, '');
}

/**
 * The admin token: the given one, else for a local URL the one `npm start` wrote to .dev.vars.
 * @throws EdgeheadError (401 no_token) when there is none
 */
export function adminToken(url: URL, token: string | undefined): string {
  const found = token ?? (isLocal(url) ? readDevVarsToken() : null);
  if (!found) {
    throw new EdgeheadError('unauthorized', 'no_token', `no admin token: pass --token or set EDGEHEAD_ADMIN_TOKEN${isLocal(url) ? ` (or start the local service once with npm start: it writes ${DEV_VARS_PATH})` : ''}`);
  }
  return found;
}

/** `fetch` with the admin token; an unreachable service becomes one clear EdgeheadError. */
export async function request(url: string, token: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}` } });
  } catch (error) {
    throw new EdgeheadError('not_ready', 'unreachable', `cannot reach ${url}: ${(error as Error).cause ?? (error as Error).message}; is the service running (npm start)?`);
  }
}


const CONTENT_TYPES: Record<string, string> = { jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp' };

/** The content type to upload a photo as, by its file extension. */
export function contentTypeFor(path: string): string {
  return CONTENT_TYPES[path.split('.').pop()!.toLowerCase()] ?? 'application/octet-stream';
}

/** The code and message of the service's JSON error shape (or the start of whatever else it answered). */
export async function errorBody(response: Response): Promise<{ code: string; message: string }> {
  const text = await response.text();
  try {
    const { error } = JSON.parse(text) as { error: { code: string; message: string } };
    return { code: error.code, message: error.message };
  } catch {
    return { code: `http_${response.status}`, message: text.slice(0, 200) || response.statusText };
  }
}

/** The message of the service's JSON error shape, or the start of whatever else it answered. */
export async function errorMessage(response: Response): Promise<string> {
  return (await errorBody(response)).message;
}
