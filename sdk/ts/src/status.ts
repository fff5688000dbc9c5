// A session's standing and what is left of each bound, by the program's own rules
// (docs/program.md, "Execute, in order", checks 5-8, and "Time" for the periodic windows).
import type { Address } from '@solana/kit';

import type { AnySession } from './accounts.js';

export const UNLIMITED = 2n ** 64n - 1n;

export type SessionState = 'active' | 'revoked' | 'not_yet_active' | 'expired' | 'used_up';

export type LimitStatus = {
    mint: Address;
    perTx: bigint;
    total: bigint;
    spent: bigint;
    /** What the total bound leaves (UNLIMITED when there is none). */
    remaining: bigint;
    periodSecs: number;
    perPeriod: bigint;
    /** Spent in the current window (0 once it rolled over). */
    spentInPeriod: bigint;
    /** What the periodic bound leaves in this window (UNLIMITED when there is none). */
    remainingInPeriod: bigint;
    recipients: Address[];
};

export type SessionStatus = {
    session: Address;
    state: SessionState;
    layout: 1 | 2;
    uses: bigint;
    maxUses: bigint;
    nonce: bigint;
    validAfter: bigint;
    validUntil: bigint;
    expirySlot: bigint;
    allowedPrograms: Address[];
    limits: LimitStatus[];
    /** The cluster's clock the state was judged at. */
    now: bigint;
    slot: bigint;
};

/** The same order of refusals as the program: revoked, not yet active, expired, used up. */
export function sessionState(session: AnySession, walletEpoch: number, now: bigint, slot: bigint): SessionState {
    const p = session.policy;
    if (session.revoked || session.epoch !== walletEpoch) return 'revoked';
    if (now < p.validAfter) return 'not_yet_active';
    if (now >= p.validUntil || (p.expirySlot !== 0n && slot >= p.expirySlot)) return 'expired';
    if (session.uses >= p.maxUses) return 'used_up';
    return 'active';
}

function periodIndex(now: bigint, createdAt: bigint, periodSecs: number): bigint {
    if (periodSecs === 0) return 0n;
    const elapsed = now > createdAt ? now - createdAt : 0n;
    return elapsed / BigInt(periodSecs);
}

export function sessionStatus(address: Address, session: AnySession, walletEpoch: number, now: bigint, slot: bigint): SessionStatus {
    const p = session.policy;
    const limits = p.limits.map((l, i) => {
        const spent = session.spent[i] ?? { total: 0n, periodIndex: 0n, inPeriod: 0n };
        const window = periodIndex(now, session.createdAt, l.periodSecs);
        const current = window > spent.periodIndex ? window : spent.periodIndex;
        const spentInPeriod = l.periodSecs > 0 && current === spent.periodIndex ? spent.inPeriod : 0n;
        const left = (bound: bigint, used: bigint) => (bound === UNLIMITED ? UNLIMITED : bound > used ? bound - used : 0n);
        return {
            mint: l.mint,
            perTx: l.perTx,
            total: l.total,
            spent: spent.total,
            remaining: left(l.total, spent.total),
            periodSecs: l.periodSecs,
            perPeriod: l.perPeriod,
            spentInPeriod,
            remainingInPeriod: l.periodSecs === 0 ? UNLIMITED : left(l.perPeriod, spentInPeriod),
            recipients: 'recipients' in l ? [...l.recipients] : [],
        };
    });
    return {
        session: address,
        state: sessionState(session, walletEpoch, now, slot),
        layout: session.layout,
        uses: session.uses,
        maxUses: p.maxUses,
        nonce: session.nonce,
        validAfter: p.validAfter,
        validUntil: p.validUntil,
        expirySlot: p.expirySlot,
        allowedPrograms: [...p.allowedPrograms],
        limits,
        now,
        slot,
    };
}
