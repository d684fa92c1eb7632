// Declarative directory settings: the directory and sync blocks, their checks, what they render into,
// the template checks, `config import` and `config render`, and a real run of a rendered block.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { loadConfig } from '../src/config/load.js';
import { ConfigError } from '../src/errors.js';
import { renderDataJson } from '../src/directory/render.js';
import type { DirectoryBlock } from '../src/directory/schema.js';
import {
  CANARY_DIRECTORY_SECRET,
  CLIENT_ID,
  assertNoCanary,
  doublePath,
  makeFixture,
  root,
  runCli,
} from './helpers/fixture.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'bwdc-directory-test-'));

function configFile(d: string, text: string): string {
  const p = join(d, 'config.yaml');
  writeFileSync(p, text);
  return p;
}

const head = `defaults:
  clientId: ${CLIENT_ID}
  clientSecret: env://BWDC_TEST_SECRET
  directorySecret: env://BWDC_TEST_DIR_SECRET
instances:
`;

function errorsOf(text: string): string {
  const d = tmp();
  try {
    loadConfig({}, { configPath: configFile(d, head + text), cwd: d });
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.message;
  }
  assert.fail('the configuration was accepted');
}

// ---- rendering -------------------------------------------------------------------------------

// The fields: docs/upstream/bwdc.md "Directory and sync sections".
test('every directory type renders every field of its section and of sync, all explicit', () => {
  const cases: Array<[DirectoryBlock, number, string, Record<string, unknown>]> = [
    [
      { type: 'ldap', hostname: 'dc1', port: 636, ssl: true, rootPath: 'dc=x', username: 'cn=b' },
      0,
      'directoryLdap',
      {
        hostname: 'dc1',
        port: 636,
        ssl: true,
        startTls: false,
        sslAllowUnauthorized: false,
        rootPath: 'dc=x',
        currentUser: false,
        username: 'cn=b',
        ad: true,
        pagedSearch: true,
      },
    ],
    [
      {
        type: 'entra',
        tenant: '72f988bf-86f1-41af-91ab-2d7cd011db47',
        applicationId: '11111111-2222-3333-4444-555555555555',
      },
      1,
      'directoryEntra',
      {
        identityAuthority: 'login.microsoftonline.com',
        tenant: '72f988bf-86f1-41af-91ab-2d7cd011db47',
        applicationId: '11111111-2222-3333-4444-555555555555',
      },
    ],
    [
      {
        type: 'google',
        clientEmail: 'sa@p.iam.gserviceaccount.com',
        adminUser: 'admin@corp.example',
        domain: 'corp.example',
      },
      2,
      'directoryGsuite',
      { clientEmail: 'sa@p.iam.gserviceaccount.com', adminUser: 'admin@corp.example', domain: 'corp.example' },
    ],
    [{ type: 'okta', orgUrl: 'https://corp.okta.com' }, 3, 'directoryOkta', { orgUrl: 'https://corp.okta.com' }],
    [{ type: 'onelogin', clientId: 'abc' }, 4, 'directoryOnelogin', { clientId: 'abc', region: 'us' }],
  ];
  for (const [block, type, section, expected] of cases) {
    const data = renderDataJson(block, { users: true });
    assert.equal(data.stateVersion, 6, block.type);
    assert.equal(data.directoryType, type, block.type);
    assert.deepEqual(data[section], expected, block.type);
    // Only the active section: bwdc reads no other.
    assert.deepEqual(Object.keys(data).sort(), ['directoryType', section, 'stateVersion', 'sync'].sort());
    const sync = data.sync as Record<string, unknown>;
    assert.deepEqual(
      { ...sync, userObjectClass: undefined, groupObjectClass: undefined },
      {
        ...sync,
        users: true,
        groups: false,
        interval: 5,
        removeDisabled: false,
        overwriteExisting: false,
        largeImport: false,
        inviteUsersAfterProvisioning: true,
        userObjectClass: undefined,
        groupObjectClass: undefined,
      },
      block.type,
    );
    assert.equal('userObjectClass' in sync, block.type === 'ldap', `${block.type}: LDAP attributes only for LDAP`);
  }
});

test('LDAP attribute defaults follow `ad`: Active Directory names, or the standard schema for ad: false', () => {
  const ad = renderDataJson({ type: 'ldap', hostname: 'h', port: 389 }).sync as Record<string, unknown>;
  assert.equal(ad.userObjectClass, 'person');
  assert.equal(ad.emailPrefixAttribute, 'sAMAccountName');
  assert.equal(ad.revisionDateAttribute, 'whenChanged');
  const open = renderDataJson(
    { type: 'ldap', hostname: 'h', port: 389, ad: false },
    { memberAttribute: 'uniqueMember' },
  ).sync as Record<string, unknown>;
  assert.equal(open.userObjectClass, 'inetOrgPerson');
  assert.equal(open.groupObjectClass, 'groupOfNames');
  assert.equal(open.memberAttribute, 'uniqueMember', 'what the user set wins');
  assert.equal(open.revisionDateAttribute, 'modifyTimestamp');
});

test('inviteUsersAfterProvisioning is always written: true by default, false when asked', () => {
  const block: DirectoryBlock = { type: 'okta', orgUrl: 'https://x.okta.com' };
  assert.equal(
    (renderDataJson(block).sync as { inviteUsersAfterProvisioning: boolean }).inviteUsersAfterProvisioning,
    true,
  );
  assert.equal(
    (renderDataJson(block, { inviteUsersAfterProvisioning: false }).sync as { inviteUsersAfterProvisioning: boolean })
      .inviteUsersAfterProvisioning,
    false,
  );
});

// ---- checks that name the field ---------------------------------------------------------------

test('each bad field is named, with the file line and what is expected', () => {
  const d = tmp();
  const cases: Array<[string, RegExp]> = [
    [
      '  - name: a\n    directory: { type: ldap, port: 389 }\n',
      /instances\[0\]\.directory\.hostname \(.*config\.yaml:\d+\): required for type ldap: the LDAP server host name/,
    ],
    [
      '  - name: a\n    directory: { type: ldap, hostname: h }\n',
      /directory\.port .*required for type ldap: the LDAP server port/,
    ],
    [
      '  - name: a\n    directory: { type: ldap, hostname: h, port: 0 }\n',
      /directory\.port .*expected a port from 1 to 65535/,
    ],
    [
      '  - name: a\n    directory: { type: ldap, hostname: h, port: 636, ssl: true, startTls: true }\n',
      /directory\.startTls .*ssl and startTls are both true/,
    ],
    [
      `  - name: a\n    directory: { type: ldap, hostname: h, port: 636, sslCaPath: ${d}/missing.pem }\n`,
      /directory\.sslCaPath .*missing\.pem" cannot be read; expected a readable PEM file/,
    ],
    [
      '  - name: a\n    directory: { type: ldap, hostname: h, port: 389 }\n    sync: { userFilter: "(&(objectClass=user)" }\n',
      /sync\.userFilter .*not a valid LDAP filter: unbalanced parentheses/,
    ],
    [
      '  - name: a\n    directory: { type: ldap, hostname: h, port: 389 }\n    sync: { groupFilter: "objectClass=group" }\n',
      /sync\.groupFilter .*expected an LDAP filter in parentheses/,
    ],
    [
      '  - name: a\n    directory: { type: ldap, hostname: h, port: 389 }\n    sync: { userFilter: "(cn=a(b)" }\n',
      /sync\.userFilter .*not a valid LDAP filter/,
    ],
    [
      '  - name: a\n    directory: { type: ldap, hostname: h, port: 389 }\n    sync: { interval: 3 }\n',
      /sync\.interval .*expected 5 minutes or more/,
    ],
    [
      '  - name: a\n    directory: { type: entra, tenant: contoso.onmicrosoft.com, applicationId: 11111111-2222-3333-4444-555555555555 }\n',
      /directory\.tenant .*expected the Directory \(tenant\) ID, a GUID/,
    ],
    [
      '  - name: a\n    directory: { type: entra, tenant: 72f988bf-86f1-41af-91ab-2d7cd011db47 }\n',
      /directory\.applicationId .*required for type entra/,
    ],
    [
      '  - name: a\n    directory: { type: google, clientEmail: not-an-email, adminUser: a@b.example, domain: b.example }\n',
      /directory\.clientEmail .*expected the service account e-mail address/,
    ],
    [
      '  - name: a\n    directory: { type: google, clientEmail: s@b.example, domain: b.example }\n',
      /directory\.adminUser .*required for type google/,
    ],
    [
      '  - name: a\n    directory: { type: okta, orgUrl: "http://corp.okta.com" }\n',
      /directory\.orgUrl .*expected an https:\/\/ URL/,
    ],
    [
      '  - name: a\n    directory: { type: onelogin, clientId: x, region: ap }\n',
      /directory\.region .*expected us or eu/,
    ],
    [
      '  - name: a\n    directory: { type: okta, orgUrl: "https://x.okta.com" }\n    sync: { userPath: ou=x }\n',
      /sync\.userPath .*an LDAP setting; type okta does not read it/,
    ],
    [
      '  - name: a\n    directory: { type: ldap, hostnme: h, port: 389 }\n',
      /directory\.hostnme .*unknown key "hostnme"; did you mean "hostname"\? Allowed here: type, hostname, port/,
    ],
    [
      '  - name: a\n    directory: { type: novell }\n',
      /directory\.type .*expected type: ldap, entra, google, okta or onelogin/,
    ],
    [
      `  - name: a\n    dataJson: ${join(root, 'k8s', 'examples', 'instance-2.data.json')}\n    directory: { type: okta, orgUrl: "https://x.okta.com" }\n`,
      /instances\[0\]\.directory .*set either a directory block or a data\.json template/,
    ],
    ['  - name: a\n', /instances\[0\]\.directory .*required: a directory block/],
  ];
  for (const [text, expected] of cases) assert.match(errorsOf(text), expected, text);
});

test('a directory block merges over defaults field by field; another type replaces it', () => {
  const d = tmp();
  const path = configFile(
    d,
    `defaults:
  clientId: ${CLIENT_ID}
  clientSecret: env://S
  directory: { type: ldap, port: 636, ssl: true, rootPath: "dc=corp,dc=example" }
  sync: { users: true, groups: true }
instances:
  - name: a
    directory: { type: ldap, hostname: dc1 }
    sync: { userFilter: "(objectClass=user)" }
  - name: b
    directory: { type: okta, orgUrl: "https://corp.okta.com" }
    directorySecret: env://T
`,
  );
  const c = loadConfig({}, { configPath: path, cwd: d });
  const a = JSON.parse(c.instances[0]!.dataJson.text);
  assert.deepEqual(
    [a.directoryLdap.hostname, a.directoryLdap.port, a.directoryLdap.ssl, a.directoryLdap.rootPath],
    ['dc1', 636, true, 'dc=corp,dc=example'],
  );
  assert.deepEqual([a.sync.users, a.sync.groups, a.sync.userFilter], [true, true, '(objectClass=user)']);
  const b = JSON.parse(c.instances[1]!.dataJson.text);
  assert.deepEqual(b.directoryOkta, { orgUrl: 'https://corp.okta.com' });
  assert.equal(b.directoryLdap, undefined);
  assert.equal(c.instances[1]!.dataJson.directoryType, 3);
});

test('the environment: BWDC_DIRECTORY_TYPE and the LDAP and sync variables make the block, no data.json needed', () => {
  const env = {
    BW_CLIENTID: CLIENT_ID,
    BW_CLIENTSECRET: 'env://S',
    BWDC_DIRECTORY_TYPE: 'ldap',
    BWDC_LDAP_HOSTNAME: 'dc1.corp.example',
    BWDC_LDAP_PORT: '636',
    BWDC_LDAP_SSL: 'true',
    BWDC_LDAP_ROOT_PATH: 'dc=corp,dc=example',
    BWDC_LDAP_AD: 'false',
    BWDC_SYNC_USERS: 'true',
    BWDC_SYNC_GROUPS: 'true',
    BWDC_SYNC_USER_FILTER: '(objectClass=inetOrgPerson)',
    BWDC_SYNC_GROUP_FILTER: '(objectClass=groupOfNames)',
  };
  const data = JSON.parse(loadConfig(env).instances[0]!.dataJson.text);
  assert.deepEqual(
    [data.directoryLdap.hostname, data.directoryLdap.port, data.directoryLdap.ssl, data.directoryLdap.ad],
    ['dc1.corp.example', 636, true, false],
  );
  assert.equal(data.sync.groupFilter, '(objectClass=groupOfNames)');
  const bad = (extra: Record<string, string>) => {
    try {
      loadConfig({ ...env, ...extra });
    } catch (err) {
      return (err as Error).message;
    }
    return '';
  };
  assert.match(
    bad({ BWDC_LDAP_PORT: 'ldaps' }),
    /directory\.port \(BWDC_LDAP_PORT\): "ldaps" is not valid; expected a whole number from 1 to 65535, e\.g\. 636/,
  );
  assert.match(
    bad({ BWDC_LDAP_SSL: 'yes' }),
    /directory\.ssl \(BWDC_LDAP_SSL\): "yes" is not valid; expected true or false/,
  );
  assert.match(
    bad({ BWDC_SYNC_USER_FILTER: '(&(a=b)' }),
    /sync\.userFilter \(BWDC_SYNC_USER_FILTER\): not a valid LDAP filter/,
  );
  assert.match(
    bad({ BWDC_DATA_JSON: join(root, 'k8s', 'examples', 'instance-2.data.json') }),
    /set either a directory block or a data\.json template/,
  );
  const noType = { ...env, BWDC_DIRECTORY_TYPE: '' };
  assert.throws(() => loadConfig(noType), /BWDC_LDAP_HOSTNAME.*set BWDC_DIRECTORY_TYPE too/);
});

test('folder discovery: a folder with a runner.yaml holding a directory block is an instance', () => {
  const d = tmp();
  mkdirSync(join(d, 'corp-ad'));
  writeFileSync(
    join(d, 'corp-ad', 'runner.yaml'),
    'directory:\n  type: ldap\n  hostname: dc1\n  port: 389\nsync:\n  users: true\n',
  );
  const c = loadConfig({ BW_CLIENTID: CLIENT_ID, BW_CLIENTSECRET: 'env://S', BWDC_INSTANCES_DIR: d });
  assert.deepEqual(
    c.instances.map((i) => [i.name, i.dataJson.directoryType, i.dataJson.rendered]),
    [['corp-ad', 0, true]],
  );
});

// ---- templates get the same checks where they apply ---------------------------------------------

function templateErrors(template: object, withSecret: boolean): { errors: string; warnings: readonly string[] } {
  const d = tmp();
  writeFileSync(join(d, 'data.json'), JSON.stringify(template));
  const env: Record<string, string> = {
    BW_CLIENTID: CLIENT_ID,
    BW_CLIENTSECRET: 'env://S',
    BWDC_DATA_JSON: join(d, 'data.json'),
  };
  if (withSecret) env.BWDC_DIRECTORY_SECRET = 'env://T';
  try {
    const c = loadConfig(env);
    return { errors: '', warnings: c.warnings };
  } catch (err) {
    return { errors: (err as Error).message, warnings: [] };
  }
}

const exportLike = {
  stateVersion: 6,
  directoryType: 0,
  directoryLdap: { hostname: 'dc1', port: 389, password: '[STORED SECURELY]', ad: true },
  sync: { users: true, inviteUsersAfterProvisioning: true },
};

test('a template holding a secret placeholder is refused unless directorySecret replaces it', () => {
  const refused = templateErrors(exportLike, false);
  assert.match(
    refused.errors,
    /dataJson \(.*data\.json\): .*directoryLdap\.password holds a placeholder .* set directorySecret to a reference to the real secret/,
  );
  assert.equal(templateErrors(exportLike, true).errors, '', 'directorySecret overwrites the field at every run');
  for (const placeholder of ['********', '<bind password>', '${LDAP_PASSWORD}', 'CHANGEME'])
    assert.match(
      templateErrors({ ...exportLike, directoryLdap: { ...exportLike.directoryLdap, password: placeholder } }, false)
        .errors,
      /holds a placeholder/,
      placeholder,
    );
});

test('a template without stateVersion warns what the next bwdc does; a nested layout is refused with how to convert', () => {
  const { stateVersion: _, ...unversioned } = exportLike;
  const w = templateErrors(unversioned, true);
  assert.equal(w.errors, '');
  assert.equal(w.warnings.length, 1);
  assert.match(
    w.warnings[0]!,
    /has no stateVersion: .*next bwdc release .*"Staged" without an invitation; add "stateVersion": 6/,
  );
  const nested = templateErrors(
    { authenticatedAccounts: ['x'], activeUserId: 'x', x: { directorySettings: {} } },
    true,
  );
  assert.match(nested.errors, /nested layout of bwdc before 2026\.6 .*bwdc-runner config import PATH/);
  assert.match(
    templateErrors({ ...exportLike, stateVersion: 3 }, true).errors,
    /stateVersion 3; bwdc refuses anything below 5/,
  );
  // A directory type bwdc does not know is refused, naming what it knows.
  for (const directoryType of [9, -1, '0'])
    assert.match(
      templateErrors({ ...exportLike, directoryType }, true).errors,
      /has directoryType .* that bwdc does not know; expected 0 LDAP, 1 Entra ID, 2 Google Workspace, 3 Okta or 4 OneLogin/,
    );
});

test('a template gets the block checks where they apply: missing host and port, ssl with startTls, LDAP filters', () => {
  const t = {
    stateVersion: 6,
    directoryType: 0,
    directoryLdap: { ssl: true, startTls: true },
    sync: { userFilter: '(objectClass=user' },
  };
  const e = templateErrors(t, true).errors;
  assert.match(e, /directoryLdap\.hostname: required for type ldap/);
  assert.match(e, /directoryLdap\.port: required for type ldap/);
  assert.match(e, /directoryLdap\.startTls: ssl and startTls are both true/);
  assert.match(e, /sync\.userFilter: not a valid LDAP filter/);
  // A desktop export of an Entra setup carries the LDAP sync fields too: bwdc ignores them, so do the checks.
  const entra = {
    stateVersion: 6,
    directoryType: 1,
    directoryEntra: {
      tenant: '72f988bf-86f1-41af-91ab-2d7cd011db47',
      applicationId: '11111111-2222-3333-4444-555555555555',
    },
    sync: { users: true, userObjectClass: 'person', memberAttribute: 'member' },
  };
  assert.equal(templateErrors(entra, true).errors, '');
});

test('the run refuses a placeholder template with exit 2 before anything is written', async () => {
  const fx = makeFixture('placeholder');
  writeFileSync(fx.templatePath, JSON.stringify(exportLike));
  const r = await runCli(['run'], fx.env({ BWDC_DIRECTORY_SECRET_FILE: undefined }));
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /holds a placeholder/);
  assert.equal(fx.records().length, 0, 'bwdc never started');
  assert.throws(() => readFileSync(join(fx.stateDir, 'placeholder', 'data.json')), /ENOENT/);
});

// ---- config import and config render ------------------------------------------------------------

const desktopExport = {
  stateVersion: 6,
  installedVersion: '2026.6.1',
  appId: '5b1f0d5e-2f7c-4d0e-9d5e-0c1b2a3f4e5d',
  organizationId: CLIENT_ID.replace('organization.', ''),
  entityId: CLIENT_ID.replace('organization.', ''),
  apiKeyClientId: CLIENT_ID,
  apiKeyClientSecret: '[STORED SECURELY]',
  accessToken: 'eyJhbGciOiJub25lIn0.eyJleHAiOjF9.',
  environmentUrls: { base: 'https://vault.corp.example', api: null, identity: null, webVault: null },
  directoryType: 0,
  directoryLdap: {
    ssl: true,
    startTls: false,
    sslAllowUnauthorized: false,
    hostname: 'dc1.corp.example',
    port: 636,
    rootPath: 'dc=corp,dc=example',
    currentUser: false,
    username: 'CN=bwdc,OU=Service,DC=corp,DC=example',
    password: CANARY_DIRECTORY_SECRET,
    ad: true,
    pagedSearch: true,
  },
  directoryEntra: {},
  directoryGsuite: {},
  directoryOkta: {},
  directoryOnelogin: {},
  sync: {
    users: true,
    groups: true,
    interval: 5,
    userFilter: '(&(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))',
    groupFilter: null,
    removeDisabled: false,
    overwriteExisting: false,
    largeImport: false,
    userObjectClass: 'person',
    groupObjectClass: 'group',
    userPath: null,
    groupPath: null,
    groupNameAttribute: 'name',
    userEmailAttribute: 'mail',
    memberAttribute: 'member',
    useEmailPrefixSuffix: false,
    emailPrefixAttribute: 'sAMAccountName',
    emailSuffix: null,
    creationDateAttribute: 'whenCreated',
    revisionDateAttribute: 'whenChanged',
  },
  lastSyncHash: 'x',
  userDeltaToken: null,
};

/** What bwdc reads of a data.json: the active section (less its secret) and sync, nulls dropped. */
function readBy(data: Record<string, unknown>): Record<string, unknown> {
  const sections = ['directoryLdap', 'directoryEntra', 'directoryGsuite', 'directoryOkta', 'directoryOnelogin'];
  const secretFields = ['password', 'key', 'privateKey', 'token', 'clientSecret'];
  const type = data.directoryType as number;
  const clean = (o: unknown, drop: string[]) =>
    Object.fromEntries(Object.entries(o ?? {}).filter(([k, v]) => v !== null && !drop.includes(k)));
  return {
    directoryType: type,
    section: clean(data[sections[type]!], secretFields),
    sync: clean(data.sync, ['inviteUsersAfterProvisioning', ...(type === 0 ? [] : ['userObjectClass'])]),
  };
}

async function importAndRender(
  template: Record<string, unknown>,
): Promise<{ yaml: string; rendered: Record<string, unknown> }> {
  const d = tmp();
  writeFileSync(join(d, 'data.json'), JSON.stringify(template));
  const imported = await runCli(['config', 'import', join(d, 'data.json')], { PATH: process.env.PATH! });
  assert.equal(imported.code, 0, imported.stderr);
  // The output is a complete config file: rendered as it is (render needs no secret).
  const config = configFile(d, imported.stdout);
  const rendered = await runCli(['config', 'render', '-c', config], { PATH: process.env.PATH! });
  assert.equal(rendered.code, 0, rendered.stderr);
  return { yaml: imported.stdout, rendered: JSON.parse(rendered.stdout) as Record<string, unknown> };
}

test('config import -> config render gives back an equivalent data.json: the repo templates and a desktop export', async () => {
  const templates = [join(root, 'k8s', 'examples', 'instance-2.data.json')].map(
    (p) => JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>,
  );
  for (const template of [...templates, desktopExport]) {
    const { yaml, rendered } = await importAndRender(template);
    const want = readBy(template);
    const got = readBy(rendered);
    assert.equal(got.directoryType, want.directoryType);
    for (const part of ['section', 'sync'] as const)
      for (const [k, v] of Object.entries(want[part] as object))
        assert.deepEqual((got[part] as Record<string, unknown>)[k], v, `${part}.${k}\n${yaml}`);
    // Everything the template had is kept; the rendered file also says what bwdc would otherwise assume.
    const sync = rendered.sync as Record<string, unknown>;
    assert.equal(sync.inviteUsersAfterProvisioning, true);
    assert.equal(rendered.stateVersion, 6);
  }
});

test('config import leaves every secret out and says which reference to set', async () => {
  const { yaml, rendered } = await importAndRender(desktopExport);
  assertNoCanary('config import output', yaml, JSON.stringify(rendered));
  assert.doesNotMatch(yaml, /STORED SECURELY|accessToken|eyJhbGci/);
  assert.match(yaml, /^ {4}clientId: organization\./m);
  assert.match(yaml, /^ {4}server: https:\/\/vault\.corp\.example$/m);
  assert.match(
    yaml,
    /# directorySecret: set a reference to the bind password \(it was in directoryLdap\.password, left out here\)/,
  );
  assert.match(yaml, /# clientSecret: set a reference to the organization API key's client secret/);
  // render shows the server the run sets, and masks nothing-but-secrets.
  assert.equal((rendered.environmentUrls as { base: string }).base, 'https://vault.corp.example');
});

test('config import refuses a nested (pre-2026.6) data.json with how to convert it', async () => {
  const d = tmp();
  writeFileSync(join(d, 'data.json'), JSON.stringify({ authenticatedAccounts: ['u'], activeUserId: 'u' }));
  const r = await runCli(['config', 'import', join(d, 'data.json')], { PATH: process.env.PATH! });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /nested layout .* start bwdc 2026\.6 or later once with this file/);
});

test('config render masks the secrets a template holds', async () => {
  const d = tmp();
  writeFileSync(join(d, 'data.json'), JSON.stringify(desktopExport));
  const r = await runCli(['config', 'render'], {
    PATH: process.env.PATH!,
    BW_CLIENTID: CLIENT_ID,
    BW_CLIENTSECRET: 'env://S',
    BWDC_DIRECTORY_SECRET: 'env://T',
    BWDC_DATA_JSON: join(d, 'data.json'),
  });
  assert.equal(r.code, 0, r.stderr);
  assertNoCanary('config render', r.stdout, r.stderr);
  const out = JSON.parse(r.stdout) as { directoryLdap: { password: string; hostname: string }; accessToken: string };
  assert.equal(out.directoryLdap.password, '********');
  assert.equal(out.accessToken, '********');
  assert.equal(out.directoryLdap.hostname, 'dc1.corp.example');
});

// ---- the double and a real run ----------------------------------------------------------------

test('the bwdc double refuses, as bwdc does, a section missing what it needs (dirConfigIncomplete)', async () => {
  const d = tmp();
  const now = Math.floor(Date.now() / 1000);
  writeFileSync(
    join(d, 'data.json'),
    JSON.stringify({
      stateVersion: 6,
      directoryType: 0,
      directoryLdap: { hostname: 'h' },
      organizationId: 'o',
      accessToken: `eyJhbGciOiJub25lIn0.${Buffer.from(JSON.stringify({ exp: now + 3600 })).toString('base64url')}.`,
    }),
  );
  const out = await new Promise<string>((resolve) => {
    const c = spawn(doublePath, ['test', '--response'], {
      env: {
        PATH: process.env.PATH,
        BITWARDENCLI_CONNECTOR_APPDATA_DIR: d,
        BITWARDENCLI_CONNECTOR_PLAINTEXT_SECRETS: 'true',
      },
    });
    let s = '';
    c.stdout.on('data', (b) => (s += b));
    c.on('close', () => resolve(s));
  });
  assert.match(out, /dirConfigIncomplete/);
});

test('a rendered LDAP block syncs against the double; bwdc state is kept, a changed block re-renders', async () => {
  const fx = makeFixture('block');
  fx.control({ apiHttp: true }); // bwdc's unchanged-check works through the import gate (docs/guard-rails.md)
  const block = {
    type: 'ldap',
    hostname: 'ldap.test',
    port: 389,
    ad: false,
    rootPath: 'dc=test',
    username: 'cn=bwdc,dc=test',
  };
  const write = (b: object) =>
    fx.writeConfig([
      {
        name: 'block',
        dataJson: undefined,
        directory: b,
        sync: { users: true, groups: true, userFilter: '(objectClass=inetOrgPerson)' },
      },
    ]);
  const config = write(block);
  const first = await runCli(['run', '-c', config], fx.fileEnv());
  assert.equal(first.code, 0, first.stderr + first.stdout);
  assert.match(first.stdout, /Synced 2 group\(s\) and 3 user\(s\)/);
  const after = fx.dataJson('block');
  const ldap = after.directoryLdap as Record<string, unknown>;
  assert.equal(ldap.hostname, 'ldap.test');
  assert.equal(ldap.password, undefined, 'the bind password is wiped after the run');
  assert.equal((after.sync as Record<string, unknown>).userObjectClass, 'inetOrgPerson', 'no AD defaults written over');
  assert.ok(after.lastSyncHash, "bwdc's state is kept");

  const again = await runCli(['run', '-c', config], fx.fileEnv());
  assert.match(
    again.stdout,
    /Synced 0 group\(s\) and 0 user\(s\)/,
    'unchanged block: bwdc state from the last run used',
  );

  write({ ...block, hostname: 'ldap2.test' });
  const changed = await runCli(['run', '-c', config], fx.fileEnv());
  assert.equal(changed.code, 0, changed.stderr);
  assert.ok(
    changed.logs.some((l) => l.msg === 'data.json seeded from the template' && l.reason === 'template changed'),
    'a changed block re-renders',
  );
  assert.equal((fx.dataJson('block').directoryLdap as Record<string, unknown>).hostname, 'ldap2.test');
});

test('a Google private key with escaped newlines (as in the JSON key file) reaches bwdc with real ones', async () => {
  const fx = makeFixture('google');
  const pem = '-----BEGIN PRIVATE KEY-----\nMIIEcanaryKEYbody\n-----END PRIVATE KEY-----\n';
  writeFileSync(fx.dirSecretPath, pem.replace(/\n/g, '\\n'));
  // The double refuses a directory secret that is not exactly this (as a key that does not parse fails).
  fx.control({ directorySecret: pem });
  const config = fx.writeConfig([
    {
      name: 'google',
      dataJson: undefined,
      directory: {
        type: 'google',
        clientEmail: 'sa@p.iam.gserviceaccount.com',
        adminUser: 'a@corp.example',
        domain: 'corp.example',
      },
      sync: { users: true },
    },
  ]);
  const r = await runCli(['run', '-c', config], fx.fileEnv());
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.doesNotMatch(r.stdout + r.stderr, /MIIEcanaryKEYbody/);
});

test('every example in examples/directories loads, one per directory type', () => {
  const d = join(root, 'examples', 'directories');
  const types = new Set<number | undefined>();
  for (const f of ['ldap-active-directory', 'ldap-openldap', 'entra', 'google', 'okta', 'onelogin']) {
    const c = loadConfig({}, { configPath: join(d, `${f}.yaml`) });
    for (const i of c.instances) {
      assert.ok(i.dataJson.rendered, f);
      types.add(i.dataJson.directoryType);
    }
  }
  assert.deepEqual([...types].sort(), [0, 1, 2, 3, 4]);
});
