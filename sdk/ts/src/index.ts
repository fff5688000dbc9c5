// @leash/sdk: Leash session keys from TypeScript (docs/sdk-ts.md). The generated client (from
// the program's Codama IDL) is re-exported whole; the helpers around it are below.
export * from './generated/index.js';
export { LEASH_ERROR_TABLE, type LeashErrorInfo } from './generated/errorTable.js';
export * from './accounts.js';
export * from './calls.js';
export * from './errors.js';
export * from './events.js';
export { Holder, type Acted, type TransferInput } from './holder.js';
export * from './owner.js';
export * from './pda.js';
export * from './policy.js';
export { type LeashContext, send, type Sent, simulate, type Simulation } from './send.js';
export * from './sessionToken.js';
export * from './spl.js';
export * from './status.js';
