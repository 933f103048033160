// The public API, and nothing else: every figure on the dashboard comes from here.

/** An answer other than 2xx, with the API's own message. */
export class ApiError extends Error {
  constructor(status, message) {
    super(`${status}: ${message}`);
    this.status = status;
  }
}

/**
 * GETs `path` as JSON. The `api` binary's response cache tags answers with an ETag,
 * so there a poll of unchanged data costs a 304 and nothing but headers.
 */
export async function get(path, { signal } = {}) {
  const response = await fetch(path, { signal, headers: { accept: 'application/json' } });
  if (!response.ok) {
    let message = response.statusText;
    try {
      message = (await response.json()).message ?? message;
    } catch {
      // Not JSON: keep the status text.
    }
    throw new ApiError(response.status, message);
  }
  return response.json();
}

/** Like [`get`], but a 404 is `null` (a Silica or block that does not exist yet). */
export async function getOptional(path, options) {
  try {
    return await get(path, options);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}
