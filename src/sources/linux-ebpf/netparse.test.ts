import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { describe, it } from 'node:test';
import { ipString, parseClientHello, parseConnectLine, parseDnsQuery } from './netparse.js';

function dnsQuery(name: string, qtype: number): Buffer {
  return Buffer.concat([Buffer.from([0xab, 0xcd, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), ...name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0, 0, qtype, 0, 1])]);
}

describe('payload parsers', () => {
  it('DNS question name and type; malformed input is undefined', () => {
    assert.deepEqual(parseDnsQuery(dnsQuery('exfil.example.invalid', 28)), { query: 'exfil.example.invalid', qtype: 'AAAA' });
    assert.equal(parseDnsQuery(Buffer.from([1, 2, 3])), undefined);
    const cut = dnsQuery('a-very-long-label.example', 1).subarray(0, 20);
    assert.equal(parseDnsQuery(cut), undefined);
    const ptr = Buffer.concat([Buffer.from([0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c]), Buffer.alloc(8)]);
    assert.equal(parseDnsQuery(ptr), undefined);
  });
  it('TLS ClientHello from node:tls: SNI, ALPN, TLS 1.3; truncated prefix is partial', async () => {
    // a real ClientHello: the first bytes node's TLS client sends to a plain TCP listener
    const hello = await new Promise<Buffer>((resolve, reject) => {
      const srv = createServer((s) => s.once('data', (d: Buffer) => { resolve(d); s.destroy(); srv.close(); }));
      srv.listen(0, '127.0.0.1', () => {
        const port = (srv.address() as { port: number }).port;
        tlsConnect({ host: '127.0.0.1', port, servername: 'hello.aw-test.invalid', ALPNProtocols: ['h2', 'http/1.1'] }).on('error', () => undefined);
      });
      srv.on('error', reject);
    });
    const h = parseClientHello(hello);
    assert.equal(h?.sni, 'hello.aw-test.invalid');
    assert.deepEqual(h?.alpn, ['h2', 'http/1.1']);
    assert.equal(h?.version, 'TLS 1.3');
    assert.equal(h?.partial, undefined);
    const part = parseClientHello(hello.subarray(0, 120));
    assert.equal(part?.partial, true);
  });
  it('rejects non-handshake records and garbage', () => {
    assert.equal(parseClientHello(Buffer.from('GET / HTTP/1.1\r\n\r\n'.repeat(4))), undefined);
    const junk = Buffer.alloc(300, 0xff);
    junk[0] = 0x16;
    junk[5] = 0x01;
    assert.doesNotThrow(() => parseClientHello(junk));
  });
  it('CONNECT lines and addresses', () => {
    assert.deepEqual(parseConnectLine(Buffer.from('CONNECT api.example.test:443 HTTP/1.1\r\nHost: x\r\n\r\n')), { host: 'api.example.test', port: 443 });
    assert.deepEqual(parseConnectLine(Buffer.from('CONNECT [::1]:8443 HTTP/1.1\r\n')), { host: '::1', port: 8443 });
    assert.equal(parseConnectLine(Buffer.from('CONNECT evil\r\n')), undefined);
    assert.equal(ipString(Buffer.from([127, 0, 0, 1]), 2), '127.0.0.1');
    assert.equal(ipString(Buffer.from('00000000000000000000000000000001', 'hex'), 10), '::1');
    assert.equal(ipString(Buffer.from('20010db8000000000000000000000042', 'hex'), 10), '2001:db8::42');
    assert.equal(ipString(Buffer.from('00000000000000000000ffff7f000001', 'hex'), 10), '::ffff:127.0.0.1');
  });
});
