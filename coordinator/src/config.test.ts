import { describe, expect, it } from 'vitest';
import { configHelp, loadConfig, parseFlags } from './config.ts';

describe('coordinator config', () => {
  it('has defaults, takes the environment, and flags win over it', () => {
    expect(loadConfig({}).port).toBe(8787);
    expect(loadConfig({ PORT: '9000' }).port).toBe(9000);
    const { overrides } = parseFlags(['--port', '9100', '--lease-ms=500']);
    const config = loadConfig({ PORT: '9000' }, overrides);
    expect([config.port, config.leaseMs]).toEqual([9100, 500]);
  });

  it('names the setting and its variable when a value is invalid', () => {
    expect(() => loadConfig({ TESSERA_LEASE_MS: 'soon' })).toThrow(/leaseMs \(TESSERA_LEASE_MS\)/);
  });

  it('refuses unknown flags and documents every option in --help', () => {
    expect(() => parseFlags(['--prot', '1'])).toThrow(/Unknown option '--prot'/);
    expect(parseFlags(['--help']).help).toBe(true);
    const help = configHelp();
    for (const flag of ['--port', '--data-dir', '--lease-ms', '--queue-timeout-ms', 'TESSERA_MAX_ATTEMPTS']) expect(help).toContain(flag);
  });
});

describe('request log redaction', () => {
  it('hides secret query parameters and keeps the rest', async () => {
    const { redactUrl } = await import('./app.ts');
    expect(redactUrl('/?wallet=local&account=0.0.5&walletKey=302e0201&autostart=1')).toBe(
      '/?wallet=local&account=0.0.5&walletKey=[redacted]&autostart=1',
    );
    expect(redactUrl('/v1/models')).toBe('/v1/models');
  });
});
