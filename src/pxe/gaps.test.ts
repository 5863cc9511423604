import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explainGaps, gapsByMac, type GapEvent } from './gaps.ts';

const t0 = Date.parse('2026-12-05T08:00:00.000Z');
const at = (s: number, e: { proto: string; event: string; [k: string]: unknown }): GapEvent => ({ time: new Date(t0 + s * 1000).toISOString(), ...e });

test('the ~16 s after iPXE\'s ACK with no router answer is IPv6 router discovery', () => {
  const gaps = explainGaps([
    at(0, { proto: 'dhcp', event: 'discover', ipxe: true }),
    at(0.01, { proto: 'dhcp', event: 'offer', ipxe: true }),
    at(0.02, { proto: 'dhcp', event: 'request', ipxe: true }),
    at(0.03, { proto: 'dhcp', event: 'ack', ipxe: true }),
    at(16.1, { proto: 'http', event: 'script' }),
  ]);
  assert.equal(gaps.length, 1);
  assert.deepEqual({ ...gaps[0], likely: undefined }, { from: '2026-12-05T08:00:00.030Z', to: '2026-12-05T08:00:16.100Z', seconds: 16.1, after: 'dhcp ack', before: 'http script', cause: 'ipv6-router-discovery', likely: undefined });
  assert.match(gaps[0]!.likely, /nothing answered its router solicitations/);
});

test('the same stretch after an answered solicitation is not blamed on IPv6', () => {
  const gaps = explainGaps([
    at(0, { proto: 'dhcp', event: 'ack', ipxe: true }),
    at(0.1, { proto: 'ndp', event: 'rs' }),
    at(0.15, { proto: 'ndp', event: 'ra' }),
    at(3, { proto: 'http', event: 'script' }),
  ]);
  assert.equal(gaps[0]?.cause, 'unknown');
});

test('another router answering late is named', () => {
  const gaps = explainGaps([at(0, { proto: 'dhcp', event: 'ack', ipxe: true }), at(0.1, { proto: 'ndp', event: 'rs-left-to-router' }), at(5, { proto: 'http', event: 'script' })]);
  assert.equal(gaps[0]?.cause, 'ipv6-router-discovery');
  assert.match(gaps[0]!.likely, /answered its solicitations late/);
});

test('DHCP retries, ProxyDHCP waits, TFTP retransmits, slow HTTP reads, menus, firmware and the booted OS', () => {
  const causes = explainGaps([
    at(0, { proto: 'dhcp', event: 'discover' }),
    at(4, { proto: 'dhcp', event: 'discover' }),
    at(4.01, { proto: 'dhcp', event: 'offer' }),
    at(6, { proto: 'dhcp', event: 'request' }),
    at(6.01, { proto: 'dhcp', event: 'ack' }),
    at(8, { proto: 'tftp', event: 'rrq', file: 'ipxe/undionly.kpxe' }),
    at(8.01, { proto: 'tftp', event: 'oack', file: 'ipxe/undionly.kpxe' }),
    at(12, { proto: 'tftp', event: 'done', file: 'ipxe/undionly.kpxe' }),
    at(12.5, { proto: 'dhcp', event: 'ack', ipxe: true }),
    at(12.6, { proto: 'ndp', event: 'ra' }),
    at(12.7, { proto: 'http', event: 'script', selection: 'menu' }),
    at(15, { proto: 'http', event: 'get', file: 'a/vmlinuz' }),
    at(19, { proto: 'http', event: 'done', file: 'a/vmlinuz' }),
    at(30, { proto: 'dhcp', event: 'discover' }),
  ]).map((g) => g.cause);
  assert.deepEqual(causes, ['dhcp-retry', 'proxy-dhcp-wait', 'firmware', 'tftp-retransmits', 'menu', 'slow-http-read', 'booting-image']);
});

test('nothing under a second is a gap; hosts without gaps are left out', () => {
  const quick = [at(0, { proto: 'dhcp', event: 'discover' }), at(0.9, { proto: 'dhcp', event: 'offer' })];
  assert.deepEqual(explainGaps(quick), []);
  assert.deepEqual(gapsByMac({ 'de:00:00:00:00:01': quick, 'de:00:00:00:00:02': [quick[0]!, at(2, { proto: 'dhcp', event: 'discover' })] }), {
    'de:00:00:00:00:02': [{ from: quick[0]!.time, to: '2026-12-05T08:00:02.000Z', seconds: 2, after: 'dhcp discover', before: 'dhcp discover', cause: 'dhcp-retry', likely: 'retrying DHCP: the client sent its request again (no answer reached it, or it ignored the one it got)' }],
  });
});

test('the unsigned iPXE fetched by firmware that then asks DHCP again, or goes quiet, is explained as a Secure Boot refusal', () => {
  const ev = (s: number, proto: string, event: string, extra: Record<string, unknown> = {}) => ({ time: new Date(Date.UTC(2026, 11, 5, 12, 0, s)).toISOString(), proto, event, ...extra });
  const fetched = [ev(0, 'dhcp', 'discover', { ipxe: false }), ev(1, 'dhcp', 'ack'), ev(3, 'tftp', 'rrq', { file: 'ipxe/ipxe.efi' }), ev(8, 'tftp', 'done', { file: 'ipxe/ipxe.efi' })];
  const again = explainGaps([...fetched, ev(14, 'dhcp', 'discover', { ipxe: false })]);
  assert.equal(again.at(-1)?.cause, 'secure-boot-refused');
  assert.match(again.at(-1)?.likely ?? '', /ipxe\/ipxe\.efi, which is unsigned, and then it asked DHCP again as firmware instead of running it: likely refused by Secure Boot/);
  const ran = explainGaps([...fetched, ev(14, 'dhcp', 'discover', { ipxe: true })]);
  assert.notEqual(ran.at(-1)?.cause, 'secure-boot-refused', 'iPXE asking DHCP means it ran');
  const quiet = explainGaps(fetched, 1000, Date.parse(fetched.at(-1)!.time) + 30_000);
  assert.equal(quiet.at(-1)?.cause, 'secure-boot-refused');
  assert.equal(quiet.at(-1)?.before, 'now');
  assert.ok(!explainGaps(fetched, 1000, Date.parse(fetched.at(-1)!.time) + 5_000).some((g) => g.cause === 'secure-boot-refused'), 'not yet: iPXE may still be starting');
});
