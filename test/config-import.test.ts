// `config import` writes a complete config file that loads as it is (credentials as references to fill
// in), keeps a self-hosted server given by per-service URLs or refuses it (never the US cloud), and
// `config render` shows it without any secret set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bitwarden, CANARY_CLIENT_SECRET, CLIENT_ID, root, runCli } from './helpers/fixture.js';
import { loadConfig } from '../src/config/load.js';
import { instanceNamePattern } from '../src/config/schema.js';

function desktopFolder(urls: Record<string, string | null>, name = 'corp-ad'): string {
  const d = join(mkdtempSync(join(tmpdir(), 'bwdc-import-')), name);
  mkdirSync(d);
  const data = {
    stateVersion: 6,
    directoryType: 0,
    apiKeyClientId: CLIENT_ID,
    apiKeyClientSecret: 'CANARY-client-secret',
    environmentUrls: urls,
    directoryLdap: {
      hostname: 'dc1.corp.example',
      port: 389,
      rootPath: 'dc=corp,dc=example',
      username: 'cn=bwdc,dc=corp,dc=example',
      password: '[STORED SECURELY]',
      ad: false,
    },
    sync: { users: true, groups: true, userFilter: '(objectClass=inetOrgPerson)', interval: 5 },
  };
  writeFileSync(join(d, 'data.json'), JSON.stringify(data));
  return d;
}

const selfHosted = {
  base: null,
  api: 'https://vault.corp.example/api',
  identity: 'https://vault.corp.example/identity',
  webVault: 'https://vault.corp.example',
};

test('config import output, with the credentials filled in, passes check -c unchanged', async () => {
  // A self-hosted server given per service, as the desktop app saves it: here the local Bitwarden test
  // server, because check asks the identity server for a token.
  const base = bitwarden.url.replace(/\/+$/, '');
  const services = ['api', 'identity', 'icons', 'notifications', 'events'].map((s) => [s, `${base}/${s}`]);
  const d = desktopFolder({ base: null, webVault: base, ...Object.fromEntries(services) });
  const imported = await runCli(['config', 'import', join(d, 'data.json')], { PATH: process.env.PATH! });
  assert.equal(imported.code, 0, imported.stderr);
  assert.match(imported.stderr, /wrote a complete config file \(instance "corp-ad"\)/);
  assert.doesNotMatch(imported.stdout, /CANARY|STORED SECURELY/);
  assert.ok(imported.stdout.includes(`\n    server: ${base}\n`), 'per-service URLs kept as their base');
  const config = join(d, 'corp.yaml');
  writeFileSync(config, imported.stdout);

  const env = {
    PATH: process.env.PATH!,
    BWDC_PATH: join(root, 'test', 'bwdc-double', 'bwdc'),
    BWDC_STATE_DIR: join(d, 'state'),
  };
  // Before: the placeholders name what to fill in.
  const before = await runCli(['check', '-c', config], env);
  assert.equal(before.code, 3, before.stdout + before.stderr);
  assert.match(before.stdout, /clientSecret: env:\/\/CORP_AD_CLIENT_SECRET {2}ERROR/);
  // Filled in (the variables the placeholders read): the same file checks clean.
  const filled = { ...env, CORP_AD_CLIENT_SECRET: CANARY_CLIENT_SECRET, CORP_AD_DIRECTORY_SECRET: 'bind-password' };
  const after = await runCli(['check', '-c', config], filled);
  assert.equal(after.code, 0, after.stdout + after.stderr);
  assert.ok(after.stdout.includes(`server: ${base}`), after.stdout);

  // render needs no secret at all.
  const rendered = await runCli(['config', 'render', '-c', config], env);
  assert.equal(rendered.code, 0, rendered.stderr);
  const data = JSON.parse(rendered.stdout) as { environmentUrls: { base: string } };
  assert.equal(data.environmentUrls.base, base);
});

test('config import keeps the EU cloud and refuses per-service URLs one base URL cannot express', async () => {
  const eu = desktopFolder({ api: 'https://api.bitwarden.eu', identity: 'https://identity.bitwarden.eu' });
  const r = await runCli(['config', 'import', join(eu, 'data.json')], { PATH: process.env.PATH! });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^ {4}server: eu$/m);

  const split = desktopFolder({ api: 'https://api.corp.example', identity: 'https://login.corp.example' });
  const refused = await runCli(['config', 'import', join(split, 'data.json')], { PATH: process.env.PATH! });
  assert.equal(refused.code, 2);
  assert.equal(refused.stdout, '', 'nothing written that would target another server');
  assert.match(
    refused.stderr,
    /per-service URLs \(api: https:\/\/api\.corp\.example, identity: https:\/\/login\.corp\.example\)/,
  );
  assert.match(refused.stderr, /data\.json template/);

  const none = desktopFolder({ base: null, api: null });
  const cloud = await runCli(['config', 'import', join(none, 'data.json')], { PATH: process.env.PATH! });
  assert.equal(cloud.code, 0, cloud.stderr);
  assert.doesNotMatch(cloud.stdout, /server:/, 'no server in the file: the US cloud, as bwdc');
});

test('config import names the instance from any folder by the naming rule, so the file still loads', async () => {
  // Folder names as users have them: mixed case, "_" and "." (a copy), longer than a name may be.
  for (const folderName of ['Corp_AD.2', `${'ldap-'.repeat(8)}eu`]) {
    const d = desktopFolder(selfHosted, folderName);
    const r = await runCli(['config', 'import', join(d, 'data.json')], { PATH: process.env.PATH! });
    assert.equal(r.code, 0, r.stderr);
    const name = /^ {2}- name: (.+)$/m.exec(r.stdout)?.[1] ?? '';
    assert.match(name, instanceNamePattern, `${folderName} -> ${name}`);
    const variable = name.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
    assert.match(r.stdout, new RegExp(`clientSecret: env://${variable}_CLIENT_SECRET `));
    const config = join(d, 'corp.yaml');
    writeFileSync(config, r.stdout);
    const filled = {
      BWDC_STATE_DIR: join(d, 'state'),
      [`${variable}_CLIENT_SECRET`]: 'client-secret',
      [`${variable}_DIRECTORY_SECRET`]: 'bind-password',
    };
    assert.doesNotThrow(() => loadConfig(filled, { configPath: config }));
  }
});
