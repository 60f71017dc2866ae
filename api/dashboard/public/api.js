/**
 * The api, called as the signed-in client. The key lives in sessionStorage (this tab only, gone
 * when it closes) and travels only in the Authorization header of requests to this same origin:
 * never in a URL, where history, logs and Referer headers would keep it.
 */

const KEY_ITEM = 'jobsys.apiKey';

export const storedKey = {
  get: () => sessionStorage.getItem(KEY_ITEM),
  /** @param {string} key */
  set: (key) => sessionStorage.setItem(KEY_ITEM, key),
  clear: () => sessionStorage.removeItem(KEY_ITEM),
};

/** @typedef {{ type?: string, title?: string, status?: number, detail?: string, requestId?: string }} Problem */

/** An answer other than 2xx, with the api's problem document (RFC 9457). */
export class ApiError extends Error {
  /**
   * @param {number} status 0 when the api did not answer
   * @param {Problem} problem
   */
  constructor(status, problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }

  /** What to tell a person: the problem's title and detail, and the request id to quote. */
  get explanation() {
    const id = this.problem.requestId ? ` (request id ${this.problem.requestId})` : '';
    return `${this.problem.title ?? 'Error'}: ${this.message}${id}`;
  }
}

/**
 * @param {string} method
 * @param {string} path
 * @param {string | null} key none when the api runs with authentication off
 * @returns {Promise<any>}
 */
export async function call(method, path, key) {
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json' };
  if (key) headers.authorization = `Bearer ${key}`;
  let response;
  try {
    response = await fetch(path, { method, headers, cache: 'no-store', credentials: 'omit' });
  } catch {
    throw new ApiError(0, { title: 'No answer', detail: 'The api did not answer: is it running, and is the network up?' });
  }
  const body = await response.json().catch(() => undefined);
  if (!response.ok) throw new ApiError(response.status, body ?? { title: `HTTP ${response.status}` });
  return body;
}
