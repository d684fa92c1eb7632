// A stand-in for Bitwarden Secrets Manager as Bitwarden's SDK talks to it, with real cryptography so
// that the real SDK (@bitwarden/sdk-napi) decrypts what it serves. Written from Bitwarden's public
// documentation and the SDK's open source (its own fake server, crates/fake-server):
//   machine account access token   0.<client id>.<client secret>:<base64 of a 16-byte key>
//   POST {base}/identity/connect/token  form: grant_type=client_credentials, scope=api.secrets, client_id,
//        client_secret -> {access_token: a JWT with an `organization` claim, expires_in, token_type,
//        scope, encrypted_payload}; 400 {"error":"invalid_client"} for an unknown or revoked client.
//        encrypted_payload is {"encryptionKey": <base64 of the 64-byte organization key>} as an
//        EncString, encrypted with the token's key stretched as the SDK does: HMAC-SHA256 keyed
//        "bitwarden-accesstoken" over the 16 bytes, then HKDF-Expand(SHA-256, info "sm-access-token") to
//        64 bytes (32 encryption, 32 MAC).
//   GET  {base}/api/secrets/{id}   Bearer -> {object: "secret", id, organizationId, key, value, note,
//        creationDate, revisionDate, projects}, key/value/note as EncStrings under the organization key;
//        404 {"message":"Resource not found."}; 401 for a token it did not issue or has revoked.
//   EncString type 2: "2.<iv>|<AES-256-CBC ciphertext>|<HMAC-SHA256(mac key, iv || ciphertext)>", base64.
// Knobs: revoke(), fail429 (answer N secret reads 429), every request counted.
import { createCipheriv, createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { listenLoopback, loopbackUrl } from '../helpers/loopback.js';

function hkdfExpand(prk: Buffer, info: string, length: number): Buffer {
  let block = Buffer.alloc(0);
  let out = Buffer.alloc(0);
  for (let i = 1; out.length < length; i++) {
    block = createHmac('sha256', prk)
      .update(Buffer.concat([block, Buffer.from(info), Buffer.from([i])]))
      .digest();
    out = Buffer.concat([out, block]);
  }
  return out.subarray(0, length);
}

/** The SDK's "shareable key": what an access token's 16 bytes become. */
export function accessTokenKey(secret: Buffer): Buffer {
  return hkdfExpand(createHmac('sha256', 'bitwarden-accesstoken').update(secret).digest(), 'sm-access-token', 64);
}

export function encString(key: Buffer, plain: string): string {
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-cbc', key.subarray(0, 32), iv);
  const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  const mac = createHmac('sha256', key.subarray(32))
    .update(Buffer.concat([iv, data]))
    .digest();
  return `2.${iv.toString('base64')}|${data.toString('base64')}|${mac.toString('base64')}`;
}

interface MachineAccount {
  clientId: string;
  clientSecret: string;
  key: Buffer;
  revoked: boolean;
}

export class BwsTestServer {
  private server: Server | undefined;
  readonly organizationId = randomUUID();
  private readonly orgKey = randomBytes(64);
  private readonly accounts = new Map<string, MachineAccount>();
  private readonly tokens = new Map<string, string>(); // bearer -> client id
  readonly secrets = new Map<string, { key: string; value: string; note: string }>();
  readonly requests: string[] = [];
  fail429 = 0;

  get url(): string {
    return loopbackUrl(this.server!);
  }

  async start(): Promise<this> {
    this.server = await listenLoopback((req, res, body) => this.handle(req, res, body));
    return this;
  }

  /** A new machine account with access to the organization's secrets: its access token. */
  machineAccount(): string {
    const account = {
      clientId: randomUUID(),
      clientSecret: randomBytes(15).toString('base64url'),
      key: randomBytes(16),
      revoked: false,
    };
    this.accounts.set(account.clientId, account);
    return `0.${account.clientId}.${account.clientSecret}:${account.key.toString('base64')}`;
  }

  revoke(accessToken: string): void {
    const id = accessToken.split('.')[1]!;
    this.accounts.get(id)!.revoked = true;
  }

  setSecret(value: string, key = 'secret', id: string = randomUUID()): string {
    this.secrets.set(id, { key, value, note: '' });
    return id;
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private handle(req: IncomingMessage, res: ServerResponse, body: string): void {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    this.requests.push(`${req.method} ${path}`);
    if (req.method === 'POST' && path === '/identity/connect/token') {
      const form = new URLSearchParams(body);
      const account = this.accounts.get(form.get('client_id') ?? '');
      if (
        form.get('grant_type') !== 'client_credentials' ||
        form.get('scope') !== 'api.secrets' ||
        !account ||
        account.revoked ||
        account.clientSecret !== form.get('client_secret')
      )
        return this.send(res, 400, { error: 'invalid_client' });
      const now = Math.floor(Date.now() / 1000);
      const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const claims = {
        nbf: now,
        exp: now + 3600,
        iss: 'http://localhost',
        client_id: account.clientId,
        sub: randomUUID(),
        organization: this.organizationId,
        jti: randomUUID(),
        iat: now,
        scope: ['api.secrets'],
      };
      const accessToken = `${part({ alg: 'RS256', typ: 'at+jwt' })}.${part(claims)}.${randomBytes(32).toString('base64url')}`;
      this.tokens.set(accessToken, account.clientId);
      return this.send(res, 200, {
        access_token: accessToken,
        expires_in: 3600,
        token_type: 'Bearer',
        scope: 'api.secrets',
        encrypted_payload: encString(
          accessTokenKey(account.key),
          JSON.stringify({ encryptionKey: this.orgKey.toString('base64') }),
        ),
      });
    }
    const m = /^\/api\/secrets\/([0-9a-f-]{36})$/i.exec(path);
    if (req.method === 'GET' && m) {
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
      const account = this.accounts.get(this.tokens.get(bearer) ?? '');
      if (!account || account.revoked) return this.send(res, 401, { message: 'Unauthorized' });
      if (this.fail429 > 0) {
        this.fail429--;
        return this.send(res, 429, { message: 'Slow down! Too many requests.' });
      }
      const secret = this.secrets.get(m[1]!);
      if (!secret) return this.send(res, 404, { message: 'Resource not found.' });
      const now = new Date().toISOString();
      return this.send(res, 200, {
        object: 'secret',
        id: m[1],
        organizationId: this.organizationId,
        key: encString(this.orgKey, secret.key),
        value: encString(this.orgKey, secret.value),
        note: encString(this.orgKey, secret.note),
        creationDate: now,
        revisionDate: now,
        projects: [],
      });
    }
    return this.send(res, 404, { message: 'Resource not found.' });
  }
}
