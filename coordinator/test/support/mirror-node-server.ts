import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** An account as `GET /api/v1/accounts/{id}` of a Hedera mirror node describes it (the fields we read, and a few more). */
export interface MirrorAccountFixture {
  account: string;
  key: { _type: 'ED25519' | 'ECDSA_SECP256K1' | 'ProtobufEncoded'; key: string } | null;
  evm_address: string | null;
  deleted?: boolean;
}

/** How the fake mirror node answers: normally, with a status, or not at all (until the test closes it). */
export type MirrorNodeMode = { kind: 'normal' } | { kind: 'status'; status: number } | { kind: 'hang' } | { kind: 'garbage' };

/**
 * A real HTTP server on 127.0.0.1 answering in a Hedera mirror node's shape: account JSON for known
 * ids, `404 {"_status":{"messages":[{"message":"Not found"}]}}` otherwise, as the public nodes do.
 */
export class MirrorNodeServer {
  readonly accounts = new Map<string, MirrorAccountFixture>();
  readonly requests: string[] = [];
  mode: MirrorNodeMode = { kind: 'normal' };
  readonly #server: Server = createServer((request, response) => this.#handle(request, response));
  readonly #hanging = new Set<ServerResponse>();

  static async start(): Promise<MirrorNodeServer> {
    const mirror = new MirrorNodeServer();
    await new Promise<void>((resolve) => mirror.#server.listen(0, '127.0.0.1', resolve));
    return mirror;
  }

  get url(): string {
    const address = this.#server.address();
    if (address === null || typeof address === 'string') throw new Error('mirror node server is not listening');
    return `http://127.0.0.1:${address.port}`;
  }

  add(fixture: MirrorAccountFixture): void {
    this.accounts.set(fixture.account, fixture);
  }

  #handle(request: IncomingMessage, response: ServerResponse): void {
    this.requests.push(request.url ?? '');
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    switch (this.mode.kind) {
      case 'hang':
        this.#hanging.add(response);
        return;
      case 'status':
        return send(this.mode.status, { _status: { messages: [{ message: 'Internal error' }] } });
      case 'garbage':
        response.writeHead(200, { 'content-type': 'text/html' });
        response.end('<html>gateway</html>');
        return;
      case 'normal':
        break;
    }
    const match = /^\/api\/v1\/accounts\/([^/?]+)(?:\?.*)?$/.exec(request.url ?? '');
    const fixture = match?.[1] === undefined ? undefined : this.accounts.get(decodeURIComponent(match[1]));
    if (fixture === undefined) return send(404, { _status: { messages: [{ message: 'Not found' }] } });
    send(200, {
      account: fixture.account,
      alias: null,
      auto_renew_period: 7776000,
      balance: { balance: 1_000_000_000, timestamp: '1700000000.000000000', tokens: [] },
      created_timestamp: '1690000000.000000000',
      decline_reward: false,
      deleted: fixture.deleted ?? false,
      ethereum_nonce: 0,
      evm_address: fixture.evm_address,
      expiry_timestamp: '1790000000.000000000',
      key: fixture.key,
      max_automatic_token_associations: 0,
      memo: '',
      pending_reward: 0,
      receiver_sig_required: false,
      staked_account_id: null,
      staked_node_id: null,
      stake_period_start: null,
      transactions: [],
      links: { next: null },
    });
  }

  async close(): Promise<void> {
    for (const response of this.#hanging) response.destroy();
    this.#hanging.clear();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
