// The API as the page calls it: same origin, the sign-in cookie (HttpOnly: this script never
// sees it), the CSRF token on every change, and errors in the §8 envelope (code, message, hint).

let csrfToken = null;
let feePayer = null;

export function setCsrfToken(token) {
  csrfToken = token;
}

/** The browser's fee key, sent as `Leash-Fee-Payer` while a passkey wallet is the owner. */
export function setFeePayer(address) {
  feePayer = address;
}

/** An API refusal: what the envelope says. */
export class ApiError extends Error {
  constructor(status, error, requestId) {
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code || `http_${status}`;
    this.hint = error.hint || null;
    this.details = error.details || null;
    this.requestId = requestId || null;
  }
}

/**
 * `method path` with a JSON `body`; resolves to the answer's JSON or throws an ApiError.
 * `options.idempotencyKey` sets Idempotency-Key (submits need one).
 */
export async function api(method, path, body, options = {}) {
  const headers = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET" && csrfToken && !options.withoutCsrf) headers["x-csrf-token"] = csrfToken;
  if (options.idempotencyKey) headers["idempotency-key"] = options.idempotencyKey;
  if (feePayer) headers["leash-fee-payer"] = feePayer;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      signal: options.signal,
    });
  } catch (e) {
    if (e.name === "AbortError") throw e;
    throw new ApiError(0, {
      code: "unreachable",
      message: "the Leash API does not answer",
      hint: "is `leash serve` (or `leash up`) still running?",
    });
  }
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) {
    throw new ApiError(
      response.status,
      json && json.error ? json.error : { message: text || response.statusText },
      json && json.request_id,
    );
  }
  return json;
}
