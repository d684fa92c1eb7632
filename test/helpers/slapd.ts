// Debian's slapd (scripts/ci/install-slapd.sh) on a free loopback port, with its own slapd.conf, mdb
// database and schema in a temp folder (no systemd, nothing of the system's slapd used), seeded with a
// standard OpenLDAP layout: 3 inetOrgPerson users with mail under ou=people, 2 groupOfNames under
// ou=groups, a bind account under ou=services that may read everything. Stopped when the process exits.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { Client } from 'ldapts';
import { root } from './fixture.js';
import { freePort } from './prometheus.js';

const SLAPD = '/usr/sbin/slapd';
export const BASE_DN = 'dc=example,dc=com';
export const ADMIN_DN = `cn=admin,${BASE_DN}`;
export const BIND_DN = `cn=bwdc,ou=services,${BASE_DN}`;
const ADMIN_PASSWORD = 'slapd-admin-password';

export interface SeedUser {
  uid: string;
  cn: string;
  mail: string;
}
export const SEED_USERS: SeedUser[] = [
  { uid: 'alice', cn: 'Alice Archer', mail: 'alice@example.com' },
  { uid: 'bob', cn: 'Bob Baker', mail: 'bob@example.com' },
  { uid: 'carol', cn: 'Carol Cooper', mail: 'carol@example.com' },
];
export const SEED_GROUPS = [
  { cn: 'engineering', members: ['alice', 'bob'] },
  { cn: 'sales', members: ['carol'] },
];

export const userDn = (uid: string): string => `uid=${uid},ou=people,${BASE_DN}`;
export const groupDn = (cn: string): string => `cn=${cn},ou=groups,${BASE_DN}`;

export interface Slapd {
  url: string;
  port: number;
  bindDn: string;
  bindPassword: string;
  /** The runner's `directory` block for this server (the password is the instance's directorySecret). */
  directory: Record<string, unknown>;
  /** The runner's `sync` block matching the seeded layout: users and groups, standard attribute names. */
  sync: Record<string, unknown>;
  addUser(u: SeedUser): Promise<void>;
  addGroup(cn: string, memberUids: string[]): Promise<void>;
  remove(dn: string): Promise<void>;
  /** ldapsearch as the bind account: the entries' DNs under `base` matching `filter`. */
  search(filter: string, base?: string): string[];
  stop(): void;
}

export function ensureSlapd(): void {
  if (!existsSync(SLAPD) || spawnSync('sh', ['-c', 'command -v ldapsearch']).status !== 0)
    execFileSync('bash', [join(root, 'scripts', 'ci', 'install-slapd.sh')], { stdio: 'inherit' });
}

/** The generated users of startSlapd({ extraUsers }): user0000 ... with mail userNNNN@example.com. */
export const extraUser = (i: number): SeedUser => {
  const uid = `user${String(i).padStart(4, '0')}`;
  return { uid, cn: `User ${uid}`, mail: `${uid}@example.com` };
};

function seedLdif(bindPassword: string, extraUsers = 0): string {
  const entries = [
    `dn: ${BASE_DN}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example`,
    ...['people', 'groups', 'services'].map(
      (ou) => `dn: ou=${ou},${BASE_DN}\nobjectClass: organizationalUnit\nou: ${ou}`,
    ),
    `dn: ${BIND_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: bwdc\nuserPassword: ${bindPassword}`,
    ...SEED_USERS.map(userLdif),
    ...Array.from({ length: extraUsers }, (_, i) => userLdif(extraUser(i))),
    ...SEED_GROUPS.map((g) => groupLdif(g.cn, g.members)),
  ];
  return entries.join('\n\n') + '\n';
}

function userLdif(u: SeedUser): string {
  const sn = u.cn.split(' ').at(-1)!;
  return `dn: ${userDn(u.uid)}\nobjectClass: inetOrgPerson\nuid: ${u.uid}\ncn: ${u.cn}\nsn: ${sn}\nmail: ${u.mail}`;
}

function groupLdif(cn: string, members: string[]): string {
  return [
    `dn: ${groupDn(cn)}`,
    'objectClass: groupOfNames',
    `cn: ${cn}`,
    ...members.map((m) => `member: ${userDn(m)}`),
  ].join('\n');
}

function slapdConf(dir: string): string {
  const schema = ['core', 'cosine', 'inetorgperson', 'nis'].map((s) => `include /etc/ldap/schema/${s}.schema`);
  return [
    ...schema,
    `pidfile ${join(dir, 'slapd.pid')}`,
    `argsfile ${join(dir, 'slapd.args')}`,
    // More than slapd's default 500 entries in one search (extraUsers): bwdc pages only when asked to.
    'sizelimit unlimited',
    'modulepath /usr/lib/ldap',
    'moduleload back_mdb',
    'database mdb',
    'maxsize 104857600',
    `suffix "${BASE_DN}"`,
    `rootdn "${ADMIN_DN}"`,
    `rootpw ${ADMIN_PASSWORD}`,
    `directory ${join(dir, 'db')}`,
    'access to attrs=userPassword by anonymous auth by * none',
    'access to * by users read by * none',
    '',
  ].join('\n');
}

/** `extraUsers`: that many more inetOrgPerson users (extraUser), loaded with slapadd before slapd starts. */
export async function startSlapd(opts: { bindPassword?: string; extraUsers?: number } = {}): Promise<Slapd> {
  ensureSlapd();
  const bindPassword = opts.bindPassword ?? 'slapd-bind-password';
  const dir = mkdtempSync(join(tmpdir(), 'bwdc-runner-slapd-'));
  mkdirSync(join(dir, 'db'));
  const conf = join(dir, 'slapd.conf');
  writeFileSync(conf, slapdConf(dir));
  writeFileSync(join(dir, 'seed.ldif'), seedLdif(bindPassword, opts.extraUsers));
  execFileSync('slapadd', ['-q', '-f', conf, '-l', join(dir, 'seed.ldif')], { stdio: ['ignore', 'ignore', 'pipe'] });

  let child: ChildProcess | undefined;
  let port = 0;
  for (let attempt = 0; attempt < 5 && !child; attempt++) {
    port = await freePort();
    const c = spawn(SLAPD, ['-d', '0', '-h', `ldap://127.0.0.1:${port}/`, '-f', conf], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    c.stderr.on('data', (d) => (stderr += d));
    if (await ready(port, bindPassword, c)) child = c;
    else if (c.exitCode === null) c.kill('SIGKILL');
    if (!child && attempt === 4) throw new Error(`slapd did not start on 127.0.0.1:${port}: ${stderr.trim()}`);
  }
  const url = `ldap://127.0.0.1:${port}`;
  const stop = (): void => {
    if (child!.exitCode === null) child!.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stop);
  child!.unref();
  (child!.stderr as Socket).unref(); // a pipe is a socket: it must not keep the test process alive

  const asAdmin = async (fn: (c: Client) => Promise<void>): Promise<void> => {
    const client = new Client({ url });
    try {
      await client.bind(ADMIN_DN, ADMIN_PASSWORD);
      await fn(client);
    } finally {
      await client.unbind();
    }
  };
  return {
    url,
    port,
    bindDn: BIND_DN,
    bindPassword,
    directory: {
      type: 'ldap',
      hostname: '127.0.0.1',
      port,
      ssl: false,
      rootPath: BASE_DN,
      username: BIND_DN,
      ad: false,
    },
    sync: {
      users: true,
      groups: true,
      userPath: 'ou=people',
      groupPath: 'ou=groups',
      userObjectClass: 'inetOrgPerson',
      groupObjectClass: 'groupOfNames',
      userFilter: '(objectClass=inetOrgPerson)',
      groupFilter: '(objectClass=groupOfNames)',
      userEmailAttribute: 'mail',
      groupNameAttribute: 'cn',
      memberAttribute: 'member',
    },
    addUser: (u) =>
      asAdmin((c) =>
        c.add(userDn(u.uid), {
          objectClass: 'inetOrgPerson',
          uid: u.uid,
          cn: u.cn,
          sn: u.cn.split(' ').at(-1)!,
          mail: u.mail,
        }),
      ),
    addGroup: (cn, members) =>
      asAdmin((c) => c.add(groupDn(cn), { objectClass: 'groupOfNames', cn, member: members.map(userDn) })),
    remove: (dn) => asAdmin((c) => c.del(dn)),
    search(filter, base = BASE_DN) {
      const out = execFileSync(
        'ldapsearch',
        ['-x', '-LLL', '-H', url, '-D', BIND_DN, '-w', bindPassword, '-b', base, filter, 'dn'],
        { encoding: 'utf8' },
      );
      return out
        .split('\n')
        .filter((l) => l.startsWith('dn: '))
        .map((l) => l.slice(4));
    },
    stop,
  };
}

/** Polls a bind as the service account until it answers (slapd is up) or the process exits. */
async function ready(port: number, bindPassword: string, child: ChildProcess): Promise<boolean> {
  const end = Date.now() + 10_000;
  while (Date.now() < end && child.exitCode === null) {
    const client = new Client({ url: `ldap://127.0.0.1:${port}`, connectTimeout: 1000 });
    try {
      await client.bind(BIND_DN, bindPassword);
      await client.unbind();
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return false;
}
