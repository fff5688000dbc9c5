// Leash events from a transaction's logs. The program logs each event with `sol_log_data`
// (`Program data: <base64>`); only lines logged while the Leash program itself is executing
// count: a program the session calls can log any bytes it likes, so a line is attributed by
// following the `invoke` / `success` / `failed` lines, never by its text alone.
import { type Address, getBase64Encoder } from '@solana/kit';

import { getLeashEventDecoder, type LeashEvent } from './generated/types/index.js';
import { DEFAULT_PROGRAM_ADDRESS } from './pda.js';

export function decodeLeashEvents(
    logs: readonly string[],
    { programAddress = DEFAULT_PROGRAM_ADDRESS }: { programAddress?: Address } = {},
): LeashEvent[] {
    const stack: string[] = [];
    const events: LeashEvent[] = [];
    const decoder = getLeashEventDecoder();
    for (const line of logs) {
        const invoke = /^Program (\w+) invoke \[\d+\]$/.exec(line);
        if (invoke) {
            stack.push(invoke[1]!);
            continue;
        }
        if (/^Program (\w+) (success|failed: .*)$/.test(line) && !/^Program (log|data|return):/.test(line)) {
            stack.pop();
            continue;
        }
        const data = /^Program data: (.*)$/.exec(line);
        if (!data || stack.at(-1) !== programAddress) continue;
        const fields = data[1]!.trim().split(' ');
        if (fields.length !== 1) continue;
        try {
            const bytes = getBase64Encoder().encode(fields[0]!);
            const [event, read] = decoder.read(bytes, 0);
            if (read === bytes.length) events.push(event);
        } catch {
            // Not an event of this program's (another version's, say): skipped.
        }
    }
    return events;
}
