// The image label org.opencontainers.image.source: the git remote's URL as a public web address, or
// nothing. A local clone's remote is often a path (/home/me/src/bwdc-runner) or carries credentials
// (https://user:token@host/...): neither belongs in an image label, so both give an empty label.
//   node scripts/image/source-url.mjs [REMOTE-URL]   (default: git config remote.origin.url)
import { execFileSync } from 'node:child_process';

export function sourceUrl(remote) {
  const text = (remote ?? '').trim();
  // scp-like form: git@github.com:owner/repo.git
  const scp = /^[\w.-]+@([\w.-]+\.[a-z]{2,}):(?!\/)(.+?)(?:\.git)?\/?$/i.exec(text);
  if (scp) return `https://${scp[1]}/${scp[2]}`;
  let url;
  try {
    url = new URL(text);
  } catch {
    return '';
  }
  if (!['https:', 'http:', 'ssh:', 'git:'].includes(url.protocol) || !url.hostname.includes('.')) return '';
  const path = url.pathname.replace(/\.git\/?$/, '').replace(/\/+$/, '');
  return path ? `https://${url.hostname}${path}` : '';
}

if (import.meta.url === `file://${process.argv[1]}`) {
  let remote = process.argv[2];
  if (remote === undefined) {
    try {
      remote = execFileSync('git', ['config', '--get', 'remote.origin.url'], { encoding: 'utf8' });
    } catch {
      remote = '';
    }
  }
  process.stdout.write(sourceUrl(remote));
}
