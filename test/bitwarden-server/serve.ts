// The Bitwarden test server as a process of its own, for tests whose main thread blocks in
// spawnSync (the image test runs podman synchronously): prints its URL on the first line of stdout.
//   node --import tsx test/bitwarden-server/serve.ts organization.<uuid>=<secret> ...
import { BitwardenTestServer } from './server.js';

const server = await new BitwardenTestServer().start();
for (const arg of process.argv.slice(2)) {
  const i = arg.indexOf('=');
  server.addClient(arg.slice(0, i), arg.slice(i + 1));
}
process.stdout.write(`${server.url}\n`);
// Kept alive by stdin: the parent ends it by closing the pipe (or by exiting).
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
setInterval(() => {}, 1 << 30);
