import { describe, expect, it } from 'vitest';
import { loadPgNative } from './pg-native-client.ts';

describe('loadPgNative', () => {
  it('says what to install when pg-native (an optional dependency) is missing or its addon did not build', () => {
    const missing = () => {
      throw new Error("Cannot find module 'pg-native'");
    };
    expect(() => loadPgNative(missing)).toThrow(/install libpq-dev \(apt-get install -y libpq-dev\), then npm install/);
    try {
      loadPgNative(missing);
    } catch (error) {
      expect((error as Error).cause).toEqual(new Error("Cannot find module 'pg-native'"));
    }
  });

  it('refuses a module that is not pg-native', () => {
    expect(() => loadPgNative(() => ({}))).toThrow(/did not export its Client constructor/);
  });

  it('loads the installed one', () => {
    expect(typeof loadPgNative()).toBe('function');
  });
});
