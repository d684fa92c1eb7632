// The test LDAP server itself (test/helpers/slapd.ts): Debian's slapd answers binds and searches with the
// seeded layout, refuses a wrong password, and takes entries added and removed by a test.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startSlapd, BIND_DN, BASE_DN, userDn } from './helpers/slapd.js';

const slapd = await startSlapd({ bindPassword: 'a-bind-password' });
after(() => slapd.stop());

test('slapd: the bind account finds the 3 seeded users and 2 groups', () => {
  assert.deepEqual(slapd.search('(objectClass=inetOrgPerson)').sort(), [
    userDn('alice'),
    userDn('bob'),
    userDn('carol'),
  ]);
  assert.equal(slapd.search('(objectClass=groupOfNames)').length, 2);
  assert.deepEqual(slapd.directory, {
    type: 'ldap',
    hostname: '127.0.0.1',
    port: slapd.port,
    ssl: false,
    rootPath: BASE_DN,
    username: BIND_DN,
    ad: false,
  });
});

test('slapd: a wrong bind password is refused with invalid credentials (49)', () => {
  const r = spawnSync('ldapsearch', ['-x', '-H', slapd.url, '-D', BIND_DN, '-w', 'wrong', '-b', BASE_DN, 'dn'], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 49, r.stderr);
  assert.match(r.stderr, /Invalid credentials/);
});

test('slapd: entries added and removed by a test are seen by the next search', async () => {
  await slapd.addUser({ uid: 'dave', cn: 'Dave Dunn', mail: 'dave@example.com' });
  await slapd.addGroup('support', ['dave']);
  assert.ok(slapd.search('(uid=dave)').includes(userDn('dave')));
  assert.equal(slapd.search('(cn=support)').length, 1);
  await slapd.remove(`cn=support,ou=groups,${BASE_DN}`);
  await slapd.remove(userDn('dave'));
  assert.deepEqual(slapd.search('(uid=dave)'), []);
});
