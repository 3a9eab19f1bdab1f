import { createRequire } from 'node:module';

/** What the coordinator uses of pg-native's `Client`: libpq's synchronous calls. */
export interface NativeClient {
  connectSync(conninfo: string): void;
  querySync(text: string, values?: Array<string | null>): unknown[];
  prepareSync(name: string, text: string, params: number): void;
  executeSync(name: string, values: Array<string | null>): unknown[];
  end(): void;
  pq: {
    /** Rows the last command touched, as text ('' for commands that touch none). */
    cmdTuples(): string;
    /** libpq's PQtransactionStatus: 0 idle, 1 active, 2 in a transaction, 3 in a failed one, 4 unknown (the connection is bad). */
    transactionStatus(): number;
  };
}

export interface TypeParsers {
  getTypeParser(oid: number, format?: 'text'): (text: string) => unknown;
}

export type NativeClientConstructor = new (config: { types: TypeParsers }) => NativeClient;

/**
 * pg-native is an optional dependency (a native addon over Debian's libpq): `npm install` succeeds without
 * libpq, and only a coordinator given a PostgreSQL URL needs it. Loaded on first use, with a message that
 * says what to install when it is missing.
 */
export function loadPgNative(load: (name: string) => unknown = createRequire(import.meta.url)): NativeClientConstructor {
  let loaded: unknown;
  try {
    loaded = load('pg-native');
  } catch (error) {
    throw new Error(
      'TESSERA_DATABASE_URL names a PostgreSQL database, but pg-native (libpq bindings) could not be loaded: ' +
        'install libpq-dev (apt-get install -y libpq-dev), then npm install.',
      { cause: error },
    );
  }
  if (typeof loaded !== 'function') throw new Error('pg-native did not export its Client constructor');
  return loaded as NativeClientConstructor;
}
