// Runs perfdhcp (Kea) in a client namespace and reads its report. With `-l eth0` it acts
// as a relay agent: giaddr is eth0's address, replies come back to it on port 67.
import type { Namespace } from '../helpers/netns.ts';

export interface ExchangeStats {
  sent: number;
  received: number;
  drops: number;
}

export interface PerfdhcpReport {
  /** DISCOVER→OFFER and REQUEST→ACK counts, as perfdhcp reports them. */
  discoverOffer: ExchangeStats;
  requestAck: ExchangeStats;
  /** Completed four-way exchanges per second, from perfdhcp's "Rate:" line. */
  rate: number;
  output: string;
}

/** Parses perfdhcp's final report (the two exchange sections and the rate line). */
export function parsePerfdhcp(output: string): PerfdhcpReport {
  const section = (title: string): ExchangeStats => {
    const at = output.indexOf(title);
    const body = at === -1 ? '' : output.slice(at, at + 1500);
    const num = (label: string) => Number(new RegExp(`${label}:\\s*(\\d+)`).exec(body)?.[1] ?? NaN);
    return { sent: num('sent packets'), received: num('received packets'), drops: num('drops') };
  };
  const rate = Number(/Rate:\s*([\d.]+)/.exec(output)?.[1] ?? NaN);
  return { discoverOffer: section('***Statistics for: DISCOVER-OFFER***'), requestAck: section('***Statistics for: REQUEST-ACK***'), rate, output };
}

/** Runs perfdhcp against `server` from the client namespace; resolves with its parsed report. */
export async function runPerfdhcp(client: Namespace, server: string, args: string[], timeoutMs = 120_000): Promise<PerfdhcpReport> {
  try {
    const { stdout, stderr } = await client.exec('perfdhcp', ['-4', '-l', 'eth0', ...args, server], { timeoutMs });
    return parsePerfdhcp(`${stdout}\n${stderr}`);
  } catch (err) {
    // perfdhcp exits 3 when packets were dropped; its report is still complete.
    const e = err as { stdout?: string; stderr?: string; cause?: { code?: unknown } };
    if (e.stdout && /Statistics for: DISCOVER-OFFER/.test(e.stdout)) return parsePerfdhcp(`${e.stdout}\n${e.stderr ?? ''}`);
    throw err;
  }
}
