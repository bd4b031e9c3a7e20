/**
 * Memory holder: `node memory-holder.js <bytes> <ttlMs>` allocates <bytes> in 64 MiB buffers, writes every
 * page so it is resident, holds it, and exits by itself after <ttlMs>.
 */
const bytes = Number(process.argv[2]);
const ttlMs = Number(process.argv[3]);
if (!(bytes > 0) || !(ttlMs > 0)) {
  process.stderr.write('usage: memory-holder.js <bytes> <ttlMs>\n');
  process.exit(2);
}
process.title = 'faultline-memory-holder';
const CHUNK = 64 * 1024 * 1024;
const held: Buffer[] = [];
for (let left = bytes; left > 0; left -= CHUNK) {
  const b = Buffer.allocUnsafeSlow(Math.min(CHUNK, left));
  b.fill(0xa5);
  held.push(b);
}
setTimeout(() => process.exit(held.length > 0 ? 0 : 1), ttlMs);
