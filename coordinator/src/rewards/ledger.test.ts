import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../test/support/test-database.ts';
import type { SqlDatabase } from '../db/sql-database.ts';
import type { AccountDirectory, LinkedAccount } from './account-directory.ts';
import { Ledger } from './ledger.ts';
import { SettlementJournal } from './settlement-journal.ts';

const dirs: string[] = [];
const opened: SqlDatabase[] = [];
afterEach(() => {
  opened.splice(0).forEach((db) => db.close());
  dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true }));
});
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-ledger-'));
  dirs.push(dir);
  return dir;
}
/** The ledger's database: SQLite, or PostgreSQL in the coordinator-postgres project; `dir` to reopen the same one. */
async function database(dir = dataDir()): Promise<SqlDatabase> {
  const db = await openTestDatabase(dir);
  opened.push(db);
  return db;
}

const ALICE = 'a'.repeat(43);
const BOB = 'b'.repeat(43);
const CAROL = 'c'.repeat(43);
const ALICE_ACCOUNT: LinkedAccount = { accountId: '0.0.1001', evmAddress: '0x00000000000000000000000000000000000003e9' };
const BOB_ACCOUNT: LinkedAccount = { accountId: '0.0.1002', evmAddress: '0xAbCdEf0000000000000000000000000000000002' };

function directory(links: Record<string, LinkedAccount>): AccountDirectory {
  return { linkedAccount: (key) => links[key] };
}

let taskCounter = 0;
function credit(ledger: Ledger, publicKey: string, amount: bigint, escrow = false): void {
  ledger.credit({ taskId: `task-${++taskCounter}`, publicKey, model: 'm', units: 1n, amount, escrow });
}

describe('Ledger', () => {
  it('keeps escrow apart from credit and slashes only escrow', async () => {
    let now = 0;
    const ledger = new Ledger(await database(), { epochLengthMs: 1000, now: () => now });
    credit(ledger, ALICE, 100n, true);
    credit(ledger, ALICE, 50n, true);
    credit(ledger, ALICE, 7n);
    expect(ledger.balances(ALICE, undefined)).toMatchObject({ escrowed: 150n, credited: 7n });
    expect(ledger.slashEscrow(ALICE)).toBe(150n);
    expect(ledger.balances(ALICE, undefined)).toMatchObject({ escrowed: 0n, credited: 7n, slashed: 150n });
    now = 999;
    expect(ledger.epochDue()).toBe(false);
    now = 1000;
    expect(ledger.epochDue()).toBe(true);
  });

  it('closes an epoch into one leaf per linked account with proofs that verify; unlinked credit waits', async () => {
    const db = await database();
    const ledger = new Ledger(db, { epochLengthMs: 1000 });
    credit(ledger, ALICE, 1_000n);
    credit(ledger, ALICE, 234n, true);
    credit(ledger, BOB, 5n);
    credit(ledger, CAROL, 42n);
    const closed = ledger.closeEpoch(directory({ [ALICE]: ALICE_ACCOUNT, [BOB]: BOB_ACCOUNT }));
    expect(closed).toMatchObject({ epoch: 1, total: 1_239n, accounts: 2 });
    const claims = [...ledger.claims(ALICE_ACCOUNT.evmAddress), ...ledger.claims(BOB_ACCOUNT.evmAddress)];
    expect(claims.map((claim) => claim.amount)).toEqual(['1234', '5']);
    for (const claim of claims) {
      expect(StandardMerkleTree.verify(closed.root ?? '', ['address', 'uint256'], [claim.account, claim.amount], claim.proof)).toBe(true);
      expect(claim.posted).toBe(false);
    }
    expect(ledger.balances(ALICE, ALICE_ACCOUNT.evmAddress)).toMatchObject({ escrowed: 0n, credited: 0n, claimable: 1_234n });
    expect(ledger.balances(CAROL, undefined)).toMatchObject({ credited: 42n });
    expect(ledger.currentEpoch().epoch).toBe(2);

    // Carol links later: her credit settles in the next epoch.
    const next = ledger.closeEpoch(
      directory({ [CAROL]: { accountId: '0.0.7', evmAddress: '0x0000000000000000000000000000000000000007' } }),
    );
    expect(next).toMatchObject({ epoch: 2, total: 42n, accounts: 1 });
    const journal = new SettlementJournal(db);
    journal.markPosted(1, '0xabc');
    ledger.markClaimed(1, ALICE_ACCOUNT.evmAddress);
    expect(ledger.balances(ALICE, ALICE_ACCOUNT.evmAddress)).toMatchObject({ claimable: 0n, claimed: 1_234n });
    expect(journal.toPost().map((epoch) => epoch.epoch)).toEqual([2]);
  });

  it('sums two identities that linked the same account into one leaf, and ranks the leaderboard', async () => {
    const ledger = new Ledger(await database(), { epochLengthMs: 1000 });
    credit(ledger, ALICE, 10n);
    credit(ledger, BOB, 20n);
    const closed = ledger.closeEpoch(directory({ [ALICE]: ALICE_ACCOUNT, [BOB]: ALICE_ACCOUNT }));
    expect(closed).toMatchObject({ total: 30n, accounts: 1 });
    expect(ledger.balances(BOB, ALICE_ACCOUNT.evmAddress).claimable).toBe(20n);
    expect(ledger.leaderboard().map((entry) => [entry.publicKey, entry.earned])).toEqual([
      [BOB, 20n],
      [ALICE, 10n],
    ]);
  });

  it('loses nothing across a restart', async () => {
    const dir = dataDir();
    const db = await openTestDatabase(dir);
    const ledger = new Ledger(db, { epochLengthMs: 1000 });
    credit(ledger, ALICE, 99n, true);
    credit(ledger, ALICE, 1n);
    db.close();
    const reopened = new Ledger(await database(dir), { epochLengthMs: 1000 });
    expect(reopened.balances(ALICE, undefined)).toMatchObject({ escrowed: 99n, credited: 1n });
    expect(reopened.currentEpoch().epoch).toBe(1);
  });

  describe('per-account cap for accounts without history', () => {
    const cap = { amount: 100n, epochs: 2 };
    const claimOf = (ledger: Ledger, account: LinkedAccount, epoch: number) =>
      ledger.claims(account.evmAddress).find((claim) => claim.epoch === epoch)?.amount;

    it('pays a new account at most the cap per epoch, oldest credit first, and carries the rest untouched', async () => {
      let now = 0;
      const ledger = new Ledger(await database(), { epochLengthMs: 1000, now: () => now++, newAccountCap: cap });
      credit(ledger, ALICE, 60n);
      credit(ledger, ALICE, 70n);
      credit(ledger, ALICE, 30n);
      const closed = ledger.closeEpoch(directory({ [ALICE]: ALICE_ACCOUNT }));
      expect(closed).toMatchObject({ epoch: 1, total: 100n, accounts: 1, carried: 60n });
      expect(claimOf(ledger, ALICE_ACCOUNT, 1)).toBe('100');
      expect(ledger.balances(ALICE, ALICE_ACCOUNT.evmAddress)).toMatchObject({ credited: 60n, claimable: 100n });
      // The crossing task keeps what was paid; its rest is a new credited row with no units of its own.
      const history = ledger.history(ALICE);
      expect(history.map((entry) => [entry.amount, entry.status, entry.units])).toEqual(
        expect.arrayContaining([
          ['60', 'settled', '1'],
          ['40', 'settled', '1'],
          ['30', 'credited', '0'],
          ['30', 'credited', '1'],
        ]),
      );
      expect(history.reduce((sum, entry) => sum + Number(entry.units), 0)).toBe(3);
    });

    it('loses nothing: what was over the cap is paid by later epochs, then the account is uncapped once it has history', async () => {
      const ledger = new Ledger(await database(), { epochLengthMs: 1000, newAccountCap: cap });
      const links = directory({ [ALICE]: ALICE_ACCOUNT });
      credit(ledger, ALICE, 250n);
      expect(ledger.closeEpoch(links)).toMatchObject({ total: 100n, carried: 150n });
      expect(ledger.closeEpoch(links)).toMatchObject({ total: 100n, carried: 50n });
      // Two epochs of history: no cap any more.
      credit(ledger, ALICE, 500n);
      expect(ledger.closeEpoch(links)).toMatchObject({ total: 550n, carried: 0n });
      expect(ledger.balances(ALICE, ALICE_ACCOUNT.evmAddress)).toMatchObject({ credited: 0n, claimable: 750n });
      expect([1, 2, 3].map((epoch) => claimOf(ledger, ALICE_ACCOUNT, epoch))).toEqual(['100', '100', '550']);
    });

    it('caps the account, not each tab key: two keys linked to one new account share one cap', async () => {
      const ledger = new Ledger(await database(), { epochLengthMs: 1000, newAccountCap: cap });
      credit(ledger, ALICE, 80n);
      credit(ledger, BOB, 80n);
      credit(ledger, CAROL, 80n);
      const closed = ledger.closeEpoch(directory({ [ALICE]: ALICE_ACCOUNT, [BOB]: ALICE_ACCOUNT, [CAROL]: BOB_ACCOUNT }));
      expect(closed).toMatchObject({ total: 180n, accounts: 2, carried: 60n });
      expect(ledger.balances(ALICE, ALICE_ACCOUNT.evmAddress)).toMatchObject({ claimable: 80n, credited: 0n });
      expect(ledger.balances(BOB, ALICE_ACCOUNT.evmAddress)).toMatchObject({ claimable: 20n, credited: 60n });
      expect(ledger.balances(CAROL, BOB_ACCOUNT.evmAddress)).toMatchObject({ claimable: 80n });
      const claims = [...ledger.claims(ALICE_ACCOUNT.evmAddress), ...ledger.claims(BOB_ACCOUNT.evmAddress)];
      for (const claim of claims) {
        expect(StandardMerkleTree.verify(closed.root ?? '', ['address', 'uint256'], [claim.account, claim.amount], claim.proof)).toBe(true);
      }
    });

    it('a cap of 0 means no cap', async () => {
      const ledger = new Ledger(await database(), { epochLengthMs: 1000, newAccountCap: { amount: 0n, epochs: 3 } });
      credit(ledger, ALICE, 10_000n);
      expect(ledger.closeEpoch(directory({ [ALICE]: ALICE_ACCOUNT }))).toMatchObject({ total: 10_000n, carried: 0n });
    });
  });
});
